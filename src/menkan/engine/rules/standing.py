"""Standing checks: ethics, semester credits, study period and stage, leave, failed share, exams, rank, admission."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.ledger import Entry, Outcome
from menkan.engine.messages import text
from menkan.engine.policy.models import (
    AdmissionYear,
    Ethics,
    Exams,
    FailedShare,
    LeaveLimit,
    PassedByStudyEnd,
    RankTop,
    Reference,
    RequirementBase,
    SemesterCredits,
    SemestersLeft,
    StudyPeriod,
)
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, fmt
from menkan.engine.terms import Term

_ZERO = Decimal(0)


def _result(
    node: RequirementBase,
    full_id: str,
    status: Status,
    unit: str,
    required: Decimal | None,
    earned: Decimal | None,
    missing: dict[str, str],
    **extra: object,
) -> RequirementResult:
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind_name,
        status=status,
        unit=unit,  # type: ignore[arg-type]
        required=required,
        earned=earned,
        cites=node.cites,
        missing=missing if status != "met" else text("", ""),
        advisory=node.advisory,
        **extra,  # type: ignore[arg-type]
    )


def ethics(ctx: Context, node: Ethics, full_id: str) -> RequirementResult:
    grades = {grade.term: grade for grade in ctx.student.ethics}
    terms = ctx.enrolled_terms()
    failed = [term for term in terms if term in grades and not grades[term].passed]
    unrecorded = [term for term in terms if term not in grades]
    passed = len(terms) - len(failed) - len(unrecorded)
    not_applied = [NotApplied(str(t), "failed") for t in failed]
    not_applied += [NotApplied(str(t), "no-record") for t in unrecorded]
    current_only = unrecorded == [ctx.as_of] or (not unrecorded)
    status: Status = (
        "not-met" if failed else ("met" if not unrecorded else ("in-progress" if current_only else "not-met"))
    )
    if failed:
        missing = text(
            "操行成績不及格：" + "、".join(map(str, failed)),
            "Failing ethics grade in " + ", ".join(map(str, failed)),
        )
    else:
        missing = text(
            "尚無操行成績：" + "、".join(map(str, unrecorded)),
            "No ethics grade recorded for " + ", ".join(map(str, unrecorded)),
        )
    return _result(
        node,
        full_id,
        status,
        "semesters",
        Decimal(len(terms)),
        Decimal(passed),
        missing,
        not_applied=not_applied,
    )


def semester_credits(ctx: Context, node: SemesterCredits, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    taken: dict[Term, Decimal] = {}
    for entry in ctx.ledger.entries:
        if entry.outcome is not Outcome.WITHDRAWN and not entry.course.term.is_summer:
            taken[entry.course.term] = taken.get(entry.course.term, Decimal(0)) + entry.course.credits
    extension_terms = {record.term for record in ctx.student.enrollment if record.status == "extension"}
    below: list[NotApplied] = []
    per_term: dict[str, object] = {}
    for term in ctx.enrolled_terms():
        position = ctx.position(term)
        minimum = node.min
        if node.final_year is not None and node.final_year_min is not None and position.year >= node.final_year:
            minimum = node.final_year_min
        extension = term in extension_terms
        if extension and node.extension_min is not None:
            minimum = node.extension_min
        credits = taken.get(term, Decimal(0))
        per_term[str(term)] = {
            "credits": float(credits),
            "minimum": float(minimum),
            "study_year": position.year,
            "semester": position.semester,
            "extension": extension,
        }
        if credits < minimum:
            detail = f"minimum {fmt(minimum)} (study year {position.year}, semester {position.semester})"
            below.append(NotApplied(str(term), "below-minimum", amount=credits, detail=detail))
    status: Status = "met" if not below else "not-met"
    missing = text(
        "學分數低於下限的學期：" + "、".join(b.ref for b in below),
        "Semesters below the minimum credit load: " + ", ".join(b.ref for b in below),
    )
    return _result(
        node,
        full_id,
        status,
        "semesters",
        Decimal(len(per_term)),
        Decimal(len(per_term) - len(below)),
        missing,
        not_applied=below,
        details={"terms": per_term},
    )


def study_period(ctx: Context, node: StudyPeriod, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    student = ctx.student
    position = ctx.position(ctx.as_of)
    years_used = position.years_used
    granted = sum(extension.years for extension in student.extensions)
    allowed = node.years + node.extension_years
    details = {
        "semesters_enrolled": position.semesters,
        "years_used": float(years_used),
        "study_year": position.year,
        "semester": position.semester,
        "study_period": node.years,
        "extension_allowed": node.extension_years,
        "extension_granted": granted,
        "in_extension": years_used > node.years,
    }
    status: Status
    if years_used > allowed:
        status = "not-met"
        missing = text(
            f"已逾修業年限 {node.years} 年及延長 {node.extension_years} 年",
            f"Beyond the study period of {node.years} years and {node.extension_years} years of extension",
        )
    else:
        status = "met"
        missing = text("", "")
    return _result(
        node,
        full_id,
        status,
        "years",
        Decimal(allowed),
        years_used,
        missing,
        display=f"{fmt(years_used)} / {node.years} (+{node.extension_years})",
        details=details,
    )


def _study_period_of(ctx: Context, ref: str) -> StudyPeriod:
    """The study-period requirement `ref` (a full id the loader checked), as it applies to this student."""
    target = ctx.nodes.get(ref)
    if not isinstance(target, StudyPeriod):
        raise ValueError(f"{ref!r} is not a study-period requirement")
    return ctx.resolve(target)


def _where(year: int, semester: int) -> dict[str, str]:
    return text(f"第{year}學年第{semester}學期", f"study year {year}, semester {semester}")


def semesters_left(ctx: Context, node: SemestersLeft, full_id: str) -> RequirementResult:
    period = _study_period_of(ctx, node.study_period)
    position = ctx.position(ctx.as_of)
    left = position.semesters_left(period.years)
    where = _where(position.year, position.semester)
    now = f"{ctx.as_of}"
    status: Status = "met"
    missing = text("", "")
    if left < node.min_left:
        if left < 0:
            missing = text(
                f"{now} 為{where['zh-TW']}，已逾修業年限 {period.years} 年，此時畢業並非提前畢業",
                f"{now} is {where['en']}, past the {period.years}-year study period: graduating now is not early",
            )
        elif left == 0:
            missing = text(
                f"{now} 為{where['zh-TW']}，即修業年限 {period.years} 年之最後一學期，此時畢業並非提前畢業",
                f"{now} is {where['en']}, the last semester of the {period.years}-year study period: "
                "graduating now is not early",
            )
        else:
            missing = text(
                f"{now} 為{where['zh-TW']}，距修業年限結束僅餘 {left} 學期，須至少提前 {node.min_left} 學期",
                f"{now} is {where['en']}, {left} semester(s) before the end of the study period; "
                f"at least {node.min_left} are needed",
            )
        status = "not-met"
    elif node.max_left is not None and left > node.max_left:
        missing = text(
            f"{now} 為{where['zh-TW']}，此時畢業將提前 {left} 學期；至多提前 {node.max_left} 學期",
            f"{now} is {where['en']}: graduating now would be {left} semesters early; "
            f"at most {node.max_left} are allowed",
        )
        status = "not-met"
    return _result(
        node,
        full_id,
        status,
        "semesters",
        Decimal(node.min_left),
        Decimal(left),
        missing,
        display=f"{left} / {node.min_left}–{node.max_left}"
        if node.max_left is not None
        else f"{left} / {node.min_left}",
        details={
            "study_year": position.year,
            "semester": position.semester,
            "study_period": period.years,
            "semesters_left": left,
        },
    )


@dataclass(slots=True)
class _YearTally:
    """Credits of one study year's courses: taken (graded or pending), failed, pending; and their terms."""

    terms: set[Term] = field(default_factory=set)
    taken: Decimal = _ZERO
    failed: Decimal = _ZERO
    pending: Decimal = _ZERO


