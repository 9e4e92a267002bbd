"""Early warning: whether a student can still finish within the study period, from the audit and policy data.

`forecast(institution, student, audit, as_of=..., today=...)` reads one audit (`menkan.audit/1` document, as the
CLI computes it or the portal stores it) and the institution's policy data: the study period (a policy's
`study-period` requirement, e.g. NYCU 學則 Art. 13–14; else `study_load.period` in institution.yaml), the most
credits per semester and summer (`study_load`, `term_credit_max`), the self-learning items' deadline
(`workflows.self_learning.notices.deadline`) and the catalogue's semesters of each course. Nothing here is an
institution's constant. Semesters on leave do not use up the study period (Art. 15; `study_position`).

The verdict is about finishing in the *window*: the regular semesters left in the study period, or, for a student
already past it, the semesters left of its most extension (the extension is reported beside the window).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from menkan.engine import Institution, Student, Term, fmt, study_period_default, study_position, term_credit_max
from menkan.foresight.catalog import Catalog, catalog_of

Verdict = Literal["on-track", "at-risk", "cannot-finish"]
VERDICTS: tuple[Verdict, ...] = ("on-track", "at-risk", "cannot-finish")
FORECAST_SCHEMA = "menkan.forecast/1"
_SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
_STUDYING = ("enrolled", "extension")
_ZERO = Decimal(0)
_AMOUNT_UNITS = ("credits", "hours", "courses", "certificates")
# A missing course's label is "title (code)" or the bare code (the audit's `details.open`).
_CODE_IN_LABEL = re.compile(r"\(([^()]+)\)\s*$")


def roc_date(day: date) -> str:
    """A day as the registrar writes it: 115-06-01."""
    return f"{day.year - 1911}-{day.month:02d}-{day.day:02d}"


def _text(zh: str, en: str) -> dict[str, str]:
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


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# --- the study period and the window -------------------------------------------------------------------------------


def _walk(nodes: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or ())


def _open(nodes: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """The graduation requirements still open: not advisory (standing, averages: information, not requirements)
    and not met, without going below a met one (the unmet alternatives of a met `any` are not missing)."""
    for node in nodes:
        if node.get("advisory") or node.get("status") == "met":
            continue
        yield node
        yield from _open(node.get("children") or ())


def _period(
    institution: Institution, student: Student, as_of: Term, audit: Mapping[str, Any]
) -> tuple[int, int, str | None] | None:
    """Years and extension years of the student's study period: the audit's `study-period` requirement where a
    policy has one (its overrides already resolved for this student), else institution.yaml's default."""
    for node in _walk(audit.get("requirements") or ()):
        details = node.get("details") or {}
        if node.get("kind") == "study-period" and "study_period" in details:
            return int(details["study_period"]), int(details.get("extension_allowed", 0)), node.get("cites")
    found = study_period_default(institution, student, as_of)
    if found is None:
        return None
    period = institution.study_load.period if institution.study_load is not None else None
    return found[0], found[1], period.cites if period is not None else None


def _future_semesters(student: Student, as_of: Term, last_index: int) -> list[Term]:
    """The regular semesters after `as_of` up to study-semester `last_index`, skipping those the records already
    give as leave (a leave semester does not use up the period)."""
    position = study_position(student, as_of)
    # A semester on leave keeps the index of the semester the student returns to; otherwise the next is one on.
    index = position.index + (0 if not position.enrolled and not as_of.is_summer else 1)
    away = {record.term for record in student.enrollment if record.status not in _STUDYING}
    terms: list[Term] = []
    term = as_of.next_regular()
    while index <= last_index:
        if term not in away:
            terms.append(term)
            index += 1
        term = term.next_regular()
    return terms


def _summers(as_of: Term, semesters: list[Term]) -> list[Term]:
    """The summers between `as_of` and the last semester of `semesters` (the one after the last is not counted:
    the student graduates at the end of that semester)."""
    if not semesters:
        return []
    springs = [term for term in [as_of, *semesters] if term.semester == "2" and term < semesters[-1]]
    return [Term(term.year, "S") for term in springs]


