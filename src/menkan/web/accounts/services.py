"""Writes about users: creating accounts with a one-time password, assigning roles, changing passwords,
and API tokens for integrations."""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from menkan.web.accounts.models import ApiToken, Role, RoleAssignment, User

_ALPHABET = string.ascii_letters + string.digits


def password_generate(length: int = 14) -> str:
    """A random one-time password (never derived from an ID number or any personal data)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@transaction.atomic
def user_create(
    username: str, *, email: str = "", first_name: str = "", password: str | None = None
) -> tuple[User, str]:
    """Create an account; returns it with its one-time password, which must be changed at first login."""
    initial = password or password_generate()
    user = User.objects.create_user(username=username, email=email, password=initial, first_name=first_name)
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    return user, initial


def role_assign(user: User, role: Role, institution_id: int, **scope: object) -> RoleAssignment:
    assignment, _ = RoleAssignment.objects.get_or_create(user=user, role=role, institution_id=institution_id, **scope)
    return assignment


def user_password_change(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])


TOKEN_PREFIX = "menkan_"
_TOUCH_EVERY = timedelta(minutes=1)


def api_token_hash(raw: str) -> str:
    """The SHA-256 (hex) under which a token is stored; tokens are 256 random bits, so a fast hash suffices."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(user: User, name: str) -> tuple[ApiToken, str]:
    """A new bearer token for `user`. Returns the stored token and the raw token, which is not kept anywhere:
    show it once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], token_hash=api_token_hash(raw))
    return token, raw


def api_token_revoke(token: ApiToken) -> ApiToken:
    """Revoke a token for good (idempotent); it is kept, marked revoked, so its history stays visible."""
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw token belongs to, or None for an unknown, revoked or malformed token, or an inactive
    user. Notes when the token was last used (at most once a minute, so reads do not each cost a write)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=api_token_hash(raw), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