def failed_share(ctx: Context, node: FailedShare, full_id: str) -> RequirementResult:
    select = ctx.selection(node.include, node.exclude)
    years: dict[int, _YearTally] = {}
    for entry in ctx.ledger.entries:
        course = entry.course
        if entry.outcome is Outcome.WITHDRAWN or entry.leave_term or not course.credits or not select(course):
            continue
        tally = years.setdefault(ctx.position(course.term).year, _YearTally())
        tally.terms.add(course.term)
        tally.taken += course.credits
        if entry.outcome is Outcome.FAILED:
            tally.failed += course.credits
        elif entry.outcome is Outcome.PENDING:
            tally.pending += course.credits
    now = ctx.position(ctx.as_of)
    reached: list[NotApplied] = []
    at_risk: list[NotApplied] = []
    details: dict[str, object] = {}
    worst = (_ZERO, _ZERO, _ZERO)  # share, failed, taken of the year with the highest share
    percent = fmt(node.max_fraction * 100)
    lines_zh: list[str] = []
    lines_en: list[str] = []
    for year in sorted(years):
        tally = years[year]
        taken, failed, pending = tally.taken, tally.failed, tally.pending
        terms = sorted(tally.terms)
        over = now.index >= (year - 1) * 2 + 2
        limit = node.max_fraction * taken
        share = (failed / taken).quantize(Decimal("0.0001"))
        worst = max(worst, (share, failed, taken))
        state = "ok"
        if failed >= limit and over:
            state = "reached"
        elif failed + pending >= limit:
            state = "at-risk"
        details[str(year)] = {
            "terms": [str(t) for t in terms],
            "taken": float(taken),
            "failed": float(failed),
            "pending": float(pending),
            "year_over": over,
            "state": state,
        }
        if state == "ok":
            continue
        span = "、".join(map(str, terms))
        span_en = ", ".join(map(str, terms))
        item = NotApplied(
            f"study-year-{year}",
            f"failed-share-{state}",
            f"study year {year} ({span_en})",
            failed,
            f"{fmt(failed)} of {fmt(taken)} credits failed",
        )
        (reached if state == "reached" else at_risk).append(item)
        if state == "reached":
            lines_zh.append(f"第{year}學年（{span}）不及格 {fmt(failed)} 學分，達修習 {fmt(taken)} 學分之 {percent}%")
            lines_en.append(
                f"study year {year} ({span_en}): {fmt(failed)} of {fmt(taken)} credits failed, "
                f"{percent}% or more of the credits taken"
            )
        else:
            lines_zh.append(
                f"第{year}學年（{span}）不及格 {fmt(failed)} 學分、未評分 {fmt(pending)} 學分，修習 {fmt(taken)} 學分："
                f"學年未結束或成績未定，可能達 {percent}%"
            )
            lines_en.append(
                f"study year {year} ({span_en}): {fmt(failed)} of {fmt(taken)} credits failed and {fmt(pending)} "
                f"not graded yet; the year is not over or grades are pending, and {percent}% may be reached"
            )
    status: Status = "not-met" if reached else ("in-progress" if at_risk else "met")
    missing = text("；".join(lines_zh), "; ".join(lines_en))
    share, failed, taken = worst
    return _result(
        node,
        full_id,
        status,
        "credits",
        taken,
        failed,
        missing,
        display=f"{fmt(failed)} / {fmt(taken)}",
        not_applied=reached + at_risk,
        details={"years": details, "max_fraction": float(node.max_fraction), "highest_share": float(share)},
    )


