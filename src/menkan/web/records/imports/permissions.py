"""Who may import what into which institution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from menkan.web.accounts.api import Role, RoleAssignment, User
from menkan.web.records.imports.layouts import KINDS, ImportKind
from menkan.web.records.models import (
    Institution,
)
from menkan.web.records.selectors import (
    record_writer,
)


@dataclass(frozen=True)
class ImportScope:
    """What a user may import into one institution: the kinds, and for unit staff the units they act for
    (`units` None: any unit, as the registrar)."""

    kinds: tuple[ImportKind, ...]
    units: frozenset[str] | None


_REGISTRAR_KINDS: tuple[ImportKind, ...] = KINDS


_UNIT_KINDS: tuple[ImportKind, ...] = ("activities", "certificates")


def import_scope(user: User, institution: Institution) -> ImportScope | None:
    """The registrar (or a superuser) may import everything; unit staff activities and certificates, each row only
    for an item their unit owns (`records.selectors.record_write_permission` decides per row); nobody else anything
    (None)."""
    writer = record_writer(user, institution)
    if writer is None:
        return None
    if writer.registrar:
        return ImportScope(_REGISTRAR_KINDS, None)
    return ImportScope(_UNIT_KINDS, writer.units)


def import_institutions(user: User) -> list[tuple[Institution, ImportScope]]:
    """The institutions `user` may import into, each with what they may import there."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        institutions: Iterable[Institution] = Institution.objects.order_by("code")
    else:
        ids = RoleAssignment.objects.filter(user=user, role__in=(Role.REGISTRAR, Role.UNIT_STAFF)).values(
            "institution_id"
        )
        institutions = Institution.objects.filter(pk__in=ids).order_by("code")
    result = []
    for institution in institutions:
        scope = import_scope(user, institution)
        if scope is not None:
            result.append((institution, scope))
    return result
