"""Pass-rate reports counted over audit results: the institution's items, seniors, tallies by scope.

For each reported item (a requirement id, e.g. `self-learning.resilience`): how many seniors it applies to,
how many passed it (status `met`), how many did not, and the rate, for the whole institution, each college
and each department; plus the seniors who passed every item. The shape is that of NCUT's 114-1 tables
(大四學生數 / 通過人數 / 未通過人數 / 通過率, "87.77%").

Seniors: students in their `senior_year`-th study year (default 4) as of the report's term, by the engine's
one definition (`menkan.engine.study_year`): two enrolled semesters make a year, from `admitted_into_year`
in the admission term; semesters on leave do not advance it (a student admitted 111-1 into year 1 is in year
4 in 114-1 and 114-2, or in 114-2 and 115-1 after one semester of leave; a transfer admitted 113-1 into year 3
is in year 4 in 114-1). Students past that year (extension years, 延修) are not seniors. A senior counts for an
item only when the item applies to them (it is in their audit result); the "all" figure counts the seniors
to whom every item applies, and passed means every item met.

Rates are percentages rounded half-up to two decimals (1320 / 1504 → 87.77%).

Pure: imports only `menkan.engine` (the portal reuses it over stored results; the CLI over a JSONL file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from menkan.engine import (
    INSTITUTION_FILE,
    AuditResult,
    InputError,
    InputProblem,
    Institution,
    PolicySet,
    Runtime,
    Student,
    Term,
    compile,
)
from menkan.engine import study_year as engine_study_year

PASS_RATES_SCHEMA = "menkan.pass-rates/1"
_HUNDREDTH = Decimal("0.01")

Level = Literal["university", "college", "department"]


@dataclass(frozen=True, slots=True)
class ReportItem:
    """One reported item: a requirement (by full id) and how the report's columns name it."""

    id: str
    label: dict[str, str]
    short: dict[str, str]


@dataclass(frozen=True, slots=True)
class PassRateSpec:
    """What an institution's pass-rate report shows (institution.yaml `extra.pass_rates`)."""

    items: tuple[ReportItem, ...]
    senior_year: int = 4
    title: dict[str, str] = field(default_factory=lambda: {"zh-TW": "大四學生通過率", "en": "Pass rates of seniors"})
    all_label: dict[str, str] = field(default_factory=lambda: {"zh-TW": "全數通過", "en": "Passed all"})


def pass_rate_spec(policy_set: PolicySet) -> PassRateSpec:
    """The institution's report items from `workflows.pass_rates` (the loader checked their ids); without one,
    every top-level requirement."""
    source = f"{policy_set.id}/{INSTITUTION_FILE}"
    model = policy_set.institution.workflows.pass_rates
    if model is None:
        items = tuple(
            ReportItem(r.id, r.title.as_dict(), r.title.as_dict()) for p in policy_set.policies for r in p.requirements
        )
        if not items:
            raise InputError([InputProblem(source, ("workflows", "pass_rates"), "no requirements to report on")])
        return PassRateSpec(items)
    spec = PassRateSpec(
        tuple(ReportItem(i.id, i.label.as_dict(), (i.short or i.label).as_dict()) for i in model.items),
        model.senior_year,
    )
    if model.title is not None:
        spec = replace(spec, title=model.title.as_dict())
    if model.all is not None:
        spec = replace(spec, all_label=model.all.label.as_dict())
    return spec


