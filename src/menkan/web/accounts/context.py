"""Template context: the roles of the person asking, for navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from menkan.web.accounts.selectors import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_roles": set()}
    return {
        "my_roles": {assignment.role for assignment in roles_of(user)} | ({"registrar"} if user.is_superuser else set())
    }
