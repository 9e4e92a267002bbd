"""Audit results (`menkan.audit/1`): per requirement what counted, what did not and why, and what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from menkan.engine.terms import Term

AUDIT_SCHEMA = "menkan.audit/1"
Status = Literal["met", "not-met", "in-progress"]
Unit = Literal["credits", "hours", "courses", "certificates", "requirements", "semesters", "years", "points", "score"]


def number(value: Decimal | int | None) -> int | float | None:
    """A Decimal as a JSON number (whole values as integers)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    found = _NUMBERS.get(value)
    if found is None:
        # Equal Decimals give the same number whatever their exponent (3 and 3.0: 3), so values are remembered.
        if len(_NUMBERS) >= _NUMBERS_KEPT:
            _NUMBERS.clear()
        found = _NUMBERS[value] = int(value) if value == value.to_integral_value() else float(value)
    return found


_NUMBERS: dict[Decimal, int | float] = {}
_NUMBERS_KEPT = 4096


@lru_cache(maxsize=4096, typed=True)
def fmt(value: Decimal | int | None) -> str:
    """A number as people write it: 12, 12.5, 3.45 (equal values read alike, so answers are remembered)."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


class Applied(NamedTuple):
    """Something that counted: a course, activity or certificate, or credits flowing in from another requirement."""

    kind: Literal["course", "activity", "certificate", "overflow", "merge", "requirement"]
    ref: str
    amount: Decimal
    title: str | None = None
    term: Term | None = None
    pending: bool = False

    def as_dict(self) -> dict[str, Any]:
        return _applied_dicts([self])[0]


def _applied_dicts(items: list[Applied]) -> list[dict[str, Any]]:
    """`Applied.as_dict` of each item: one loop (a result lists a hundred of them), numbers looked up directly."""
    numbers = _NUMBERS
    found = []
    for kind, ref, amount, title, term, pending in items:
        value = numbers.get(amount)
        data: dict[str, Any] = {"kind": kind, "ref": ref, "amount": number(amount) if value is None else value}
        if title is not None:
            data["title"] = title
        if term is not None:
            data["term"] = term.text  # what str(term) gives, without the call
        if pending:
            data["pending"] = True
        found.append(data)
    return found


class NotApplied(NamedTuple):
    """Something that did not count here, and why."""

    ref: str
    reason: str
    title: str | None = None
    amount: Decimal | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref, "reason": self.reason}
        if self.title is not None:
            data["title"] = self.title
        if self.amount is not None:
            data["amount"] = number(self.amount)
        if self.detail is not None:
            data["detail"] = self.detail
        return data


NO_MESSAGE = {"zh-TW": "", "en": ""}


@dataclass(slots=True)
class RequirementResult:
    """The audit of one requirement node."""

    id: str
    title: dict[str, str]
    kind: str
    status: Status
    unit: Unit
    required: Decimal | None
    earned: Decimal | None
    cites: str
    display: str = ""
    applied: list[Applied] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=lambda: dict(NO_MESSAGE))
    children: list[RequirementResult] = field(default_factory=list)
    advisory: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    # what the student should know whatever the status (e.g. a registration flagged as late), {zh-TW, en} each
    notes: list[dict[str, str]] = field(default_factory=list)
    # the approved exceptions applied here (kind, reason, approver, date, explanation): engine/exceptions.py
    exceptions: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.display:
            self.display = f"{fmt(self.earned)} / {fmt(self.required)}"

    @property
    def met(self) -> bool:
        return self.status == "met"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "status": self.status,
            "unit": self.unit,
            "required": number(self.required),
            "earned": number(self.earned),
            "display": self.display,
            "applied": _applied_dicts(self.applied),
            "not_applied": [item.as_dict() for item in self.not_applied],
            "missing": self.missing,
            "cites": self.cites,
            "children": [child.as_dict() for child in self.children],
        }
        if self.advisory:
            data["advisory"] = True
        if self.details:
            data["details"] = self.details
        if self.notes:
            data["notes"] = self.notes
        if self.exceptions:
            data["exceptions"] = self.exceptions
        return data

    def find(self, requirement_id: str) -> RequirementResult | None:
        if self.id == requirement_id:
            return self
        for child in self.children:
            found = child.find(requirement_id)
            if found is not None:
                return found
        return None


def combine(statuses: list[Status]) -> Status:
    """All met: met; otherwise not-met if any is not-met, else in-progress."""
    if all(status == "met" for status in statuses):
        return "met"
    if any(status == "not-met" for status in statuses):
        return "not-met"
    return "in-progress"


@dataclass(slots=True)
class AuditResult:
    """Every requirement that applies to one student, as of one term."""

    student_id: str
    institution: str
    as_of: Term
    requirements: list[RequirementResult]
    policies: list[str] = field(default_factory=list)
    # every exception of the record: applied, or not_applied with its reason (orphaned, not-applicable)
    exceptions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return combine([r.status for r in self.requirements if not r.advisory])

    def find(self, requirement_id: str) -> RequirementResult | None:
        for requirement in self.requirements:
            found = requirement.find(requirement_id)
            if found is not None:
                return found
        return None

    def walk(self) -> Iterator[tuple[RequirementResult, int]]:
        """Every node of the result tree with its depth (0 for a policy's top requirement), parents first."""
        stack = [(requirement, 0) for requirement in reversed(self.requirements)]
        while stack:
            node, depth = stack.pop()
            yield node, depth
            stack.extend((child, depth + 1) for child in reversed(node.children))

    def as_dict(self) -> dict[str, Any]:
        data = {
            "schema": AUDIT_SCHEMA,
            "student_id": self.student_id,
            "institution": self.institution,
            "as_of": str(self.as_of),
            "status": self.status,
            "policies": self.policies,
            "requirements": [r.as_dict() for r in self.requirements],
        }
        if self.exceptions:
            data["exceptions"] = self.exceptions
        return data