@dataclass(frozen=True, slots=True)
class Tally:
    """Seniors an item applies to, and how many of them passed it."""

    seniors: int = 0
    passed: int = 0

    @property
    def not_passed(self) -> int:
        return self.seniors - self.passed

    @property
    def rate(self) -> Decimal | None:
        """The pass rate in percent, rounded half-up to two decimals (None when there are no seniors)."""
        if self.seniors == 0:
            return None
        return (Decimal(self.passed) * 100 / Decimal(self.seniors)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "-" if rate is None else f"{rate}%"

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "seniors": self.seniors,
            "passed": self.passed,
            "not_passed": self.not_passed,
            "rate": None if rate is None else float(rate),
            "rate_text": self.rate_text,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """The figures of one scope: the university, a college or a department."""

    level: Level
    id: str
    name: dict[str, str]
    college: str | None
    seniors: int
    items: dict[str, Tally]
    all: Tally

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"level": self.level, "id": self.id, "name": self.name}
        if self.level == "department":
            data["college"] = self.college
        data["seniors"] = self.seniors
        data["items"] = {item_id: tally.as_dict() for item_id, tally in self.items.items()}
        data["all"] = self.all.as_dict()
        return data


@dataclass(frozen=True, slots=True)
class PassRateReport:
    institution: str
    institution_name: dict[str, str]
    as_of: Term
    senior_year: int
    title: dict[str, str]
    items: tuple[ReportItem, ...]
    all_label: dict[str, str]
    university: Row
    colleges: tuple[Row, ...]
    departments: tuple[Row, ...]

    def rows(self) -> Iterator[Row]:
        yield self.university
        yield from self.colleges
        yield from self.departments

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": PASS_RATES_SCHEMA,
            "institution": self.institution,
            "institution_name": self.institution_name,
            "as_of": str(self.as_of),
            "senior_year": self.senior_year,
            "senior_definition": "study year = admitted_into_year + (enrolled semesters before as_of) // 2; "
            "semesters on leave do not count",
            "title": self.title,
            "items": [{"id": i.id, "label": i.label, "short": i.short} for i in self.items],
            "all_label": self.all_label,
            "university": self.university.as_dict(),
            "colleges": [row.as_dict() for row in self.colleges],
            "departments": [row.as_dict() for row in self.departments],
        }


def study_year(student: Student, as_of: Term) -> int:
    """The student's study year in `as_of`: the engine's one definition (`menkan.engine.study_year`)."""
    return engine_study_year(student, as_of)


class _Counts:
    __slots__ = ("all", "items", "seniors")

    def __init__(self, item_ids: Sequence[str]) -> None:
        self.seniors = 0
        self.items = {item_id: [0, 0] for item_id in item_ids}
        self.all = [0, 0]

    def add(self, statuses: dict[str, bool], complete: bool) -> None:
        self.seniors += 1
        for item_id, passed in statuses.items():
            self.items[item_id][0] += 1
            self.items[item_id][1] += passed
        if complete:
            self.all[0] += 1
            self.all[1] += all(statuses.values())

    def row(self, level: Level, row_id: str, name: dict[str, str], college: str | None) -> Row:
        items = {item_id: Tally(n, p) for item_id, (n, p) in self.items.items()}
        return Row(level, row_id, name, college, self.seniors, items, Tally(self.all[0], self.all[1]))


