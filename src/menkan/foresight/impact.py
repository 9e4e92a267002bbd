"""Policy impact: every student audited under the current and a new policy set, and who the change would change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from menkan.engine import AuditResult, InputError, Runtime, Student, Term, fmt

IMPACT_SCHEMA = "menkan.impact/1"
ABSENT = "absent"  # the status of a requirement (or an audit) on the side that does not have it
FAILURES_KEPT = 200  # students that could not be audited, listed (the rest only counted)

AsOf = Term | Callable[[Student], Term]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the comparison reads of one requirement's result: its status and amounts."""

    status: str
    unit: str
    earned: Decimal | None
    required: Decimal | None

    def text(self) -> str:
        """`met 11 / 11 credits` (`absent` alone when the side has no such requirement)."""
        if self.status == ABSENT:
            return ABSENT
        return f"{self.status} {fmt(self.earned)} / {fmt(self.required)} {self.unit}"


NO_OUTCOME = Outcome(ABSENT, "", None, None)


@dataclass(frozen=True, slots=True)
class RequirementChange:
    """One requirement whose status or earned amount differs (or that only one side has), old → new."""

    id: str
    old: Outcome
    new: Outcome

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "old": _outcome_dict(self.old), "new": _outcome_dict(self.new)}


def as_number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number (whole values as integers)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    if outcome.status == ABSENT:
        return {"status": ABSENT}
    return {
        "status": outcome.status,
        "unit": outcome.unit,
        "earned": as_number(outcome.earned),
        "required": as_number(outcome.required),
    }


@dataclass(frozen=True, slots=True)
class StudentImpact:
    """One student's audits compared: overall status old → new and the requirements that changed (none: unchanged)."""

    student_id: str
    institution: str
    department: str
    as_of: Term
    old_status: str
    new_status: str
    changes: tuple[RequirementChange, ...]

    @property
    def changed(self) -> bool:
        return self.old_status != self.new_status or bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "student_id": self.student_id,
            "institution": self.institution,
            "department": self.department,
            "as_of": str(self.as_of),
            "old_status": self.old_status,
            "new_status": self.new_status,
            "changes": [change.as_dict() for change in self.changes],
        }


@dataclass(frozen=True, slots=True)
class Failure:
    """A student that could not be audited on one side (or both), and why."""

    student_id: str
    side: str  # "current", "new"
    reason: str


def _outcomes(result: AuditResult) -> dict[str, Outcome]:
    """Every node of the result tree by its full id (ids are unique within an audit)."""
    return {node.id: Outcome(node.status, node.unit, node.earned, node.required) for node, _ in result.walk()}


def _differs(old: Outcome, new: Outcome) -> bool:
    # `required` alone changing (a lowered minimum a student is still short of) is not a change for that student
    return old.status != new.status or old.earned != new.earned


def compare(student: Student, old: AuditResult, new: AuditResult) -> StudentImpact:
    """The two audits of one student compared, requirement by requirement (in the old tree's order, then the
    requirements only the new one has)."""
    before, after = _outcomes(old), _outcomes(new)
    changes = [
        RequirementChange(rid, outcome, after.get(rid, NO_OUTCOME))
        for rid, outcome in before.items()
        if _differs(outcome, after.get(rid, NO_OUTCOME))
    ]
    changes += [RequirementChange(rid, NO_OUTCOME, outcome) for rid, outcome in after.items() if rid not in before]
    return StudentImpact(
        student.student_id, student.institution, student.department, new.as_of, old.status, new.status, tuple(changes)
    )


def _term_of(as_of: AsOf, student: Student) -> Term:
    return as_of if isinstance(as_of, Term) else as_of(student)


def student_impact(current: Runtime, new: Runtime, student: Student, as_of: AsOf) -> StudentImpact:
    """One student audited under both runtimes and compared (InputError from either audit passes through)."""
    term = _term_of(as_of, student)
    return compare(student, current.audit(student, as_of=term), new.audit(student, as_of=term))


