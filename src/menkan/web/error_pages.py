"""The portal's error pages (400, 403, 404, 500, CSRF failure) in its layout and language, saying where to go."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("menkan.web.errors")


@dataclass(frozen=True)
class ErrorKind:
    status: int
    title: Promise
    explanation: Promise


BAD_REQUEST = ErrorKind(
    400,
    _("The request could not be understood"),
    _("The address or the form that was sent is not in a form the portal can read. Go back and try again."),
)
FORBIDDEN = ErrorKind(
    403,
    _("You may not open this page"),
    _(
        "Your account's roles do not allow this page or action. If you think they should, "
        "ask the registrar's office to check your roles."
    ),
)
NOT_FOUND = ErrorKind(
    404,
    _("Page not found"),
    _(
        "There is no such page, or it is not yours to see: a student record you may not see is answered "
        "as not found. Check the address, or start again from your home page."
    ),
)
SERVER_ERROR = ErrorKind(
    500,
    _("Something went wrong on our side"),
    _(
        "The portal could not finish this request; the error has been logged. Nothing you sent was saved. "
        "Try again in a few minutes; if it keeps happening, tell the registrar's office."
    ),
)
CSRF_FAILED = ErrorKind(
    403,
    _("The form could not be accepted"),
    _(
        "For your security a form is accepted only from a page the portal has just shown you; this one was open "
        "too long, was sent from elsewhere, or your browser blocks cookies. Nothing was saved. Go back, reload "
        "the page and send the form again."
    ),
)

# The last resort when even the plain 500 template cannot be rendered: no template, no database, both languages.
FALLBACK_500 = (
    '<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>500 · menkan</title></head><body>'
    "<main><h1>系統發生錯誤 · Something went wrong</h1><p>請稍後再試。Please try again in a few minutes.</p>"
    '<p><a href="/">回首頁 · Home</a></p></main></body></html>'
)


def _back_url(request: HttpRequest) -> str:
    """The page the person came from, if it is one of ours (never an open redirect to another site)."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 of a bad Host header: no page of ours to go back to
        return ""
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}):
        return str(referer)
    return ""


def _wants_json(request: HttpRequest) -> bool:
    return str(request.path).startswith("/api/")


def _page(request: HttpRequest, kind: ErrorKind) -> HttpResponse:
    """The error page in the layout, with the person's navigation (4xx: the database is there)."""
    if _wants_json(request):
        return JsonResponse({"detail": str(kind.title)}, status=kind.status)
    context = {
        "error": kind,
        "error_page": True,
        "back_url": _back_url(request),
        "login_url": reverse("accounts:login"),
    }
    return HttpResponse(loader.render_to_string("errors/error.html", context, request), status=kind.status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, NOT_FOUND)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.info("CSRF check failed for %s: %s", request.path, reason)
    return _page(request, CSRF_FAILED)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request, so no context processor (roles, messages, the session) touches the database
    that may be what failed; the layout shows no navigation then."""
    if _wants_json(request):
        return JsonResponse({"detail": str(SERVER_ERROR.title)}, status=500)
    try:
        body = loader.render_to_string("errors/error.html", {"error": SERVER_ERROR, "error_page": True, "bare": True})
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("the 500 page could not be rendered")
        body = FALLBACK_500
    return HttpResponse(body, status=500)