def passed_by_study_end(ctx: Context, node: PassedByStudyEnd, full_id: str) -> RequirementResult:
    period = _study_period_of(ctx, node.study_period)
    select = ctx.selection(node.include, node.exclude)
    courses: dict[str, list[Entry]] = {}
    for entry in ctx.ledger.entries:
        if select(entry.course):
            courses.setdefault(entry.identity, []).append(entry)
    passed: list[Applied] = []
    open_courses: list[tuple[Entry, bool]] = []  # the latest attempt, and whether one is in progress
    for attempts in courses.values():
        success = next((e for e in attempts if e.outcome is Outcome.PASSED), None)
        if success is not None:
            passed.append(Applied("course", success.ref, Decimal(1), success.course.title, success.course.term))
            continue
        open_courses.append((attempts[-1], any(e.outcome is Outcome.PENDING for e in attempts)))
    years = period.years + sum(extension.years for extension in ctx.student.extensions)
    position = ctx.position(ctx.as_of)
    period_over = position.semesters_left(years) <= 0
    end = _where(years, 2)
    status: Status = "met"
    missing = text("", "")
    if open_courses:
        names = [f"{entry.course.title} ({entry.course.code})" for entry, _ in open_courses]
        final = period_over and not any(pending for _, pending in open_courses)
        status = "not-met" if final else "in-progress"
        if final:
            missing = text(
                f"修業期滿（{end['zh-TW']}）仍未通過：" + "、".join(names),
                f"Not passed by the end of the study period ({end['en']}): " + ", ".join(names),
            )
        else:
            missing = text(
                f"尚未通過，須於修業期滿（{end['zh-TW']}）前通過：" + "、".join(names),
                f"Not passed yet; to be passed by the end of the study period ({end['en']}): " + ", ".join(names),
            )
    not_applied = [
        NotApplied(entry.ref, entry.reason or "pending", entry.course.title, entry.course.credits)
        for entry, _ in open_courses
    ]
    return _result(
        node,
        full_id,
        status,
        "courses",
        Decimal(len(courses)),
        Decimal(len(passed)),
        missing,
        applied=passed,
        not_applied=not_applied,
        details={"study_period_years": years, "study_period_over": period_over},
    )


