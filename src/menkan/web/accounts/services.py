"""Writes about users: creating accounts with a one-time password, assigning roles, changing passwords."""

from __future__ import annotations

import secrets
import string

from django.db import transaction

from menkan.web.accounts.models import Role, RoleAssignment, User

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
