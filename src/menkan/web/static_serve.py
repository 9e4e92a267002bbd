"""The portal's static files (CSS, htmx): served from the static folders in development and tests, and collected
under hashed names, compressed, for WhiteNoise in production."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.views import serve
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed and compressed files, gzip only: Brotli's strongest setting took a minute of CPU for each
    `collectstatic` (the admin's scripts), which runs at every start of `menkan serve` and every upgrade."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)


def static_file(request: HttpRequest, path: str) -> HttpResponse:
    """One file found by the static-files finders. A path that leads out of the static folders
    (`/static/..%2f..`) is a file that is not there: 404, like any other missing file, never a server error
    (Django's own static handler lets SuspiciousFileOperation through as a 500)."""
    try:
        return serve(request, path, insecure=True)
    except SuspiciousFileOperation:
        raise Http404("no such file") from None