def _leave_semesters(student: Student, as_of: Term) -> int:
    return sum(
        1
        for record in student.enrollment
        if record.status not in _STUDYING and not record.term.is_summer and record.term <= as_of
    )


# --- what is missing ---------------------------------------------------------------------------------------------


def _pending(node: Mapping[str, Any]) -> Decimal:
    """The in-progress amount counted toward a requirement: its own pending items, else its children's."""
    own = [item for item in node.get("applied") or () if item.get("pending")]
    if own:
        return sum((Decimal(str(item.get("amount", 0))) for item in own), _ZERO)
    return sum((_pending(child) for child in node.get("children") or ()), _ZERO)


def _shortfalls(audit: Mapping[str, Any], deadline_of: Mapping[str, date]) -> list[Shortfall]:
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
                short=max(_ZERO, required - earned - pending),
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


def _once_a_year(audit: Mapping[str, Any], catalog: Catalog | None, window: list[Term]) -> list[OnceAYear]:
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


def _deadlines(institution: Institution, audit: Mapping[str, Any], graduation_year: int) -> dict[str, date]:
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
        for node in _walk(audit.get("requirements") or ())
        if node.get("id") == settings.requirement or str(node.get("id", "")).startswith(prefix)
    }


# --- the verdict ---------------------------------------------------------------------------------------------------


def _credit_reasons(
    missing: Decimal,
    capacity: Decimal | None,
    semesters_capacity: Decimal | None,
    window: list[Term],
    where: dict[str, str],
) -> list[Reason]:
    if missing <= 0:
        return []
    n = len(window)
    if capacity is None or semesters_capacity is None:
        return [
            Reason(
                "no-maximum",
                "on-track",
                _text(
                    f"尚缺 {fmt(missing)} 學分；政策未訂每學期修課上限，無法判斷能否修完",
                    f"{fmt(missing)} credits still missing; the policy states no maximum load, so whether they fit "
                    "cannot be judged",
                ),
            )
        ]
    if missing > capacity:
        return [
            Reason(
                "over-capacity",
                "cannot-finish",
                _text(
                    f"尚缺 {fmt(missing)} 學分，{where['zh-TW']}剩 {n} 學期最多僅能修 {fmt(capacity)} 學分",
                    f"{fmt(missing)} credits still missing, but the {n} semester(s) left {where['en']} allow at most "
                    f"{fmt(capacity)}",
                ),
            )
        ]
    if missing > semesters_capacity:
        return [
            Reason(
                "needs-summers",
                "at-risk",
                _text(
                    f"尚缺 {fmt(missing)} 學分，超過剩餘 {n} 學期之上限 {fmt(semesters_capacity)} 學分，須加修暑修",
                    f"{fmt(missing)} credits still missing: more than the {fmt(semesters_capacity)} of the {n} "
                    "semester(s) left at the maximum load; summer courses are needed",
                ),
            )
        ]
    if missing == semesters_capacity:
        return [
            Reason(
                "maximum-load",
                "at-risk",
                _text(
                    f"尚缺 {fmt(missing)} 學分，剩餘 {n} 學期每學期都須修滿上限",
                    f"{fmt(missing)} credits still missing: the maximum load in every one of the {n} semester(s) left",
                ),
            )
        ]
    return [
        Reason(
            "credits-fit",
            "on-track",
            _text(
                f"尚缺 {fmt(missing)} 學分，剩餘 {n} 學期最多可修 {fmt(capacity)} 學分",
                f"{fmt(missing)} credits still missing; the {n} semester(s) left allow up to {fmt(capacity)}",
            ),
        )
    ]


