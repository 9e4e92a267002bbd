"""Credit-fee statements: `fee_statement(student, fee_policy, term)`, a pure function with Decimal money.

The schedules are data (`menkan.engine.policy.fees`, read from institution.yaml `extra.fees`). A statement is
computed on the student's course records of the term, which are the courses after add/drop: a course dropped
during add/drop is not on the record (not billed); a course withdrawn later (grade W) is, and is billed.

Graduate credit fees (`graduate-credits`): every enrolled credit is billed until the accumulated credits
(transferred + passed in earlier terms; failed, withdrawn and ungraded courses do not accumulate) reach the
minimum graduation credits; a term that crosses it is billed only for the credits up to it; beyond it, exempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from menkan.engine.errors import InputError, InputProblem, pydantic_reason
from menkan.engine.filters import applies, compile_filter
from menkan.engine.ledger import Outcome, build_ledger
from menkan.engine.policy.fees import (
    FEES_KEY,
    ExtensionFees,
    FeeItem,
    Fees,
    FeeSchedule,
    GraduateCreditFees,
    ProgramFees,
    Rate,
    Referral,
    Threshold,
    ThresholdOverride,
)
from menkan.engine.policy.loader import INSTITUTION_FILE, SHIPPED_POLICIES, PolicySet, load_shipped, walk
from menkan.engine.policy.models import Credits, Institution, Localized
from menkan.engine.policy.yamlsource import LineMap, line_of, load_yaml_with_lines
from menkan.engine.records import CourseRecord, Student, decimal_number
from menkan.engine.terms import Term

STATEMENT_SCHEMA = "menkan.fees/1"
ZERO = Decimal(0)


# ---------------------------------------------------------------------------------------------------------------
# The fee policy: an institution's settings (grading decides what passed) and its validated fee schedules.


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """What `fee_statement` needs: the institution (grading, identity, repeats) and its fee schedules.

    Thresholds given as a requirement id are already resolved into figures (`Threshold.credits`/`overrides`).
    `source` names the file the schedules came from, for errors.
    """

    institution: Institution
    fees: Fees
    source: str = INSTITUTION_FILE


def _loc(location: Sequence[Any], data: Any) -> tuple[Any, ...]:
    """A pydantic error location on the fee data, without the union tag steps pydantic inserts."""
    kept: list[Any] = []
    current = data
    for step in location:
        if isinstance(step, str) and ("[" in step or step.startswith("function-")):
            continue
        if isinstance(current, dict) and isinstance(step, str) and step not in current and current.get("kind") == step:
            continue  # the tag of a tagged union (`kind: program` adds a `program` step)
        kept.append(step)
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            current = current[step]
        else:
            current = None
    return tuple(kept)


def _lines_of(source: Path | None) -> LineMap:
    if source is None or not source.exists():
        return LineMap(None)
    try:
        return load_yaml_with_lines(source.read_text(encoding="utf-8"))[1]
    except Exception:  # the loader has read this file already; lines are only a help for messages
        return LineMap(None)


def fee_policy_from(policy_set: PolicySet, source: Path | str | None = None) -> FeePolicy:
    """Validate the institution's `extra.fees` and resolve its thresholds; InputError names file, line and path.

    `source`: the institution.yaml the policy set came from (for line numbers in errors).
    """
    path = Path(source) if source is not None else None
    name = str(path) if path is not None else f"{policy_set.id}/{INSTITUTION_FILE}"
    lines = _lines_of(path)
    prefix: tuple[Any, ...] = ("extra", FEES_KEY)

    def problem(location: Sequence[Any], reason: str) -> InputProblem:
        full = (*prefix, *location)
        return InputProblem(name, full, reason, line_of(lines, full))

    data = policy_set.institution.extra.get(FEES_KEY)
    if data is None:
        raise InputError([problem((), f"institution {policy_set.id!r} has no fee schedules (extra.fees)")])
    try:
        fees = Fees.model_validate(data)
    except ValidationError as exc:
        invalid: list[InputProblem] = []
        for err in exc.errors(include_url=False):
            location = _loc(err["loc"], data)
            if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
                location = (*location, "kind")
            invalid.append(problem(location, pydantic_reason(err)))
        raise InputError(invalid) from None
    requirements = {full_id: node for policy in policy_set.policies for full_id, node in walk(policy.requirements)}
    problems: list[InputProblem] = []
    schedules: list[FeeSchedule] = []
    for index, schedule in enumerate(fees.schedules):
        if isinstance(schedule, GraduateCreditFees) and schedule.threshold.requirement is not None:
            wanted = schedule.threshold.requirement
            node = requirements.get(wanted)
            if not isinstance(node, Credits) or node.unit != "credits":
                what = "no requirement has that id" if node is None else "it is not a `credits` requirement in credits"
                problems.append(problem(("schedules", index, "threshold", "requirement"), f"{wanted!r}: {what}"))
                continue
            resolved = Threshold(
                requirement=wanted,
                credits=node.min,
                overrides=[
                    ThresholdOverride(when=o.when, credits=o.min, add=o.add_min)
                    for o in node.overrides
                    if o.min is not None or o.add_min is not None
                ],
            )
            schedule = schedule.model_copy(update={"threshold": resolved})
        schedules.append(schedule)
    if problems:
        raise InputError(problems)
    return FeePolicy(policy_set.institution, fees.model_copy(update={"schedules": schedules}), name)


_SHIPPED: dict[str, FeePolicy] = {}


def load_shipped_fees(institution: str) -> FeePolicy:
    """The fee policy shipped with menkan for one institution (loaded once per process)."""
    if institution not in _SHIPPED:
        policy_set = load_shipped(institution)
        _SHIPPED[institution] = fee_policy_from(policy_set, SHIPPED_POLICIES / institution / INSTITUTION_FILE)
    return _SHIPPED[institution]


# ---------------------------------------------------------------------------------------------------------------
# The statement.


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


# ---------------------------------------------------------------------------------------------------------------
# Helpers: numbers and money as text, rates, items, thresholds.


def _n(value: Decimal) -> str:
    """Credits as text: 3, 1.5."""
    normalized = value.normalize()
    return f"{normalized:f}" if normalized != normalized.to_integral_value() else str(int(normalized))


def _money(value: Decimal, currency: str) -> str:
    sign = "NT$ " if currency == "TWD" else f"{currency} "
    whole = value == value.to_integral_value()
    return sign + (f"{int(value):,}" if whole else f"{value:,.2f}")


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _text(zh: str, en: str) -> Localized:
    return Localized.model_validate({"zh-TW": zh, "en": en})


class _Context:
    """The student, the term and the policy, with the lookups every schedule kind needs."""

    def __init__(self, student: Student, policy: FeePolicy, term: Term) -> None:
        self.student, self.policy, self.term = student, policy, term
        self.currency = policy.fees.currency
        self.places = policy.fees.places

    def problem(self, index: int, field: str, reason: str) -> InputError:
        path = ("extra", FEES_KEY, "schedules", index, field)
        return InputError([InputProblem(self.policy.source, path, reason)])

    def rate(self, index: int, rates: Sequence[Rate]) -> Decimal:
        chosen = None
        for rate in rates:
            if applies(rate.when, self.student):
                chosen = rate
        if chosen is None:
            student = self.student
            raise self.problem(
                index,
                "rates",
                f"no rate applies to {student.student_id} (department {student.department}, "
                f"admitted {student.admission_term}, {student.degree})",
            )
        return chosen.per_credit

    def items(self, index: int, field: str, items: Sequence[FeeItem]) -> list[FeeLine]:
        chosen: dict[str, FeeItem] = {}
        order: list[str] = []
        for item in items:
            if item.id not in order:
                order.append(item.id)
            if applies(item.when, self.student):
                chosen[item.id] = item
        lines = [
            FeeLine(f"{field}.{chosen[i].id}", chosen[i].title, _round(chosen[i].amount, self.places))
            for i in order
            if i in chosen
        ]
        if not lines:
            raise self.problem(index, field, f"no item applies to {self.student.student_id}")
        return lines

    def credit_line(self, credits: Decimal, rate: Decimal) -> FeeLine:
        return FeeLine(
            "credit-fee",
            _text("學分費", "Credit fees"),
            _round(credits * rate, self.places),
            credits=credits,
            rate=rate,
        )

    def threshold(self, threshold: Threshold) -> Decimal:
        value = threshold.credits if threshold.credits is not None else ZERO
        extra = ZERO
        for override in threshold.overrides:
            if applies(override.when, self.student):
                if override.credits is not None:
                    value = override.credits
                if override.add is not None:
                    extra += override.add
        return value + extra


def _term_courses(student: Student, term: Term) -> list[CourseRecord]:
    """The courses billed in the term: its records (after add/drop), transferred credits excluded."""
    return [course for course in student.courses if course.term == term and not course.transfer]


def _status(student: Student, term: Term) -> str:
    return next((e.status for e in student.enrollment if e.term == term), "enrolled")


def _course_list(items: Sequence[tuple[CourseRecord, str | None]], lang: str) -> str:
    reasons = {
        "failed": ("不及格", "failed"),
        "withdrawn": ("停修 W", "withdrawn, W"),
        "pending": ("尚無成績", "no grade"),
    }
    parts = []
    for course, reason in items:
        zh_reason, en_reason = reasons.get(reason or "", ("", ""))
        if lang == "zh-TW":
            extra = f"，{zh_reason}" if zh_reason else ""
            parts.append(f"{course.title}（{course.code}@{course.term}，{_n(course.credits)} 學分{extra}）")
        else:
            extra = f", {en_reason}" if en_reason else ""
            parts.append(f"{course.title} ({course.code}@{course.term}, {_n(course.credits)} credits{extra})")
    return ("、" if lang == "zh-TW" else "; ").join(parts)


_NOT_EARNED = (Outcome.FAILED, Outcome.WITHDRAWN, Outcome.PENDING)

BASIS = Explanation(
    "add-drop",
    _text(
        "學分費依加退選結束後的選課紀錄計算：加退選期間退選的課程不在紀錄上，不收費；加退選後停修（W）的課程照收，不退費。",
        "Credit fees are computed on your courses after the add/drop period: a course dropped during add/drop is "
        "not on your record and is not billed; a course withdrawn after it (W) is billed and not refunded.",
    ),
)


# ---------------------------------------------------------------------------------------------------------------
# The schedule kinds.


def _graduate(ctx: _Context, index: int, schedule: GraduateCreditFees, courses: list[CourseRecord]) -> dict[str, Any]:
    student, term, institution = ctx.student, ctx.term, ctx.policy.institution
    repeatable: Callable[[CourseRecord], bool] | None = None
    if institution.repeats.repeatable is not None:
        repeatable = compile_filter(institution.repeats.repeatable, student)
    ledger = build_ledger(student, institution, term, repeatable=repeatable)
    transferred = passed = ZERO
    missed: list[tuple[CourseRecord, str | None]] = []
    for entry in ledger.entries:
        course = entry.course
        if not (course.term < term or course.transfer):
            continue
        if entry.countable:
            if course.transfer:
                transferred += course.credits
            else:
                passed += course.credits
        elif entry.outcome in _NOT_EARNED and not entry.repeated and course.credits > ZERO:
            missed.append((course, entry.outcome.value))
    accumulated = transferred + passed
    threshold = ctx.threshold(schedule.threshold)
    room = max(ZERO, threshold - accumulated)
    charges: list[CourseCharge] = []
    for course in courses:
        billed = min(course.credits, room)
        room -= billed
        charges.append(
            CourseCharge(
                course.ref, course.code, course.title, course.credits, billed, course.credits - billed, course.grade
            )
        )
    enrolled = sum((c.credits for c in courses), ZERO)
    billed_total = sum((c.billed for c in charges), ZERO)
    exempt_total = enrolled - billed_total
    rate = ctx.rate(index, schedule.rates)
    lines = (ctx.credit_line(billed_total, rate),)
    a, m, n, b, e = _n(accumulated), _n(threshold), _n(enrolled), _n(billed_total), _n(exempt_total)
    t, p = _n(transferred), _n(passed)
    explanations = [BASIS]
    if not courses:
        explanations.append(
            Explanation(
                "no-courses",
                _text("本學期沒有選課紀錄，不收學分費。", "You have no courses this term: no credit fees."),
            )
        )
    elif accumulated >= threshold:
        explanations.append(
            Explanation(
                "past-threshold",
                _text(
                    f"本學期前的累計學分（抵免 {t} + 及格 {p} = {a}）已達本系所最低畢業學分 {m}：本學期所修 {n} 學分"
                    "全數免收學分費，因此學分費為零。這不是系統錯誤。",
                    f"Your accumulated credits before this term (transferred {t} + passed {p} = {a}) already reach "
                    f"your department's minimum graduation credits ({m}): all {n} credits you take this term are "
                    "exempt, so your credit fee is zero. This is not a system error.",
                ),
            )
        )
    elif exempt_total > ZERO:
        explanations.append(
            Explanation(
                "crosses-threshold",
                _text(
                    f"本學期前的累計學分（抵免 {t} + 及格 {p} = {a}）距本系所最低畢業學分 {m} 尚差 {b} 學分：本學期所修"
                    f" {n} 學分只收其中 {b} 學分的學分費，其餘 {e} 學分免收。所以學分費比所修學分少，這不是系統錯誤。",
                    f"Your accumulated credits before this term (transferred {t} + passed {p} = {a}) were {b} short "
                    f"of your department's minimum graduation credits ({m}): of the {n} credits you take this term "
                    f"only {b} are billed and the other {e} are exempt. That is why your bill is lower than your "
                    "course load; it is not a system error.",
                ),
            )
        )
    else:
        explanations.append(
            Explanation(
                "below-threshold",
                _text(
                    f"本學期前的累計學分（抵免 {t} + 及格 {p} = {a}）未達本系所最低畢業學分 {m}：本學期所修 {n} 學分"
                    "全數收費（系內外、大學部、體育、語言及通識課程都算）。",
                    f"Your accumulated credits before this term (transferred {t} + passed {p} = {a}) are below your "
                    f"department's minimum graduation credits ({m}): all {n} credits you take this term are billed "
                    "(courses of any department or level, PE, language and general-education courses alike).",
                ),
            )
        )
    if missed and billed_total > ZERO:
        explanations.append(
            Explanation(
                "not-accumulated",
                _text(
                    f"以前修過但沒有取得學分的課程不計入累計學分：{_course_list(missed, 'zh-TW')}。"
                    "學分費的免收只看實際取得的學分（抵免 + 及格），所以即使以前繳過這些課的學分費，"
                    f"在累計達到 {m} 學分之前仍須繼續繳費。",
                    f"Courses you took earlier without earning their credits do not accumulate: "
                    f"{_course_list(missed, 'en')}. The exemption counts only credits actually earned (transferred + "
                    f"passed), so even if you paid credit fees for those courses before, you keep paying until your "
                    f"accumulated credits reach {m}.",
                ),
            )
        )
    withdrawn_billed = [
        (course, None)
        for course, charge in zip(courses, charges, strict=True)
        if charge.billed > ZERO and course.grade is not None and course.grade in institution.grading.withdrawn_marks
    ]
    if withdrawn_billed:
        explanations.append(
            Explanation(
                "withdrawn-billed",
                _text(
                    f"加退選後停修（W）的課程照收學分費，且依規定不退費：{_course_list(withdrawn_billed, 'zh-TW')}。",
                    "Courses withdrawn after the add/drop period (W) are billed, and the fee is not refunded: "
                    f"{_course_list(withdrawn_billed, 'en')}.",
                ),
            )
        )
    return {
        "lines": lines,
        "enrolled_credits": enrolled,
        "billed_credits": billed_total,
        "exempt_credits": exempt_total,
        "courses": tuple(charges),
        "explanations": tuple(explanations),
        "accumulated_before": accumulated,
        "transferred_credits": transferred,
        "passed_credits": passed,
        "threshold": threshold,
        "not_accumulated": tuple(
            NotAccumulated(c.ref, c.code, c.title, c.credits, reason or "") for c, reason in missed
        ),
    }


def _all_billed(courses: list[CourseRecord]) -> tuple[CourseCharge, ...]:
    return tuple(CourseCharge(c.ref, c.code, c.title, c.credits, c.credits, ZERO, c.grade) for c in courses)


def _program(ctx: _Context, index: int, schedule: ProgramFees, courses: list[CourseRecord]) -> dict[str, Any]:
    enrolled = sum((c.credits for c in courses), ZERO)
    lines = ctx.items(index, "items", schedule.items) if schedule.items else []
    if schedule.rates:
        lines.append(ctx.credit_line(enrolled, ctx.rate(index, schedule.rates)))
    name = schedule.title
    return {
        "lines": tuple(lines),
        "enrolled_credits": enrolled,
        "billed_credits": enrolled if schedule.rates else ZERO,
        "exempt_credits": ZERO,
        "courses": _all_billed(courses) if schedule.rates else (),
        "explanations": (
            BASIS,
            Explanation(
                "program-schedule",
                _text(
                    f"你適用「{name.zh_tw}」：專班自訂的收費標準（見上列各項）。一般碩博士班「累計學分達最低畢業學分後"
                    "免收學分費」的規定不適用於在職專班；費率問題請洽專班辦公室。",
                    f"You are billed on {name.en}, the schedule your program office sets (the lines above). The rule "
                    "that exempts master's and PhD students from credit fees once they reach the minimum graduation "
                    "credits does not apply to in-service programs; ask your program office about its rates.",
                ),
            ),
        ),
    }


def _extension(ctx: _Context, index: int, schedule: ExtensionFees, courses: list[CourseRecord]) -> dict[str, Any]:
    enrolled = sum((c.credits for c in courses), ZERO)
    n, k = _n(enrolled), _n(schedule.full_load_credits)
    if enrolled < schedule.full_load_credits:
        rate = ctx.rate(index, schedule.rates)
        lines = [*ctx.items(index, "basic", schedule.basic), ctx.credit_line(enrolled, rate)]
        money = _money(rate, ctx.currency)
        explanation = Explanation(
            "extension-basic",
            _text(
                f"你本學期在延長修業期間，修 {n} 學分，未滿 {k} 學分：繳交學雜費基數及學分費（{n} 學分 × {money}）。",
                f"You are in an extended study period and take {n} credits, fewer than {k}: you pay the basic "
                f"tuition and fees plus credit fees ({n} credits × {money}).",
            ),
        )
        charges = _all_billed(courses)
        billed = enrolled
    else:
        lines = ctx.items(index, "full", schedule.full)
        explanation = Explanation(
            "extension-full",
            _text(
                f"你本學期在延長修業期間，修 {n} 學分，達 {k} 學分以上：繳交全額學雜費，不另收學分費。",
                f"You are in an extended study period and take {n} credits, {k} or more: you pay the full tuition "
                "and fees, with no separate credit fees.",
            ),
        )
        charges = ()
        billed = ZERO
    return {
        "lines": tuple(lines),
        "enrolled_credits": enrolled,
        "billed_credits": billed,
        "exempt_credits": ZERO,
        "courses": charges,
        "explanations": (BASIS, explanation),
    }


def _referral(schedule: Referral, courses: list[CourseRecord]) -> dict[str, Any]:
    note = schedule.note or _text(
        "你的學分費由所屬單位另定，請洽所屬單位。", "Your fees are set by your own unit: please ask them."
    )
    return {
        "lines": (),
        "enrolled_credits": sum((c.credits for c in courses), ZERO),
        "billed_credits": ZERO,
        "exempt_credits": ZERO,
        "courses": (),
        "explanations": (Explanation("referral", note),),
    }


NO_SCHEDULE = Explanation(
    "no-schedule",
    _text(
        "本學期沒有適用於你的學分費規定，不另計學分費（學雜費依學校公告）。",
        "No credit-fee schedule applies to you this term: no credit fees are computed (tuition and fees are as "
        "the university announces them).",
    ),
)


def _applies_to(schedule: FeeSchedule, student: Student, status: str) -> bool:
    if not applies(schedule.applies_to, student):
        return False
    return schedule.enrollment is None or status in schedule.enrollment


def fee_statement(student: Student, fee_policy: FeePolicy, term: Term) -> FeeStatement:
    """The student's credit-fee statement for `term` under the first schedule that applies to them."""
    status = _status(student, term)
    courses = _term_courses(student, term)
    ctx = _Context(student, fee_policy, term)
    found = next(
        ((i, s) for i, s in enumerate(fee_policy.fees.schedules) if _applies_to(s, student, status)),
        None,
    )
    parts: dict[str, Any]
    if found is None:
        enrolled = sum((c.credits for c in courses), ZERO)
        parts = {
            "lines": (),
            "enrolled_credits": enrolled,
            "billed_credits": ZERO,
            "exempt_credits": ZERO,
            "courses": (),
            "explanations": (NO_SCHEDULE,),
        }
        schedule_id, title, cites = None, None, fee_policy.fees.cites
    else:
        index, schedule = found
        if isinstance(schedule, GraduateCreditFees):
            parts = _graduate(ctx, index, schedule, courses)
        elif isinstance(schedule, ProgramFees):
            parts = _program(ctx, index, schedule, courses)
        elif isinstance(schedule, ExtensionFees):
            parts = _extension(ctx, index, schedule, courses)
        else:
            parts = _referral(schedule, courses)
        schedule_id, title, cites = schedule.id, schedule.title, schedule.cites
    total = sum((line.amount for line in parts["lines"]), ZERO)
    return FeeStatement(
        student_id=student.student_id,
        institution=student.institution,
        term=term,
        currency=fee_policy.fees.currency,
        enrollment=status,
        schedule=schedule_id,
        schedule_title=title,
        cites=cites,
        total=total,
        **parts,
    )


