"""The portal's static files (CSS, htmx) served by the portal itself, where no web server in front serves /static/."""

from __future__ import annotations

from django.contrib.staticfiles.views import serve
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse


def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """One file found by the static-files finders. A path that leads out of the static folders
    (`/static/..%2f..`) is a file that is not there: 404, like any other missing file, never a server error
    (Django's own static handler lets SuspiciousFileOperation through as a 500)."""
    try:
        return serve(request, path, insecure=True)
    except SuspiciousFileOperation:
        raise Http404("no such file") from None