def _hour_reasons(shortfalls: list[Shortfall], today: date | None, as_of: Term) -> list[Reason]:
    reasons = []
    for item in shortfalls:
        if item.unit not in ("hours", "certificates") or item.short <= 0 or item.deadline is None:
            continue
        name = item.title.get("zh-TW", item.id), item.title.get("en", item.id)
        amount = f"{fmt(item.short)} {item.unit}"
        due = roc_date(item.deadline)
        if today is not None and today > item.deadline:
            reasons.append(
                Reason(
                    "deadline-passed",
                    "cannot-finish",
                    _text(
                        f"{name[0]}尚缺 {fmt(item.short)}，期限 {due} 已過",
                        f"{name[1]}: {amount} short and the deadline {due} has passed",
                    ),
                )
            )
        else:
            # Due within the academic year under way: the seniors the institution's notices warn.
            this_year = item.deadline.year == as_of.year + 1912
            reasons.append(
                Reason(
                    "deadline-ahead",
                    "at-risk" if this_year else "on-track",
                    _text(
                        f"{name[0]}尚缺 {fmt(item.short)}，須於 {due} 前完成",
                        f"{name[1]}: {amount} short, due by {due}",
                    ),
                )
            )
    return reasons


def _course_reasons(once: list[OnceAYear]) -> list[Reason]:
    reasons = []
    for course in once:
        season = ("上學期", "fall") if course.semester == "1" else ("下學期", "spring")
        label = f"{course.title} ({course.code})"
        if course.chances == 0:
            verdict: Verdict = "cannot-finish"
            zh = f"必修 {label} 僅於{season[0]}開課，剩餘學期中已無{season[0]}"
            en = f"required {label} is offered in the {season[1]} only, and no {season[1]} semester is left"
        elif course.chances == 1:
            verdict = "at-risk"
            zh = f"必修 {label} 僅於{season[0]}開課，只剩一次機會"
            en = f"required {label} is offered in the {season[1]} only: one chance left"
        else:
            verdict = "on-track"
            zh = f"必修 {label} 僅於{season[0]}開課，尚有 {course.chances} 次機會"
            en = f"required {label} is offered in the {season[1]} only: {course.chances} chances left"
        reasons.append(Reason("once-a-year", verdict, _text(zh, en)))
    return reasons


