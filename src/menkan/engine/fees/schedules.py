"""Credit-fee statements: `fee_statement(student, fee_policy, term)`, a pure function with Decimal money.

The schedules are data (`menkan.engine.policy.fees`, read from institution.yaml `workflows.fees`). A statement is
computed on the student's course records of the term, which are the courses after add/drop: a course dropped
during add/drop is not on the record (not billed); a course withdrawn later (grade W) is, and is billed.

Graduate credit fees (`graduate-credits`): every enrolled credit is billed until the accumulated credits
(transferred + passed in earlier terms; failed, withdrawn and ungraded courses do not accumulate) reach the
minimum graduation credits; a term that crosses it is billed only for the credits up to it; beyond it, exempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from menkan.engine.errors import InputError, InputProblem
from menkan.engine.fees.policy import FeePolicy
from menkan.engine.fees.rendering import bilingual, credits_text, money_text
from menkan.engine.fees.statement import ZERO, CourseCharge, Explanation, FeeLine, FeeStatement, NotAccumulated
from menkan.engine.filters import applies, compile_filter
from menkan.engine.ledger import Outcome, build_ledger
from menkan.engine.policy.fees import (
    FEES_KEY,
    ExtensionFees,
    FeeItem,
    FeeSchedule,
    GraduateCreditFees,
    ProgramFees,
    Rate,
    Referral,
    Threshold,
)
from menkan.engine.policy.models import Localized
from menkan.engine.records import CourseRecord, Student
from menkan.engine.terms import Term

# ---------------------------------------------------------------------------------------------------------------
# Helpers: numbers and money as text, rates, items, thresholds.


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class _Context:
    """The student, the term and the policy, with the lookups every schedule kind needs."""

    def __init__(self, student: Student, policy: FeePolicy, term: Term) -> None:
        self.student, self.policy, self.term = student, policy, term
        self.currency = policy.fees.currency
        self.places = policy.fees.places

    def problem(self, index: int, field: str, reason: str) -> InputError:
        path = ("workflows", FEES_KEY, "schedules", index, field)
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
            bilingual("學分費", "Credit fees"),
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
            parts.append(f"{course.title}（{course.code}@{course.term}，{credits_text(course.credits)} 學分{extra}）")
        else:
            extra = f", {en_reason}" if en_reason else ""
            parts.append(f"{course.title} ({course.code}@{course.term}, {credits_text(course.credits)} credits{extra})")
    return ("、" if lang == "zh-TW" else "; ").join(parts)


_NOT_EARNED = (Outcome.FAILED, Outcome.WITHDRAWN, Outcome.PENDING)

#: the general sentence on what a statement is computed on (the course records after add/drop); an institution's
#: own rules about it (e.g. that withdrawn courses are not refunded) are its schedules' `explanations.add-drop`
BASIS = Explanation(
    "add-drop",
    bilingual(
        "學分費依加退選結束後的選課紀錄計算：加退選期間退選的課程不在紀錄上，不收費；加退選後停修（W）的課程照收。",
        "Credit fees are computed on your courses after the add/drop period: a course dropped during add/drop is "
        "not on your record and is not billed; a course withdrawn after it (W) is billed.",
    ),
)


def _basis(schedule: FeeSchedule) -> Explanation:
    """What the statement is computed on, as the schedule words it (`explanations.add-drop`), else BASIS."""
    return Explanation(BASIS.code, _worded(schedule, BASIS.code, BASIS.text))


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
    a, m, n, b, e = (
        credits_text(accumulated),
        credits_text(threshold),
        credits_text(enrolled),
        credits_text(billed_total),
        credits_text(exempt_total),
    )
    t, p = credits_text(transferred), credits_text(passed)
    explanations = [_basis(schedule)]
    if not courses:
        explanations.append(
            Explanation(
                "no-courses",
                bilingual("本學期沒有選課紀錄，不收學分費。", "You have no courses this term: no credit fees."),
            )
        )
    elif accumulated >= threshold:
        explanations.append(
            Explanation(
                "past-threshold",
                bilingual(
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
                bilingual(
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
                bilingual(
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
                bilingual(
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
                _worded(
                    schedule,
                    "withdrawn-billed",
                    bilingual(
                        "加退選後停修（W）的課程照收學分費：{courses}。",
                        "Courses withdrawn after the add/drop period (W) are billed: {courses}.",
                    ),
                    courses=(_course_list(withdrawn_billed, "zh-TW"), _course_list(withdrawn_billed, "en")),
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


class _Fields:
    """Fields for `str.format_map` that leave a name they have not as written (`{name}`)."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return self._values.get(key, "{" + key + "}")


def _worded(schedule: FeeSchedule, code: str, default: Localized, **fields: tuple[str, str]) -> Localized:
    """The explanation `code` as the schedule words it (`explanations`), else `default`, with `fields` (zh-TW, en)
    filled in; a field the wording does not use is ignored, one it names but the code has not is left as written."""
    text = schedule.explanations.get(code, default)
    zh = _Fields({name: value[0] for name, value in fields.items()})
    en = _Fields({name: value[1] for name, value in fields.items()})
    return bilingual(text.zh_tw.format_map(zh), text.en.format_map(en))


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
            _basis(schedule),
            Explanation(
                "program-schedule",
                _worded(
                    schedule,
                    "program-schedule",
                    bilingual(
                        "你適用「{title}」：所屬單位自訂的收費標準（見上列各項）；費率問題請洽所屬單位。",
                        "You are billed on {title}, the schedule your program office sets (the lines above); ask your "
                        "program office about its rates.",
                    ),
                    title=(name.zh_tw, name.en),
                ),
            ),
        ),
    }


def _extension(ctx: _Context, index: int, schedule: ExtensionFees, courses: list[CourseRecord]) -> dict[str, Any]:
    enrolled = sum((c.credits for c in courses), ZERO)
    n, k = credits_text(enrolled), credits_text(schedule.full_load_credits)
    if enrolled < schedule.full_load_credits:
        rate = ctx.rate(index, schedule.rates)
        lines = [*ctx.items(index, "basic", schedule.basic), ctx.credit_line(enrolled, rate)]
        money = money_text(rate, ctx.currency)
        explanation = Explanation(
            "extension-basic",
            bilingual(
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
            bilingual(
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
        "explanations": (_basis(schedule), explanation),
    }


def _referral(schedule: Referral, courses: list[CourseRecord]) -> dict[str, Any]:
    note = schedule.note or bilingual(
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
    bilingual(
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
