"""The JSON API root (django-ninja): session auth for pages, token auth for integrations."""

from ninja import NinjaAPI

api = NinjaAPI(title="menkan", version="1", urls_namespace="api", docs_url="/docs")
