"""The forecast's result: the verdict, its reasons, what is missing, and their rendering as data and as text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from menkan.engine import Term, fmt

Verdict = Literal["on-track", "at-risk", "cannot-finish"]
VERDICTS: tuple[Verdict, ...] = ("on-track", "at-risk", "cannot-finish")
FORECAST_SCHEMA = "menkan.forecast/1"


def roc_date(day: date) -> str:
    """A day as the registrar writes it: 115-06-01."""
    return f"{day.year - 1911}-{day.month:02d}-{day.day:02d}"


def bilingual(zh: str, en: str) -> dict[str, str]:
    return {"zh-TW": zh, "en": en}


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason of the verdict: the verdict it leads to on its own (`on-track`: information only)."""

    code: str
    verdict: Verdict
    text: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "verdict": self.verdict, "text": self.text}


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What one requirement still lacks: `short` after counting the in-progress amount (`pending`) as earned."""

    id: str
    title: dict[str, str]
    unit: str
    required: Decimal | None
    earned: Decimal | None
    pending: Decimal
    short: Decimal
    missing: dict[str, str]
    deadline: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "required": _number(self.required),
            "earned": _number(self.earned),
            "pending": _number(self.pending),
            "short": _number(self.short),
            "missing": self.missing,
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }


@dataclass(frozen=True, slots=True)
class OnceAYear:
    """A required course still missing that is offered in one semester of the year only, and the semesters of
    that kind left in the window."""

    code: str
    title: str
    requirement: str
    semester: str
    chances: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "requirement": self.requirement,
            "semester": self.semester,
            "chances": self.chances,
        }


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast of one student as of one term: verdict, reasons, the window and what is missing."""

    student_id: str
    institution: str
    department: str
    class_code: str | None
    as_of: Term
    today: date | None
    verdict: Verdict
    reasons: tuple[Reason, ...]
    period_years: int | None
    extension_years: int | None
    period_cites: str | None
    leave_semesters: int
    in_extension: bool
    window: tuple[Term, ...]  # regular semesters the verdict counts on
    summers: tuple[Term, ...]  # summers in the window with a stated maximum
    extension: tuple[Term, ...]  # semesters an extension would add after the window
    credits_missing: Decimal
    credits_pending: Decimal
    capacity: Decimal | None  # most credits earnable in the window (semesters and summers); None: no maximum
    semesters_capacity: Decimal | None  # of which the semesters alone
    shortfalls: tuple[Shortfall, ...] = ()
    once_a_year: tuple[OnceAYear, ...] = ()

    @property
    def terms_left(self) -> int | None:
        return None if self.period_years is None else len(self.window)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": FORECAST_SCHEMA,
            "student_id": self.student_id,
            "institution": self.institution,
            "department": self.department,
            "class_code": self.class_code,
            "as_of": str(self.as_of),
            "today": self.today.isoformat() if self.today else None,
            "verdict": self.verdict,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "study_period": {
                "years": self.period_years,
                "extension_years": self.extension_years,
                "cites": self.period_cites,
                "leave_semesters": self.leave_semesters,
                "in_extension": self.in_extension,
            },
            "terms_left": self.terms_left,
            "window": [str(term) for term in self.window],
            "summers": [str(term) for term in self.summers],
            "extension": [str(term) for term in self.extension],
            "credits_missing": _number(self.credits_missing),
            "credits_in_progress": _number(self.credits_pending),
            "capacity": _number(self.capacity),
            "semesters_capacity": _number(self.semesters_capacity),
            "missing": [item.as_dict() for item in self.shortfalls],
            "once_a_year": [item.as_dict() for item in self.once_a_year],
        }


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(slots=True)
class ForecastCounts:
    """Students per verdict, overall and per department."""

    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    by_department: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, item: Forecast) -> None:
        self.total[item.verdict] += 1
        row = self.by_department.setdefault(item.department, dict.fromkeys(VERDICTS, 0))
        row[item.verdict] += 1


def render_forecast(item: Forecast, lang: str = "both") -> str:
    """The forecast as text: the verdict line, then each reason and each shortfall."""
    langs = ("zh-TW", "en") if lang == "both" else (lang,)

    def say(message: Mapping[str, str]) -> str:
        return " / ".join(message[code] for code in langs if message.get(code))

    left = "?" if item.terms_left is None else str(item.terms_left)
    lines = [
        f"{item.student_id} ({item.institution} {item.department}) as of {item.as_of}: {item.verdict}"
        f"  [terms left {left}, credits missing {fmt(item.credits_missing)}, "
        f"most earnable {fmt(item.capacity)}]"
    ]
    lines += [f"  - {say(reason.text)}" for reason in item.reasons]
    for short in item.shortfalls:
        if short.short > 0:
            due = f" (due {roc_date(short.deadline)})" if short.deadline else ""
            lines.append(f"  · {short.id}: {fmt(short.short)} {short.unit} short{due}")
    return "\n".join(lines)