class PassRateCounter:
    """Counts seniors one audit result at a time (so a large file need not be held in memory)."""

    def __init__(
        self,
        institution: Institution,
        items: Sequence[ReportItem],
        *,
        senior_year: int = 4,
        as_of: Term | None = None,
        title: dict[str, str] | None = None,
        all_label: dict[str, str] | None = None,
    ) -> None:
        if not items:
            raise ValueError("a pass-rate report needs at least one item")
        defaults = PassRateSpec(tuple(items))
        self.institution = institution
        self.items = tuple(items)
        self.senior_year = senior_year
        self.as_of = as_of
        self.title = title or defaults.title
        self.all_label = all_label or defaults.all_label
        self._ids = [item.id for item in self.items]
        self._university = _Counts(self._ids)
        self._colleges: dict[str, _Counts] = {}
        self._departments: dict[str, _Counts] = {}
        self._college_of = {d.id: d.college for d in institution.departments}

    def add(self, result: AuditResult, student: Student) -> bool:
        """Count one student's result; True when they are a senior to whom at least one item applies."""
        if result.student_id != student.student_id:
            raise ValueError(f"result of {result.student_id} given with the record of {student.student_id}")
        if self.as_of is None:
            self.as_of = result.as_of
        elif result.as_of != self.as_of:
            raise ValueError(f"result of {result.student_id} is as of {result.as_of}, the report as of {self.as_of}")
        if study_year(student, self.as_of) != self.senior_year:
            return False
        statuses: dict[str, bool] = {}
        for item_id in self._ids:
            found = result.find(item_id)
            if found is not None:
                statuses[item_id] = found.met
        if not statuses:
            return False
        complete = len(statuses) == len(self._ids)
        self._university.add(statuses, complete)
        department = student.department
        self._departments.setdefault(department, _Counts(self._ids)).add(statuses, complete)
        college = self._college_of.get(department)
        if college is not None:
            self._colleges.setdefault(college, _Counts(self._ids)).add(statuses, complete)
        return True

    def report(self) -> PassRateReport:
        if self.as_of is None:
            raise ValueError("no results were counted and no `as_of` was given")
        settings = self.institution
        colleges = [
            self._colleges[c.id].row("college", c.id, c.name.as_dict(), None)
            for c in settings.colleges
            if c.id in self._colleges
        ]
        known = {d.id for d in settings.departments}
        departments = [
            self._departments[d.id].row("department", d.id, d.name.as_dict(), d.college)
            for d in settings.departments
            if d.id in self._departments
        ]
        departments += [
            self._departments[code].row("department", code, {"zh-TW": code, "en": code}, None)
            for code in sorted(set(self._departments) - known)
        ]
        return PassRateReport(
            institution=settings.id,
            institution_name=settings.name.as_dict(),
            as_of=self.as_of,
            senior_year=self.senior_year,
            title=self.title,
            items=self.items,
            all_label=self.all_label,
            university=self._university.row("university", settings.id, settings.name.as_dict(), None),
            colleges=tuple(colleges),
            departments=tuple(departments),
        )


def pass_rates(
    results: Iterable[AuditResult],
    students: Iterable[Student],
    institution_settings: Institution,
    items: PassRateSpec | Sequence[ReportItem],
    *,
    senior_year: int | None = None,
    as_of: Term | None = None,
    title: dict[str, str] | None = None,
    all_label: dict[str, str] | None = None,
) -> PassRateReport:
    """The pass-rate report of `results` (audits of `students`, matched by student id, all as of one term).

    `items`: the institution's spec (`pass_rate_spec`), or just the items (then seniors are 4th-year students
    unless `senior_year` says otherwise)."""
    spec = items if isinstance(items, PassRateSpec) else PassRateSpec(tuple(items))
    by_id = {student.student_id: student for student in students}
    counter = PassRateCounter(
        institution_settings,
        spec.items,
        senior_year=senior_year or spec.senior_year,
        as_of=as_of,
        title=title or spec.title,
        all_label=all_label or spec.all_label,
    )
    for result in results:
        student = by_id.get(result.student_id)
        if student is None:
            raise ValueError(f"no student record for the result of {result.student_id}")
        counter.add(result, student)
    return counter.report()


def audit_pass_rates(
    students: Iterable[Student],
    policies: PolicySet | Runtime,
    as_of: Term,
    spec: PassRateSpec | None = None,
) -> tuple[PassRateReport, int]:
    """Audit `students` of the policies' institution as of `as_of` and report their pass rates.

    `policies`: compiled already (the portal keeps one runtime per published version), or compiled here once
    for all the students. Returns the report and how many students of other institutions were skipped."""
    runtime = policies if isinstance(policies, Runtime) else compile(policies)
    policy_set = runtime.policy_set
    spec = spec or pass_rate_spec(policy_set)
    counter = PassRateCounter(
        policy_set.institution,
        spec.items,
        senior_year=spec.senior_year,
        as_of=as_of,
        title=spec.title,
        all_label=spec.all_label,
    )
    skipped = 0
    for student in students:
        if student.institution != policy_set.id:
            skipped += 1
            continue
        counter.add(runtime.audit(student, as_of=as_of), student)
    return counter.report(), skipped
