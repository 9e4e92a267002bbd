"""A credit-fee statement and its parts: the lines billed, each course's charge, the explanations."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from menkan.engine.policy.models import Localized
from menkan.engine.records import decimal_number
from menkan.engine.terms import Term

STATEMENT_SCHEMA = "menkan.fees/1"
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One line of the bill: a fixed item (credits and rate None) or credits × rate."""

    id: str
    description: Localized
    amount: Decimal
    credits: Decimal | None = None
    rate: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description.as_dict(),
            "credits": None if self.credits is None else decimal_number(self.credits),
            "rate": None if self.rate is None else decimal_number(self.rate),
            "amount": decimal_number(self.amount),
        }


@dataclass(frozen=True, slots=True)
class CourseCharge:
    """A course of the term and how many of its credits were billed and exempt."""

    ref: str
    code: str
    title: str
    credits: Decimal
    billed: Decimal
    exempt: Decimal
    grade: str | None = None

    @property
    def status(self) -> str:
        if self.exempt == ZERO:
            return "billed"
        return "exempt" if self.billed == ZERO else "partly-billed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "code": self.code,
            "title": self.title,
            "credits": decimal_number(self.credits),
            "billed": decimal_number(self.billed),
            "exempt": decimal_number(self.exempt),
            "status": self.status,
            "grade": self.grade,
        }


@dataclass(frozen=True, slots=True)
class NotAccumulated:
    """A course of an earlier term whose credits do not accumulate (failed, withdrawn, not graded yet)."""

    ref: str
    code: str
    title: str
    credits: Decimal
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "code": self.code,
            "title": self.title,
            "credits": decimal_number(self.credits),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """A plain sentence for the student, in zh-TW and English, with a stable code."""

    code: str
    text: Localized

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.text.as_dict()}


@dataclass(frozen=True, slots=True)
class FeeStatement:
    """One student's credit-fee statement for one term."""

    student_id: str
    institution: str
    term: Term
    currency: str
    enrollment: str
    schedule: str | None
    schedule_title: Localized | None
    cites: str | None
    lines: tuple[FeeLine, ...]
    total: Decimal
    enrolled_credits: Decimal
    billed_credits: Decimal
    exempt_credits: Decimal
    courses: tuple[CourseCharge, ...]
    explanations: tuple[Explanation, ...]
    accumulated_before: Decimal | None = None
    transferred_credits: Decimal | None = None
    passed_credits: Decimal | None = None
    threshold: Decimal | None = None
    not_accumulated: tuple[NotAccumulated, ...] = ()

    @property
    def billed(self) -> list[str]:
        """Refs of the courses with credits billed (in full or in part)."""
        return [c.ref for c in self.courses if c.billed > ZERO]

    @property
    def exempt(self) -> list[str]:
        """Refs of the courses with credits exempt (in full or in part)."""
        return [c.ref for c in self.courses if c.exempt > ZERO]

    def explanation(self, code: str) -> Explanation | None:
        return next((e for e in self.explanations if e.code == code), None)

    def as_dict(self) -> dict[str, Any]:
        def number(value: Decimal | None) -> int | float | None:
            return None if value is None else decimal_number(value)

        return {
            "schema": STATEMENT_SCHEMA,
            "student_id": self.student_id,
            "institution": self.institution,
            "term": str(self.term),
            "currency": self.currency,
            "enrollment": self.enrollment,
            "schedule": self.schedule,
            "schedule_title": None if self.schedule_title is None else self.schedule_title.as_dict(),
            "cites": self.cites,
            "lines": [line.as_dict() for line in self.lines],
            "total": decimal_number(self.total),
            "enrolled_credits": decimal_number(self.enrolled_credits),
            "billed_credits": decimal_number(self.billed_credits),
            "exempt_credits": decimal_number(self.exempt_credits),
            "accumulated_before": number(self.accumulated_before),
            "transferred_credits": number(self.transferred_credits),
            "passed_credits": number(self.passed_credits),
            "threshold": number(self.threshold),
            "billed": self.billed,
            "exempt": self.exempt,
            "courses": [c.as_dict() for c in self.courses],
            "not_accumulated": [n.as_dict() for n in self.not_accumulated],
            "explanations": [e.as_dict() for e in self.explanations],
        }
