"""Sends users who still have a one-time password to the password change page before anything else (not someone
signed in with their campus account: they never use the menkan password)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from menkan.web.accounts.oidc import campus_session

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not campus_session(request)
        ):
            return redirect(f"{reverse('accounts:password-change')}?next={request.path}")
        return self.get_response(request)