# ---------------------------------------------------------------------------------------------------------------
# Text.


def render_statement(statement: FeeStatement, lang: str = "both") -> str:
    """The statement as text: the bill, the credits, the courses billed and exempt, and the explanations."""
    currency = statement.currency

    def pick(text: Localized) -> str:
        if lang == "zh-TW":
            return text.zh_tw
        if lang == "en":
            return text.en
        return f"{text.zh_tw} {text.en}"

    title = pick(statement.schedule_title) if statement.schedule_title is not None else "—"
    head = f"{statement.student_id}  {statement.institution}  {statement.term}  {title}"
    out = [head, "─" * min(len(head) + 8, 100)]
    if statement.threshold is not None and statement.accumulated_before is not None:
        a, m = _n(statement.accumulated_before), _n(statement.threshold)
        t, p = _n(statement.transferred_credits or ZERO), _n(statement.passed_credits or ZERO)
        accumulated = _text(
            f"本學期前累計學分 {a}（抵免 {t} + 及格 {p}）/ 最低畢業學分 {m}",
            f"accumulated before the term {a} (transferred {t} + passed {p}) / minimum graduation credits {m}",
        )
        out.append(f"  {pick(accumulated)}")
    n, b, e = _n(statement.enrolled_credits), _n(statement.billed_credits), _n(statement.exempt_credits)
    credits = _text(f"本學期 {n} 學分：收費 {b}、免收 {e}", f"enrolled {n} credits: billed {b}, exempt {e}")
    out.append(f"  {pick(credits)}")
    for line in statement.lines:
        if line.credits is not None and line.rate is not None:
            detail = f"{_n(line.credits)} × {_money(line.rate, currency)}"
            out.append(f"  {pick(line.description):<40} {detail:>22} = {_money(line.amount, currency)}")
        else:
            out.append(f"  {pick(line.description):<40} {'':>22}   {_money(line.amount, currency)}")
    out.append(f"  {pick(_text('合計', 'total')):<40} {'':>22} = {_money(statement.total, currency)}")
    for charge in statement.courses:
        share = "" if charge.status != "partly-billed" else f" ({_n(charge.billed)} billed, {_n(charge.exempt)} exempt)"
        grade = f" [{charge.grade}]" if charge.grade else ""
        out.append(f"    {charge.status:<13} {charge.ref} {charge.title} {_n(charge.credits)}{grade}{share}")
    for explanation in statement.explanations:
        if lang in ("zh-TW", "both"):
            out.append(f"  • {explanation.text.zh_tw}")
        if lang in ("en", "both"):
            out.append(f"  • {explanation.text.en}")
    if statement.cites:
        out.append(f"  ({statement.cites})")
    return "\n".join(out)
