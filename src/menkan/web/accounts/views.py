"""Login (throttled by axes; with the campus account where configured), logout, and the password change that a
one-time password forces."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.web.accounts.oidc import campus_logout_url, campus_session, campus_sign_in_enabled
from menkan.web.accounts.selectors import login_retry_at
from menkan.web.accounts.services import user_password_change


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["campus_sign_in"] = campus_sign_in_enabled()
        context["campus_provider"] = getattr(settings, "MENKAN_OIDC_PROVIDER_NAME", "")
        return context


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page django-axes shows once a login is locked (settings.AXES_LOCKOUT_CALLABLE): in the portal's layout
    and the user's language, saying when the login may be tried again."""
    username = get_client_username(request, credentials) or ""
    retry_at = login_retry_at(username, getattr(request, "axes_ip_address", None))
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "retry_at": retry_at,
        "minutes": max(1, math.ceil((retry_at - timezone.now()).total_seconds() / 60)),
    }
    return render(request, "accounts/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Ends the session; a campus session also at the campus provider, which sends the browser back to login."""
    provider_logout = campus_logout_url(request)  # read before logout() empties the session
    logout(request)
    return redirect(provider_logout or "accounts:login")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """A new password. The current one is asked for (someone at an unattended session cannot take the account
    over), except in the forced change of a one-time password, which was typed at the login just before. A campus
    session is not forced (its password is the campus account's), and a local password it sets needs the current one."""
    forced = getattr(request.user, "must_change_password", False) and not campus_session(request)
    form_class = SetPasswordForm if forced else PasswordChangeForm
    form = form_class(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_password_change(request.user, form.cleaned_data["new_password1"])  # type: ignore[arg-type]
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        target = request.GET.get("next", "/")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})
