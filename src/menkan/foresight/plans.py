"""Study plans (Look Ahead): planned courses in future terms, validated, and audited term by term by the engine.

A plan is future terms, each with course codes from the institution's catalogue. `plan_from_dict` reads one
(`{"terms": [{"term": "115-1", "courses": ["3404122", {"code": "3405141", "category": "free"}]}]}`) and
`plan_review` checks it against the student and the policies and, when it can be audited, audits it: the student
with the planned courses of the terms up to k added as in-progress course records (code, title and credits from
the catalogue, the term, no grade), `Runtime.audit(student, as_of=term k)`, once per planned term. Nothing is
stored; the caller keeps the plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

from menkan.engine import (
    AuditResult,
    InputError,
    InputProblem,
    RequirementResult,
    Runtime,
    Student,
    Term,
    fmt,
    student_from_dict,
    term_credit_max,
)
from menkan.foresight.catalog import Catalog, CatalogCourse

# Each plan term is one audit; a plan is for the study period that is left, not a lifetime.
MAX_TERMS: Final = 12
MAX_COURSES_PER_TERM: Final = 40
PLAN_FIELDS: Final = frozenset({"terms"})
TERM_FIELDS: Final = frozenset({"term", "courses"})
COURSE_FIELDS: Final = frozenset({"code", "category"})
# What "would be met" means: met, or met once the courses in progress (real and planned) pass.
WOULD_BE_MET: Final = frozenset({"met", "in-progress"})

# The reasons of a plan's problems, by code: (English, zh-TW) templates.
REASONS: Final[dict[str, tuple[str, str]]] = {
    "not-an-object": ("must be an object", "必須是物件"),
    "not-a-list": ("must be a list", "必須是清單"),
    "unknown-field": ("unknown field", "不認得的欄位"),
    "required": ("required", "必填"),
    "not-text": ("must be text", "必須是文字"),
    "no-terms": ("a plan needs at least one term", "規劃至少要有一個學期"),
    "too-many-terms": ("at most {most} terms can be planned", "最多只能規劃 {most} 個學期"),
    "too-many-courses": ("at most {most} courses a term", "每學期最多 {most} 門課"),
    "not-a-term": (
        "{text!r} is not a term (ROC year and semester, e.g. 115-1, 115-2, 115-S)",
        "「{text}」不是學期（民國學年與學期，例如 115-1、115-2、115-S）",
    ),
    "term-not-future": (
        "{term} is not after the current term {current}: only future terms can be planned",
        "{term} 不在目前學期 {current} 之後：只能規劃未來的學期",
    ),
    "term-twice": ("term {term} is planned twice", "學期 {term} 重複規劃"),
    "no-summer": (
        "{institution} offers no summer term to this student (summer maximum 0 credits)",
        "{institution} 不開放此學生修讀暑修（暑期上限 0 學分）",
    ),
    "no-catalogue": ("{institution} has no course catalogue to plan from", "{institution} 沒有可供規劃的課程目錄"),
    "unknown-course": (
        'no course "{code}" in {institution}\'s catalogue',
        "{institution} 的課程目錄中沒有課程「{code}」",
    ),
    "already-passed": (
        'course "{code}" {title} was already passed ({ref}) and would not count again',
        "課程「{code}」{title} 已修過及格（{ref}），再修不會再計",
    ),
    "in-progress": (
        'course "{code}" {title} is already in progress in {term}',
        "課程「{code}」{title} 已在 {term} 修讀中",
    ),
    "planned-twice": (
        'course "{code}" {title} is already planned in {term}',
        "課程「{code}」{title} 已規劃於 {term}",
    ),
    "over-load": (
        "{credits} credits in {term}, over the maximum of {maximum} credits a {kind} for this student ({cites})",
        "{term} 共 {credits} 學分，超過此學生每{kind_zh}上限 {maximum} 學分（{cites}）",
    ),
    "counts-nowhere": (
        'course "{code}" {title} would count toward no requirement: give the category it is taken as',
        "課程「{code}」{title} 不會計入任何要求：請指定以何種類別修讀",
    ),
    "other-semester": (
        'course "{code}" {title} is offered only in {offered} (catalogue), not in {term}',
        "課程「{code}」{title} 依課程目錄只在{offered_zh}開課，{term} 不開",
    ),
}

_SEMESTER_NAMES: Final = {
    "1": ("the fall semester", "上學期"),
    "2": ("the spring semester", "下學期"),
    "S": ("summer", "暑期"),
}


def plan_problem(path: Sequence[str | int], reason: str, /, **params: Any) -> InputProblem:
    """A problem of a plan whose reason is one of `REASONS`, in both languages (no source: the caller's form)."""
    en, zh = REASONS[reason]
    return InputProblem(None, tuple(path), en.format(**params), None, reason, zh.format(**params))


def course_problem(path: Sequence[str | int], reason: str, course: CatalogCourse, /, **params: Any) -> InputProblem:
    """A problem about one planned course of the catalogue (its code and title in the text)."""
    return plan_problem(path, reason, code=course.code, title=course.title, **params)


@dataclass(frozen=True, slots=True)
class PlannedCourse:
    """One planned course: its catalogue code, and the category of the student's curriculum it is taken as
    (None: as the student's earlier attempt of it was, else none)."""

    code: str
    category: str | None = None

    def as_dict(self) -> dict[str, Any] | str:
        return {"code": self.code, "category": self.category} if self.category else self.code


@dataclass(frozen=True, slots=True)
class PlannedTerm:
    term: Term
    courses: tuple[PlannedCourse, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """Future terms with their planned courses, in the order given (`plan_review` audits them in term order)."""

    terms: tuple[PlannedTerm, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        terms = [{"term": str(t.term), "courses": [course.as_dict() for course in t.courses]} for t in self.terms]
        return {"terms": terms}


def plan_from_dict(data: object) -> Plan:
    """Read a plan document (`{"terms": [{"term", "courses": [code | {"code", "category"}]}]}`); InputError names
    every problem of its shape (`$.terms[1].term: '115-3' is not a term …`)."""
    problems: list[InputProblem] = []
    if not isinstance(data, Mapping):
        raise InputError([plan_problem((), "not-an-object")])
    problems += [plan_problem((key,), "unknown-field") for key in data if key not in PLAN_FIELDS]
    rows = data.get("terms")
    if not isinstance(rows, list):
        problems.append(plan_problem(("terms",), "required" if rows is None else "not-a-list"))
        raise InputError(problems)
    if len(rows) > MAX_TERMS:
        problems.append(plan_problem(("terms",), "too-many-terms", most=MAX_TERMS))
    terms: list[PlannedTerm] = []
    for index, row in enumerate(rows):
        planned = _term_from(row, ("terms", index), problems)
        if planned is not None:
            terms.append(planned)
    if problems:
        raise InputError(problems)
    return Plan(tuple(terms))


def _term_from(row: object, path: tuple[str | int, ...], problems: list[InputProblem]) -> PlannedTerm | None:
    if not isinstance(row, Mapping):
        problems.append(plan_problem(path, "not-an-object"))
        return None
    problems += [plan_problem((*path, key), "unknown-field") for key in row if key not in TERM_FIELDS]
    text = row.get("term")
    term: Term | None = None
    if not isinstance(text, str):
        problems.append(plan_problem((*path, "term"), "required" if text is None else "not-text"))
    else:
        try:
            term = Term.parse(text)
        except ValueError:
            problems.append(plan_problem((*path, "term"), "not-a-term", text=text))
    entries = row.get("courses", [])
    if not isinstance(entries, list):
        problems.append(plan_problem((*path, "courses"), "not-a-list"))
        return None
    if len(entries) > MAX_COURSES_PER_TERM:
        problems.append(plan_problem((*path, "courses"), "too-many-courses", most=MAX_COURSES_PER_TERM))
    courses: list[PlannedCourse] = []
    for position, entry in enumerate(entries):
        where = (*path, "courses", position)
        if isinstance(entry, str):
            entry = {"code": entry}
        if not isinstance(entry, Mapping):
            problems.append(plan_problem(where, "not-an-object"))
            continue
        problems += [plan_problem((*where, key), "unknown-field") for key in entry if key not in COURSE_FIELDS]
        code, category = entry.get("code"), entry.get("category")
        if not isinstance(code, str) or not code.strip():
            problems.append(plan_problem((*where, "code"), "required" if not code else "not-text"))
            continue
        if category is not None and not isinstance(category, str):
            problems.append(plan_problem((*where, "category"), "not-text"))
            continue
        courses.append(PlannedCourse(code.strip(), (category or "").strip() or None))
    return PlannedTerm(term, tuple(courses)) if term is not None else None


@dataclass(frozen=True, slots=True)
class PlannedRecord:
    """A planned course as the audit reads it: the catalogue's course, its term, and the category it counts as
    (`category_from`: "plan" when the plan names it, "record" when taken from the student's earlier attempt)."""

    course: CatalogCourse
    term: Term
    category: str | None
    category_from: str | None
    tags: tuple[str, ...] = ()
    offered_by: str | None = None

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "code": self.course.code,
            "title": self.course.title,
            "credits": str(self.course.credits),
            "term": str(self.term),
        }
        if self.category:
            record["category"] = self.category
        if self.tags:
            record["tags"] = list(self.tags)
        if self.offered_by:
            record["offered_by"] = self.offered_by
        return record


@dataclass(slots=True)
class TermOutcome:
    """One planned term audited: its load against the maximum, and what would be met after it."""

    term: Term
    courses: list[PlannedRecord]
    credits: Decimal  # planned plus the credits the record already has in this term (pre-registered)
    maximum: Decimal | None
    result: AuditResult
    met: frozenset[str]  # the requirement ids that would be met after this term
    newly_met: list[str]  # of those, the ones not met after the term before (tree order)

    @property
    def over(self) -> bool:
        return self.maximum is not None and self.credits > self.maximum


@dataclass(slots=True)
class PlanReview:
    """A plan checked and, when it can be, audited. `problems` keep it from being saved; `warnings` do not.
    `terms` is empty when a problem other than a term's load keeps it from being audited."""

    plan: Plan
    current: Term
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[InputProblem] = field(default_factory=list)
    baseline: AuditResult | None = None
    baseline_met: frozenset[str] = frozenset()
    terms: list[TermOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows(self) -> Iterator[tuple[RequirementResult, int, list[tuple[str, bool]]]]:
        """Each requirement (tree order, with its depth) and per planned term: its status and whether it turns
        met after that term."""
        if self.baseline is None:
            return
        for requirement, depth in self.baseline.walk():
            cells: list[tuple[str, bool]] = []
            for outcome in self.terms:
                node = outcome.result.find(requirement.id)
                cells.append((node.status if node is not None else "", requirement.id in outcome.newly_met))
            yield requirement, depth, cells


def would_be_met(result: AuditResult) -> frozenset[str]:
    """The requirement ids met, or met once the courses in progress pass."""
    return frozenset(node.id for node, _ in result.walk() if node.status in WOULD_BE_MET)


def plan_review(runtime: Runtime, student: Student, plan: Plan, catalog: Catalog | None, current: Term) -> PlanReview:
    """Check `plan` for `student` (whose institution is in `current`) and audit it term by term."""
    review = PlanReview(plan, current)
    institution = runtime.policy_set.institution
    name = institution.id.upper()
    if catalog is None:
        review.problems.append(plan_problem(("terms",), "no-catalogue", institution=name))
        return review
    if not plan.terms:
        review.problems.append(plan_problem(("terms",), "no-terms"))
    records: list[tuple[tuple[int, int], PlannedRecord]] = []
    blocking = _check_terms(plan, student, runtime, current, review) | _check_courses(
        plan, student, catalog, name, review, records
    )
    # Repeats are read from the ledger of the courses that are known, so they are reported with the other problems.
    blocking = _check_repeats(student, runtime, records, review) or blocking
    if blocking or not plan.terms:
        return review
    _audit(runtime, student, plan, records, review)
    return review


def _check_terms(plan: Plan, student: Student, runtime: Runtime, current: Term, review: PlanReview) -> bool:
    """Terms in the past, twice, or in a summer the student may not take: problems that keep the plan from being
    audited (True when there is one)."""
    blocking = False
    seen: set[Term] = set()
    institution = runtime.policy_set.institution
    for index, planned in enumerate(plan.terms):
        where = ("terms", index, "term")
        if planned.term <= current:
            review.problems.append(plan_problem(where, "term-not-future", term=planned.term, current=current))
            blocking = True
        if planned.term in seen:
            review.problems.append(plan_problem(where, "term-twice", term=planned.term))
            blocking = True
        seen.add(planned.term)
        if planned.term.is_summer and planned.courses:
            maximum = term_credit_max(institution, student, planned.term)
            if maximum is not None and maximum == 0:
                review.problems.append(plan_problem(where, "no-summer", institution=institution.id.upper()))
                blocking = True
    return blocking


def _check_courses(
    plan: Plan,
    student: Student,
    catalog: Catalog,
    name: str,
    review: PlanReview,
    records: list[tuple[tuple[int, int], PlannedRecord]],
) -> bool:
    """Unknown codes, courses planned twice or already in progress; the planned records of the known ones."""
    blocking = False
    earlier = {course.code: course for course in student.courses if course.grade is not None}
    in_progress = {course.code: course for course in student.courses if course.grade is None}
    planned_in: dict[str, Term] = {}
    for index, planned in enumerate(plan.terms):
        for position, entry in enumerate(planned.courses):
            where = ("terms", index, "courses", position)
            course = catalog.course(entry.code)
            if course is None:
                review.problems.append(plan_problem(where, "unknown-course", code=entry.code, institution=name))
                blocking = True
                continue
            if entry.code in planned_in:
                review.problems.append(course_problem(where, "planned-twice", course, term=planned_in[entry.code]))
                blocking = True
                continue
            planned_in[entry.code] = planned.term
            if entry.code in in_progress:
                term = in_progress[entry.code].term
                review.problems.append(course_problem(where, "in-progress", course, term=term))
                blocking = True
                continue
            if planned.term.semester not in course.semesters:
                review.warnings.append(_offered_warning(where, course, planned.term))
            before = earlier.get(entry.code)
            category, source = entry.category, "plan" if entry.category else None
            if category is None and before is not None and before.category:
                category, source = before.category, "record"
            records.append(
                (
                    (index, position),
                    PlannedRecord(
                        course,
                        planned.term,
                        category,
                        source,
                        tags=before.tags if before is not None else (),
                        offered_by=before.offered_by if before is not None else None,
                    ),
                )
            )
    return blocking


def _offered_warning(where: tuple[str | int, ...], course: CatalogCourse, term: Term) -> InputProblem:
    offered = sorted(course.semesters)
    return course_problem(
        where,
        "other-semester",
        course,
        offered=" and ".join(_SEMESTER_NAMES[s][0] for s in offered),
        offered_zh="、".join(_SEMESTER_NAMES[s][1] for s in offered),
        term=term,
    )


def _with_planned(student: Student, records: Sequence[PlannedRecord]) -> Student:
    """The student with `records` added as in-progress course records, validated as real ones are."""
    if not records:
        return student
    carrier = student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": student.student_id,
            "institution": student.institution,
            "department": student.department,
            "admission_term": str(student.admission_term),
            "courses": [record.as_record() for record in records],
        },
        source="plan",
    )
    return replace(student, courses=student.courses + carrier.courses)


def _check_repeats(
    student: Student, runtime: Runtime, records: list[tuple[tuple[int, int], PlannedRecord]], review: PlanReview
) -> bool:
    """Planned courses already passed, by the institution's own identity and repeat rules (the ledger the audit
    reads: a repeatable course, such as NTUT's PE, may be planned again)."""
    if not records:
        return False
    last = max(record.term for _, record in records)
    context = runtime.context(_with_planned(student, [record for _, record in records]), as_of=last)
    passed: dict[str, str] = {}
    existing = len(student.courses)
    blocking = False
    for entry in sorted(context.ledger.entries, key=lambda e: (e.course.term.rank, e.position)):
        if entry.position < existing:
            if entry.outcome == "passed":
                passed.setdefault(entry.identity, entry.course.ref)
            continue
        if entry.repeated and entry.identity in passed:
            (index, position), record = records[entry.position - existing]
            where = ("terms", index, "courses", position)
            review.problems.append(course_problem(where, "already-passed", record.course, ref=passed[entry.identity]))
            blocking = True
    return blocking


def _audit(
    runtime: Runtime,
    student: Student,
    plan: Plan,
    records: list[tuple[tuple[int, int], PlannedRecord]],
    review: PlanReview,
) -> None:
    """One audit now and one after each planned term (in term order); a term over its maximum is a problem."""
    institution = runtime.policy_set.institution
    review.baseline = runtime.audit(student, as_of=review.current)
    met = review.baseline_met = would_be_met(review.baseline)
    order = sorted(range(len(plan.terms)), key=lambda i: plan.terms[i].term)
    taken: list[PlannedRecord] = []
    for index in order:
        term = plan.terms[index].term
        mine = [record for (i, _), record in records if i == index]
        taken += mine
        existing = sum((c.credits for c in student.courses if c.term == term), Decimal(0))
        credits = existing + sum((record.course.credits for record in mine), Decimal(0))
        maximum = term_credit_max(institution, student, term)
        result = runtime.audit(_with_planned(student, taken), as_of=term)
        now = would_be_met(result)
        newly = [node.id for node, _ in result.walk() if node.id in now and node.id not in met]
        outcome = TermOutcome(term, mine, credits, maximum, result, now, newly)
        if outcome.over:
            load = institution.study_load
            summer = term.is_summer
            review.problems.append(
                plan_problem(
                    ("terms", index, "courses"),
                    "over-load",
                    credits=fmt(credits),
                    term=term,
                    maximum=fmt(maximum),
                    kind="summer" if summer else "semester",
                    kind_zh="暑期" if summer else "學期",
                    cites=(load.cites if load is not None else None) or institution.id.upper(),
                )
            )
        review.terms.append(outcome)
        met = now
    if review.terms:
        counted = {item.ref for node, _ in review.terms[-1].result.walk() for item in node.applied}
        for (index, position), record in records:
            if f"{record.course.code}@{record.term}" not in counted:
                where = ("terms", index, "courses", position)
                review.warnings.append(course_problem(where, "counts-nowhere", record.course))
