"""Campus sign-in over OpenID Connect (mozilla-django-oidc): the provider's endpoints, the backend that finds the
existing account a campus identity belongs to (never creating one), the sign-in views and the provider's logout."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import get_language
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from menkan.web.accounts.models import User
from menkan.web.accounts.oidc_settings import BACKEND

logger = logging.getLogger("menkan.accounts")

# mozilla-django-oidc setting → the provider metadata field it is read from when not set explicitly.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "MENKAN_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
}
METADATA_TTL = 3600.0  # seconds a discovery document is kept: endpoints seldom move; keys are fetched per sign-in
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderUnavailable(Exception):
    """The campus provider's discovery document could not be read."""


def campus_sign_in_enabled() -> bool:
    return bool(getattr(settings, "MENKAN_OIDC_ENABLED", False))


def campus_session(request: HttpRequest) -> bool:
    """Whether the person asking signed in with their campus account (not with a menkan password)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    return bool(user is not None and user.is_authenticated and session and session.get(BACKEND_SESSION_KEY) == BACKEND)


def provider_metadata() -> dict[str, Any]:
    """The provider's discovery document (MENKAN_OIDC_DISCOVERY_URL), read once an hour; {} when none is set."""
    url = getattr(settings, "MENKAN_OIDC_DISCOVERY_URL", "")
    if not url:
        return {}
    cached = _metadata.get(url)
    if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    try:
        response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10))
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ProviderUnavailable(f"{url}: not a discovery document")
    _metadata[url] = (time.monotonic(), metadata)
    return metadata


def provider_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; an endpoint not set explicitly is the provider's own (discovery)."""
    if attr in DISCOVERED:
        return getattr(settings, attr, None) or provider_metadata().get(DISCOVERED[attr])
    return import_from_settings(attr, *default)


def expected_issuer() -> str:
    return str(getattr(settings, "MENKAN_OIDC_ISSUER", "") or provider_metadata().get("issuer") or "")


@dataclass(frozen=True)
class Refusal:
    """Why a campus sign-in did not sign anybody in, and for which claim value."""

    reason: str  # unknown | inactive | ambiguous | no-claim | provider-error | failed | invalid | unavailable
    value: str = ""


def _refuse(request: HttpRequest, reason: str, value: str = "") -> None:
    request.menkan_campus_refusal = Refusal(reason, value)  # type: ignore[attr-defined]
    logger.warning("campus sign-in refused (%s) for %s=%r", reason, settings.MENKAN_OIDC_USERNAME_CLAIM, value)


class CampusAccountBackend(OIDCAuthenticationBackend):
    """Signs in the existing, active account a campus identity names: the configured claim
    (MENKAN_OIDC_USERNAME_CLAIM) is a staff username or a student's student id (of MENKAN_OIDC_INSTITUTION when set).
    An unknown, ambiguous or inactive account is refused; no account and no role is ever made from a claim."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django makes a backend for every login and every request of a campus session: the provider is read only
        # when a sign-in comes back from it (authenticate), not here.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:  # type: ignore[override]
        # Only the callback's call (nonce, code_verifier) is ours; a password login passes username and password.
        if request is None or "nonce" not in kwargs or {"username", "password"} & kwargs.keys():
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        return ModelBackend.get_user(self, user_id)  # a deactivated account's campus session ends too

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        issuer = expected_issuer()
        if "aud" in payload and self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        if issuer and "iss" in payload and payload["iss"].rstrip("/") != issuer.rstrip("/"):
            raise SuspiciousOperation(f"ID token from another issuer ({payload['iss']})")
        return payload

    def _claim_value(self, claims: dict[str, Any]) -> str:
        value = claims.get(settings.MENKAN_OIDC_USERNAME_CLAIM)
        return value.strip() if isinstance(value, str) else ""

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not self._claim_value(claims):
            _refuse(self.request, "no-claim")
            return False
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        value = self._claim_value(claims)
        as_student = Q(student__student_id__iexact=value)
        if settings.MENKAN_OIDC_INSTITUTION:
            as_student &= Q(student__institution__code=settings.MENKAN_OIDC_INSTITUTION)
        matches = list(self.UserModel.objects.filter(Q(username__iexact=value) | as_student).distinct()[:2])
        if not matches:
            _refuse(self.request, "unknown", value)
        elif len(matches) > 1:
            _refuse(self.request, "ambiguous", value)
        elif not matches[0].is_active:
            _refuse(self.request, "inactive", value)
        else:
            return matches
        return self.UserModel.objects.none()

    def create_user(self, claims: dict[str, Any]) -> User:
        raise PermissionDenied("campus sign-in never creates an account")


REFUSAL_STATUS = {"failed": 400, "invalid": 400, "unavailable": 503}


def refusal_page(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    context = {"refusal": refusal, "claim": getattr(settings, "MENKAN_OIDC_USERNAME_CLAIM", "")}
    return render(request, "accounts/campus_refused.html", context, status=REFUSAL_STATUS.get(refusal.reason, 403))


class CampusSignInView(OIDCAuthenticationRequestView):
    """/accounts/oidc/start/: sends the browser to the campus provider (404 where campus sign-in is off)."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the provider is read per request (get), so a site without it never asks

    def get(self, request: HttpRequest) -> HttpResponse:
        if not campus_sign_in_enabled():
            raise Http404("campus sign-in is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as exc:
            logger.error("campus sign-in: provider unavailable: %s", exc)
            return refusal_page(request, Refusal("unavailable"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # The provider's pages in the portal's language where it has it.
        return {"ui_locales": "en zh-TW" if (get_language() or "").startswith("en") else "zh-TW en"}


class CampusCallbackView(OIDCAuthenticationCallbackView):
    """/accounts/oidc/callback/: the provider's answer; signs the account in, or shows why not."""

    get_settings = staticmethod(provider_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not campus_sign_in_enabled():
            raise Http404("campus sign-in is not configured")
        try:
            return super().get(request)
        except requests.HTTPError as exc:  # the provider refused the code (expired, used twice): start again
            logger.warning("campus sign-in: the provider refused the exchange: %s", exc)
            return refusal_page(request, Refusal("failed"))
        except (ProviderUnavailable, requests.RequestException) as exc:
            logger.error("campus sign-in: provider unavailable: %s", exc)
            return refusal_page(request, Refusal("unavailable"))
        except SuspiciousOperation as exc:
            logger.warning("campus sign-in: invalid answer from the provider: %s", exc)
            return refusal_page(request, Refusal("invalid"))

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, "menkan_campus_refusal", None)
        if refusal is None:
            error = self.request.GET.get("error", "")
            refusal = Refusal("provider-error", error) if error else Refusal("failed")
        return refusal_page(self.request, refusal)


def campus_logout_url(request: HttpRequest) -> str | None:
    """Where logging out of a campus session goes: the provider's end-session endpoint (RP-initiated logout), which
    comes back to the login page, so the next person at a shared computer is not signed in by the provider's
    session. None for a password session, or a provider without the endpoint."""
    if not campus_sign_in_enabled() or not campus_session(request):
        return None
    try:
        endpoint = provider_setting("MENKAN_OIDC_END_SESSION_ENDPOINT")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
    }
    if request.session.get("oidc_id_token"):
        params["id_token_hint"] = request.session["oidc_id_token"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def axes_exempt(request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
    """django-axes' whitelist (AXES_WHITELIST_CALLABLE): the campus callback carries no password to guess, and its
    refusals name no username, so counting them would lock every campus sign-in from a shared address (a campus
    NAT) after five unknown accounts."""
    return request.path == reverse("accounts:oidc-callback")