def forecast(
    institution: Institution,
    student: Student,
    audit: Mapping[str, Any],
    *,
    as_of: Term,
    today: date | None = None,
    catalog: Catalog | Literal["shipped"] | None = "shipped",
) -> Forecast:
    """The forecast of `student` from their audit as of `as_of` (`audit`: a `menkan.audit/1` document of that
    term). `today` dates the deadlines (None: deadlines are shown, none is taken as passed). `catalog`: the
    institution's course catalogue (default: the shipped one)."""
    if catalog == "shipped":
        catalog = catalog_of(institution.id)
    reasons: list[Reason] = []
    period = _period(institution, student, as_of, audit)
    leave = _leave_semesters(student, as_of)
    position = study_position(student, as_of)
    window: list[Term] = []
    extension: list[Term] = []
    in_extension = False
    years = extension_years = None
    cites = None
    if period is None:
        reasons.append(
            Reason(
                "no-study-period",
                "on-track",
                _text(
                    "政策資料未載明修業年限，無法計算剩餘學期",
                    "The policy data state no study period: terms left unknown",
                ),
            )
        )
    else:
        years, extension_years, cites = period
        regular = _future_semesters(student, as_of, years * 2)
        longest = _future_semesters(student, as_of, (years + extension_years) * 2)
        in_extension = position.index > years * 2
        window = longest if in_extension else regular
        extension = [] if in_extension else longest[len(regular) :]
        if leave:
            reasons.append(
                Reason(
                    "leave-not-counted",
                    "on-track",
                    _text(
                        f"休學 {leave} 學期不計入修業年限",
                        f"{leave} semester(s) on leave not counted in the study period",
                    ),
                )
            )
    where = (
        _text("延長修業期間", "in the extension of the study period")
        if in_extension
        else _text("修業年限內", "in the study period")
    )
    # The graduation year the items are due in: that of the window's last semester (this one if none is left).
    graduation_year = max([as_of, *window]).year
    shortfalls = _shortfalls(audit, _deadlines(institution, audit, graduation_year))
    credit_gaps = [item for item in shortfalls if item.unit == "credits"]
    missing = max((item.short for item in credit_gaps), default=_ZERO)
    pending = max((item.pending for item in credit_gaps), default=_ZERO)
    summers = [term for term in _summers(as_of, window) if term_credit_max(institution, student, term) is not None]
    semester_max = [term_credit_max(institution, student, term) for term in window]
    summer_max = [term_credit_max(institution, student, term) for term in summers]
    semesters_capacity: Decimal | None = None
    capacity: Decimal | None = None
    if period is not None and all(value is not None for value in semester_max):
        semesters_capacity = sum((value for value in semester_max if value is not None), _ZERO)
        capacity = semesters_capacity + sum((value for value in summer_max if value is not None), _ZERO)
    if pending > 0:
        reasons.append(
            Reason(
                "in-progress-counted",
                "on-track",
                _text(
                    f"修課中 {fmt(pending)} 學分視為將取得",
                    f"{fmt(pending)} credits in progress counted as likely earned",
                ),
            )
        )
    if in_extension and any(item.short > 0 for item in shortfalls):
        reasons.append(
            Reason(
                "in-extension",
                "at-risk",
                _text(
                    f"已逾修業年限 {years} 年，於延長修業期間（至多 {extension_years} 年）",
                    f"Past the {years}-year study period, in its extension (at most {extension_years} years)",
                ),
            )
        )
    if period is not None:
        reasons += _credit_reasons(missing, capacity, semesters_capacity, window, where)
    reasons += _hour_reasons(shortfalls, today, as_of)
    once = _once_a_year(audit, catalog, window)
    if period is not None:
        reasons += _course_reasons(once)
        # Courses (other than those with a deadline) can only be taken in a semester still to come.
        courses_short = [s for s in shortfalls if s.unit == "courses" and s.short > 0 and s.deadline is None]
        if not window and courses_short:
            reasons.append(
                Reason(
                    "no-terms-left",
                    "cannot-finish",
                    _text(
                        f"{where['zh-TW']}已無剩餘學期，仍缺課程：" + "、".join(s.id for s in courses_short),
                        f"No semester is left {where['en']}, and courses are still missing: "
                        + ", ".join(s.id for s in courses_short),
                    ),
                )
            )
        if extension and any(reason.verdict != "on-track" for reason in reasons):
            reasons.append(
                Reason(
                    "extension-possible",
                    "on-track",
                    _text(
                        f"得申請延長修業，至多再加 {len(extension)} 學期",
                        f"An extension of the study period would add up to {len(extension)} semester(s)",
                    ),
                )
            )
    verdict: Verdict = "on-track"
    for reason in reasons:
        if _SEVERITY[reason.verdict] > _SEVERITY[verdict]:
            verdict = reason.verdict
    if verdict == "on-track" and period is not None:
        reasons.insert(0, Reason("on-track", "on-track", _text("可於修業年限內完成", "Can finish within the period")))
    return Forecast(
        student_id=student.student_id,
        institution=student.institution,
        department=student.department,
        class_code=student.class_code,
        as_of=as_of,
        today=today,
        verdict=verdict,
        reasons=tuple(reasons),
        period_years=years,
        extension_years=extension_years,
        period_cites=cites,
        leave_semesters=leave,
        in_extension=in_extension,
        window=tuple(window),
        summers=tuple(summers),
        extension=tuple(extension),
        credits_missing=missing,
        credits_pending=pending,
        capacity=capacity,
        semesters_capacity=semesters_capacity,
        shortfalls=tuple(shortfalls),
        once_a_year=tuple(once),
    )


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


__all__ = [
    "FORECAST_SCHEMA",
    "VERDICTS",
    "Forecast",
    "ForecastCounts",
    "OnceAYear",
    "Reason",
    "Shortfall",
    "Verdict",
    "forecast",
    "render_forecast",
    "roc_date",
]
