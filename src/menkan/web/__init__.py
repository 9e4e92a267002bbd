"""menkan's web portal: the Django project (settings, urls) and its apps."""

from menkan.web.celery import app as celery_app

__all__ = ["celery_app"]
