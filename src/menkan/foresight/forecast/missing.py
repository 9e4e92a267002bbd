"""What is missing: each requirement's shortfall, required courses offered once a year, the items' deadlines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from menkan.engine import Institution, Term
from menkan.foresight.catalog import Catalog
from menkan.foresight.forecast.result import OnceAYear, Shortfall
from menkan.foresight.forecast.window import walk

ZERO = Decimal(0)
_AMOUNT_UNITS = ("credits", "hours", "courses", "certificates")
# A missing course's label is "title (code)" or the bare code (the audit's `details.open`).
_CODE_IN_LABEL = re.compile(r"\(([^()]+)\)\s*$")


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _open(nodes: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """The graduation requirements still open: not advisory (standing, averages: information, not requirements)
    and not met, without going below a met one (the unmet alternatives of a met `any` are not missing)."""
    for node in nodes:
        if node.get("advisory") or node.get("status") == "met":
            continue
        yield node
        yield from _open(node.get("children") or ())


def _pending(node: Mapping[str, Any]) -> Decimal:
    """The in-progress amount counted toward a requirement: its own pending items, else its children's."""
    own = [item for item in node.get("applied") or () if item.get("pending")]
    if own:
        return sum((Decimal(str(item.get("amount", 0))) for item in own), ZERO)
    return sum((_pending(child) for child in node.get("children") or ()), ZERO)


def shortfalls_of(audit: Mapping[str, Any], deadline_of: Mapping[str, date]) -> list[Shortfall]:
    found = []
    for node in _open(audit.get("requirements") or ()):
        if node.get("unit") not in _AMOUNT_UNITS:
            continue
        required, earned = _decimal(node.get("required")), _decimal(node.get("earned"))
        if required is None or earned is None:
            continue
        pending = _pending(node)
        found.append(
            Shortfall(
                id=str(node["id"]),
                title=dict(node.get("title") or {}),
                unit=str(node["unit"]),
                required=required,
                earned=earned,
                pending=pending,
                short=max(ZERO, required - earned - pending),
                missing=dict(node.get("missing") or {}),
                deadline=deadline_of.get(str(node["id"])),
            )
        )
    return found


def _open_codes(node: Mapping[str, Any]) -> list[str]:
    """The codes of a course list's courses still missing, less those in progress (likely earned)."""
    pending = {str(item.get("ref", "")).split("@")[0] for item in node.get("applied") or () if item.get("pending")}
    codes = []
    for label in (node.get("details") or {}).get("open") or ():
        match = _CODE_IN_LABEL.search(str(label))
        code = match.group(1) if match else str(label)
        if code not in pending:
            codes.append(code)
    return codes


def once_a_year_of(audit: Mapping[str, Any], catalog: Catalog | None, window: list[Term]) -> list[OnceAYear]:
    """Required courses still missing (every course of the list is required) offered in one semester only."""
    if catalog is None:
        return []
    found = []
    for node in _open(audit.get("requirements") or ()):
        if node.get("unit") != "courses" or node.get("status") != "not-met":
            continue
        details = node.get("details") or {}
        if Decimal(str(node.get("required", 0))) < Decimal(str(node.get("earned", 0))) + len(details.get("open") or ()):
            continue  # a choice among courses: no single one is required
        for code in _open_codes(node):
            course = catalog.course(code)
            if course is None or not course.offered_once_a_year:
                continue
            (semester,) = tuple(course.semesters & {"1", "2"})
            chances = sum(1 for term in window if term.semester == semester)
            found.append(OnceAYear(code, course.title, str(node["id"]), semester, chances))
    return found


def deadlines_of(institution: Institution, audit: Mapping[str, Any], graduation_year: int) -> dict[str, date]:
    """The self-learning items' deadline in the student's graduation year (academic year `graduation_year`: the
    notices' month and day of its second calendar year, 115-06-01 for 114), by requirement id."""
    settings = institution.workflows.self_learning
    if settings is None or settings.notices is None:
        return {}
    when = settings.notices.deadline
    due = date(graduation_year + 1912, when.month, when.day)
    prefix = settings.requirement + "."
    return {
        str(node["id"]): due
        for node in walk(audit.get("requirements") or ())
        if node.get("id") == settings.requirement or str(node.get("id", "")).startswith(prefix)
    }
