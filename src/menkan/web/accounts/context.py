"""Template context: the roles of the person asking, the apps that apply to them and their name, for navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from menkan.web.accounts.navigation import navigation
from menkan.web.accounts.selectors import roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_roles": set(), "my_apps": set(), "sees_students": False, "display_name": ""}
    my_roles = {assignment.role for assignment in roles_of(user)} | ({"registrar"} if user.is_superuser else set())
    if "mentor" not in my_roles and user.mentored_classes.exists():
        my_roles.add("mentor")  # a class's mentor (SchoolClass.mentor, as imported) is a mentor without a role row
    return {"my_roles": my_roles, **navigation(user)}