def impacts(
    current: Runtime | Callable[[Student], Runtime],
    new: Runtime,
    students: Iterable[Student],
    as_of: AsOf,
    failures: list[Failure] | None = None,
) -> Iterator[StudentImpact]:
    """Every student's comparison, one at a time: each pair of full results is dropped once compared, so a
    student body of any size is compared in the memory of one student. `current` may pick the current runtime
    per student (the CLI compiles each institution's once). A student that cannot be audited is left out and,
    if `failures` is given, appended to it with the side that refused it."""
    for student in students:
        runtime = current if isinstance(current, Runtime) else current(student)
        term = _term_of(as_of, student)
        results: list[AuditResult] = []
        for side, side_runtime in (("current", runtime), ("new", new)):
            try:
                results.append(side_runtime.audit(student, as_of=term))
            except InputError as exc:
                if failures is not None:
                    failures.append(Failure(student.student_id, side, exc.first_line))
                break
        if len(results) == 2:
            yield compare(student, results[0], results[1])


@dataclass(slots=True)
class Tally:
    """Students audited and changed in one group (a department)."""

    audited: int = 0
    changed: int = 0


@dataclass(slots=True)
class ImpactReport:
    """What a policy change would change: the changed students (compact, no full results), the counts by
    department and by overall status transition, and the totals. Fed one comparison at a time (`add`)."""

    institution: str
    as_of: str  # the term given, or "" when each student is audited as of their own latest term
    changed: list[StudentImpact] = field(default_factory=list)
    audited: int = 0
    by_department: dict[str, Tally] = field(default_factory=dict)
    transitions: dict[tuple[str, str], int] = field(default_factory=dict)  # (old, new) overall status -> students
    failures: list[Failure] = field(default_factory=list)
    failed: int = 0

    def add(self, impact: StudentImpact) -> None:
        self.audited += 1
        tally = self.by_department.get(impact.department)
        if tally is None:
            tally = self.by_department[impact.department] = Tally()
        tally.audited += 1
        key = (impact.old_status, impact.new_status)
        self.transitions[key] = self.transitions.get(key, 0) + 1
        if impact.changed:
            tally.changed += 1
            self.changed.append(impact)

    def fail(self, failure: Failure) -> None:
        self.failed += 1
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(failure)

    @property
    def changed_count(self) -> int:
        return len(self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": IMPACT_SCHEMA,
            "institution": self.institution,
            "as_of": self.as_of or None,
            "totals": {"audited": self.audited, "changed": self.changed_count, "failed": self.failed},
            "by_department": [
                {"department": name, "audited": tally.audited, "changed": tally.changed}
                for name, tally in sorted(self.by_department.items())
            ],
            "transitions": [
                {"old": old, "new": new, "students": count} for (old, new), count in sorted(self.transitions.items())
            ],
            "students": [impact.as_dict() for impact in self.changed],
            "failures": [
                {"student_id": failure.student_id, "side": failure.side, "reason": failure.reason}
                for failure in self.failures
            ],
        }


def impact_report(
    current: Runtime | Callable[[Student], Runtime],
    new: Runtime,
    students: Iterable[Student],
    as_of: AsOf,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImpactReport:
    """The report over a stream of students (`students` may be a generator: it is read once, in order).
    `progress`, if given, is called with the number of students read so far after each one."""
    report = ImpactReport(new.policy_set.institution.id, str(as_of) if isinstance(as_of, Term) else "")
    failures: list[Failure] = []
    read = 0

    def counted() -> Iterator[Student]:
        nonlocal read
        for student in students:
            yield student
            read += 1
            if progress is not None:
                progress(read)

    for impact in impacts(current, new, counted(), as_of, failures):
        report.add(impact)
        for failure in failures:
            report.fail(failure)
        failures.clear()
    for failure in failures:
        report.fail(failure)
    return report