def leave_limit(ctx: Context, node: LeaveLimit, full_id: str) -> RequirementResult:
    exempt = set(node.exempt_reasons)
    counted: list[str] = []
    not_counted: list[NotApplied] = []
    for record in ctx.student.enrollment:
        if record.status != "leave" or record.term > ctx.as_of or record.term.is_summer:
            continue
        if record.reason in exempt:
            not_counted.append(NotApplied(str(record.term), "exempt", detail=record.reason))
        else:
            counted.append(str(record.term))
    used = Decimal(len(counted))
    status: Status = "met" if used <= node.max_semesters else "not-met"
    missing = text(
        f"休學累計 {fmt(used)} 學期，超過上限 {node.max_semesters} 學期",
        f"{fmt(used)} semesters of leave, over the limit of {node.max_semesters}",
    )
    return _result(
        node,
        full_id,
        status,
        "semesters",
        Decimal(node.max_semesters),
        used,
        missing,
        display=f"{fmt(used)} / {node.max_semesters}",
        not_applied=not_counted,
        details={"counted_terms": counted},
    )


def exams(ctx: Context, node: Exams, full_id: str) -> RequirementResult:
    states: dict[str, str] = {}
    for kind in node.exams:
        records = sorted(
            (e for e in ctx.student.degree_exams if e.kind == kind and e.term <= ctx.as_of),
            key=lambda e: e.term,
        )
        states[kind] = "not-taken" if not records else ("passed" if records[-1].passed else "failed")
    passed = sum(state == "passed" for state in states.values())
    status: Status
    if node.only_failures:
        status = "not-met" if any(state == "failed" for state in states.values()) else "met"
    elif passed == len(node.exams):
        status = "met"
    elif any(state == "failed" for state in states.values()):
        status = "not-met"
    else:
        status = "in-progress"
    names = {"qualifying": ("資格考", "qualifying exam"), "defense": ("學位考試", "thesis defense")}
    open_exams = [kind for kind, state in states.items() if state != "passed"]
    missing = text(
        "尚未通過：" + "、".join(names[k][0] for k in open_exams),
        "Not yet passed: " + ", ".join(names[k][1] for k in open_exams),
    )
    return _result(
        node,
        full_id,
        status,
        "requirements",
        Decimal(len(node.exams)),
        Decimal(passed),
        missing,
        details={"exams": states},
    )


def reference(ctx: Context, node: Reference, full_id: str) -> RequirementResult:
    target = ctx.result_of(node.ref)
    if target is None:
        status: Status = "not-met"
        missing = text("不適用", "Does not apply to this student")
    else:
        status = target.status
        missing = target.missing
    return _result(
        node,
        full_id,
        status,
        "requirements",
        Decimal(1),
        Decimal(1 if status == "met" else 0),
        missing,
        details={"ref": node.ref},
    )


def rank(ctx: Context, node: RankTop, full_id: str) -> RequirementResult:
    ranks = sorted((r for r in ctx.student.ranks if r.term <= ctx.as_of), key=lambda r: r.term)
    if not ranks:
        return _result(
            node,
            full_id,
            "not-met",
            "requirements",
            node.top_fraction,
            None,
            text("尚無名次資料", "No rank on record"),
        )
    latest = ranks[-1]
    fraction = Decimal(latest.position) / Decimal(latest.size)
    status: Status = "met" if fraction <= node.top_fraction else "not-met"
    missing = text(
        f"名次 {latest.position}/{latest.size}，未在前 {fmt(node.top_fraction * 100)}%",
        f"Rank {latest.position} of {latest.size} is not within the top {fmt(node.top_fraction * 100)}%",
    )
    return _result(
        node,
        full_id,
        status,
        "requirements",
        node.top_fraction,
        fraction.quantize(Decimal("0.0001")),
        missing,
        display=f"{latest.position} / {latest.size}",
        details={"term": str(latest.term)},
    )


def admission(ctx: Context, node: AdmissionYear, full_id: str) -> RequirementResult:
    year = ctx.student.admitted_into_year
    status: Status = "met" if year <= node.max_admitted_into_year else "not-met"
    missing = text(f"入學即就讀 {year} 年級，不得申請", f"Admitted into year {year}: not eligible")
    return _result(node, full_id, status, "years", Decimal(node.max_admitted_into_year), Decimal(year), missing)
