"""Reads about users and their roles."""

from __future__ import annotations

from django.db.models import QuerySet

from menkan.web.accounts.models import Role, RoleAssignment, User


def roles_of(user: User) -> QuerySet[RoleAssignment]:
    if not user.is_authenticated:
        return RoleAssignment.objects.none()
    return RoleAssignment.objects.filter(user=user).select_related("institution", "department", "school_class")


def has_role(user: User, *roles: Role) -> bool:
    return user.is_authenticated and RoleAssignment.objects.filter(user=user, role__in=roles).exists()


def is_registrar(user: User, institution_id: int | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    assignments = RoleAssignment.objects.filter(user=user, role=Role.REGISTRAR)
    if institution_id is not None:
        assignments = assignments.filter(institution_id=institution_id)
    return assignments.exists()
