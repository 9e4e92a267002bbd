"""Campus sign-in (OpenID Connect) settings read from the environment: none at all unless the site configures it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

#: The Python path of the backend that signs a campus account in (also what Django keeps in the session).
BACKEND = "menkan.web.accounts.oidc.CampusAccountBackend"

# MENKAN_OIDC_<name> → the mozilla-django-oidc setting of an endpoint (each one also comes from discovery).
ENDPOINTS = {
    "AUTHORIZATION_ENDPOINT": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "TOKEN_ENDPOINT": "OIDC_OP_TOKEN_ENDPOINT",
    "USERINFO_ENDPOINT": "OIDC_OP_USER_ENDPOINT",
    "JWKS_URI": "OIDC_OP_JWKS_ENDPOINT",
    "END_SESSION_ENDPOINT": "MENKAN_OIDC_END_SESSION_ENDPOINT",
}
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def oidc_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The Django settings of campus sign-in from MENKAN_OIDC_* variables (docs/sign-in.md).

    Off (MENKAN_OIDC_ENABLED False and nothing else) without MENKAN_OIDC_CLIENT_ID. With it, the provider is found
    through MENKAN_OIDC_DISCOVERY_URL or MENKAN_OIDC_ISSUER (its /.well-known/openid-configuration), or given
    endpoint by endpoint; a half-made configuration is refused at start-up, naming what is missing. Accounts are
    never created from a sign-in (OIDC_CREATE_USER is always off).
    """

    def get(name: str, default: str = "") -> str:
        return environ.get(f"MENKAN_OIDC_{name}", default).strip()

    client_id = get("CLIENT_ID")
    if not client_id:
        others = sorted(key for key, value in environ.items() if key.startswith("MENKAN_OIDC_") and value.strip())
        if others:
            raise ImproperlyConfigured(
                f"campus sign-in: {', '.join(others)} set but MENKAN_OIDC_CLIENT_ID is not (set it, or unset these)"
            )
        return {"MENKAN_OIDC_ENABLED": False}
    issuer = get("ISSUER").rstrip("/")
    discovery = get("DISCOVERY_URL") or (f"{issuer}/.well-known/openid-configuration" if issuer else "")
    endpoints = {setting: get(name) or None for name, setting in ENDPOINTS.items()}
    missing = [
        f"MENKAN_OIDC_{name}"
        for name, setting in ENDPOINTS.items()
        if name != "END_SESSION_ENDPOINT" and not endpoints[setting]
    ]
    if not discovery and missing:
        raise ImproperlyConfigured(
            "campus sign-in: MENKAN_OIDC_CLIENT_ID is set but the provider is not: set MENKAN_OIDC_ISSUER or "
            f"MENKAN_OIDC_DISCOVERY_URL, or every endpoint ({', '.join(missing)} missing)"
        )
    secret = get("CLIENT_SECRET")
    if not secret:
        raise ImproperlyConfigured("campus sign-in: MENKAN_OIDC_CLIENT_SECRET is missing (the provider gives it)")
    token_auth = get("TOKEN_AUTH_METHOD", "client_secret_basic")
    if token_auth not in TOKEN_AUTH_METHODS:
        raise ImproperlyConfigured(
            f"campus sign-in: MENKAN_OIDC_TOKEN_AUTH_METHOD is {token_auth!r}; "
            f"use one of {', '.join(TOKEN_AUTH_METHODS)}"
        )
    claim = get("USERNAME_CLAIM", "preferred_username")
    try:
        timeout = float(get("TIMEOUT", "10"))
    except ValueError:
        raise ImproperlyConfigured(f"campus sign-in: MENKAN_OIDC_TIMEOUT {get('TIMEOUT')!r} is not seconds") from None
    scopes = get("SCOPES", "openid profile")
    if "openid" not in scopes.split():
        raise ImproperlyConfigured(f"campus sign-in: MENKAN_OIDC_SCOPES {scopes!r} must include openid")
    return {
        "MENKAN_OIDC_ENABLED": True,
        "MENKAN_OIDC_DISCOVERY_URL": discovery,
        "MENKAN_OIDC_ISSUER": issuer,
        "MENKAN_OIDC_USERNAME_CLAIM": claim,
        "MENKAN_OIDC_INSTITUTION": get("INSTITUTION"),
        "MENKAN_OIDC_PROVIDER_NAME": get("PROVIDER_NAME"),
        **endpoints,
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": secret,
        "OIDC_RP_SIGN_ALGO": get("SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": scopes,
        "OIDC_TOKEN_USE_BASIC_AUTH": token_auth == "client_secret_basic",
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": False,  # a sign-in only ever finds an account: never one made from a claim
        "OIDC_STORE_ID_TOKEN": True,  # the hint for the provider's logout
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:oidc-callback",
        "OIDC_TIMEOUT": timeout,
    }
