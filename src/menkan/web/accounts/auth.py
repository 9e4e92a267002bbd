"""Authentication of the JSON API: the Django session (pages, htmx, the docs) or a bearer token (integrations).

- `Authorization: Bearer <token>`: the token is checked alone. A wrong or revoked token is refused with 401 even if
  the request also carries a session cookie, so a client never silently acts as someone else. Other schemes (a
  reverse proxy's Basic auth) are not ours and are ignored. Tokens need no CSRF token: a browser never attaches
  an Authorization header to a cross-site request by itself.
- Otherwise the session: a logged-in user, with Django's CSRF check on every unsafe method (POST, PUT, PATCH,
  DELETE). A request without a valid CSRF token is refused with 403 before the endpoint runs. The check is made
  here, always: marking an operation `csrf_exempt` does not switch it off.
- Nobody → 401. A user who still has a one-time password is refused (403) until they change it on the pages, but
  not in a session signed in with the campus account (which never uses that password).

Endpoints read the caller from `request.auth` (also put on `request.user`, so the change history names them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from menkan.web.accounts.models import User
from menkan.web.accounts.oidc import campus_session
from menkan.web.accounts.services import api_token_authenticate


def auth_method(request: HttpRequest) -> str:
    """How the API authenticated this request: "token" or "session"."""
    return getattr(request, "menkan_auth", "session")


def _usable(user: User, request: HttpRequest | None = None) -> User:
    if getattr(user, "must_change_password", False) and not (request is not None and campus_session(request)):
        raise HttpError(403, "password change required: change your one-time password on the login page first")
    return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from POST /api/v1/tokens."""

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # no token (or another scheme, e.g. a proxy's Basic auth): the session decides
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = api_token_authenticate(token)
        if user is None:
            raise AuthenticationError(401, "invalid or revoked token")
        request.user = user  # the change history (simple_history) reads request.user
        request.menkan_auth = "token"  # type: ignore[attr-defined]
        return _usable(user)


class SessionAuth(APIKeyCookie):
    """The Django session cookie, with the CSRF check enforced for unsafe methods (as on the pages)."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # anonymous: 401, whatever the CSRF token says
        if check_csrf(request) is not None:  # passes for GET/HEAD/OPTIONS/TRACE
            raise HttpError(403, "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header")
        return _usable(user, request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ does it
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()
#: Every endpoint: a bearer token, or else the session (with CSRF).
api_auth = [token_auth, session_auth]
