"""Standing checks: ethics every semester, credits per semester, study period, leave, degree exams, rank, admission."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.ledger import Outcome
from menkan.engine.messages import text
from menkan.engine.policy.models import (
    AdmissionYear,
    Ethics,
    Exams,
    LeaveLimit,
    RankTop,
    Reference,
    RequirementBase,
    SemesterCredits,
    StudyPeriod,
)
from menkan.engine.result import NotApplied, RequirementResult, Status, fmt
from menkan.engine.terms import Term


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
    below: list[NotApplied] = []
    per_term: dict[str, object] = {}
    for term in ctx.enrolled_terms():
        minimum = node.min
        if node.final_year is not None and node.final_year_min is not None and ctx.study_year(term) >= node.final_year:
            minimum = node.final_year_min
        credits = taken.get(term, Decimal(0))
        per_term[str(term)] = {"credits": float(credits), "minimum": float(minimum)}
        if credits < minimum:
            below.append(NotApplied(str(term), "below-minimum", amount=credits, detail=f"minimum {fmt(minimum)}"))
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
    semesters = len(ctx.enrolled_terms())
    years_used = Decimal(semesters) / 2 + (student.admitted_into_year - 1)
    granted = sum(extension.years for extension in student.extensions)
    allowed = node.years + node.extension_years
    details = {
        "semesters_enrolled": semesters,
        "years_used": float(years_used),
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
