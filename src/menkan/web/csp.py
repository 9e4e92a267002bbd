"""The Content-Security-Policy every response carries: only the portal's own scripts, styles, images and forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# No 'unsafe-inline' and no 'unsafe-eval': every script and style is a static file (menkan/portal.js,
# menkan/menkan.css), so an injected <script> or style="" does nothing. Frames, plugins, foreign forms and a
# moved <base> are refused outright. A site may replace the whole policy with the setting of the same name.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Where campus sign-in sends the browser: the sign-in and logout forms end in a redirect to the provider, and
# browsers hold a redirect after a form to `form-action`, so the provider's origin joins 'self' there.
_PROVIDER_SETTINGS = (
    "MENKAN_OIDC_ISSUER",
    "MENKAN_OIDC_DISCOVERY_URL",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "MENKAN_OIDC_END_SESSION_ENDPOINT",
)


def _provider_origins() -> tuple[str, ...]:
    if not getattr(settings, "MENKAN_OIDC_ENABLED", False):
        return ()
    origins = set()
    for name in _PROVIDER_SETTINGS:
        parts = urlsplit(getattr(settings, name, None) or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return tuple(sorted(origins))


@cache
def _with_form_targets(policy: str, origins: tuple[str, ...]) -> str:
    if not origins:
        return policy
    return policy.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none of its own (error pages and static files included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
            response["Content-Security-Policy"] = _with_form_targets(policy, _provider_origins())
        return response
