"""Reads about users and their roles."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from menkan.web.accounts.models import Role, RoleAssignment, User, institution_model

if TYPE_CHECKING:
    from menkan.web.records.api import Institution


def roles_of(user: User) -> QuerySet[RoleAssignment]:
    if not user.is_authenticated:
        return RoleAssignment.objects.none()
    return RoleAssignment.objects.filter(user=user).select_related("institution", "department", "school_class")


def is_registrar(user: User, institution_id: int | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    assignments = RoleAssignment.objects.filter(user=user, role=Role.REGISTRAR)
    if institution_id is not None:
        assignments = assignments.filter(institution_id=institution_id)
    return assignments.exists()


def registrar_institutions(user: User) -> QuerySet[Institution]:
    """The institutions `user` is the registrar of (every one for a superuser; none for anybody else), by code."""
    if not user.is_authenticated:
        return institution_model().objects.none()
    if user.is_superuser:
        return institution_model().objects.order_by("code")
    ids = RoleAssignment.objects.filter(user=user, role=Role.REGISTRAR).values("institution_id")
    return institution_model().objects.filter(pk__in=ids).order_by("code")


def registrar_institution_get(user: User, code: str) -> Institution:
    """The institution, if `user` is its registrar: 404 when there is none, 403 when it is not theirs."""
    institution = get_object_or_404(institution_model(), code=code)
    if not is_registrar(user, institution.pk):
        raise PermissionDenied("not your institution")
    return institution


def login_retry_at(username: str, ip_address: str | None) -> datetime:
    """When a locked-out login (django-axes) may be tried again: the cool-off (AXES_COOLOFF_TIME) after the last
    failure recorded for this username from this address (now, when none is recorded)."""
    attempts = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    last = attempts.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    cool_off = get_cool_off()
    return (last or timezone.now()) + (cool_off or timedelta(0))
