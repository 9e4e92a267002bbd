"""Approved exceptions (substitute, assign, exclude, recognise, waive, credit): what each does to an audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from menkan.engine.errors import InputProblem, problem
from menkan.engine.ledger import Entry, Ledger, Outcome, credit_weight
from menkan.engine.policy import models as m
from menkan.engine.records import CourseRecord, RecordException, Student
from menkan.engine.result import NO_MESSAGE, AuditResult, NotApplied, RequirementResult, fmt

R = TypeVar("R", bound=m.RequirementBase)

KIND_NAMES: dict[str, tuple[str, str]] = {
    "substitute": ("課程抵替", "substitute"),
    "assign": ("指定計入", "assign"),
    "exclude": ("不予計入", "exclude"),
    "recognise": ("認定", "recognise"),
    "waive": ("免修", "waive"),
    "credit": ("抵免學分", "credit"),
}


def credit_ref(exception: RecordException) -> str:
    """The ref of the credits a `credit` exception grants, as they appear in `applied`."""
    return f"exception:{exception.id}"


def tiered_parts(node: m.Tiered) -> list[str]:
    """The ids below a tiered program that an exception may name: its tiers, its rules, its credit minimum."""
    return [*(tier.id for tier in node.tiers), *(rule.id for rule in node.outside_rules), "credits"]


def known_requirements(nodes: Mapping[str, m.Requirement]) -> set[str]:
    """Every id an exception may name: each requirement's full id, and the parts of tiered programs."""
    known = set(nodes)
    for full_id, node in nodes.items():
        if isinstance(node, m.Tiered):
            known.update(f"{full_id}.{part}" for part in tiered_parts(node))
    return known


def exception_problems(student: Student, nodes: Mapping[str, m.Requirement]) -> list[InputProblem]:
    """The located problems of a record's exceptions against the policies that apply: an unknown requirement, a
    course the record does not hold (what `menkan audit` refuses; an audit lists such an exception as orphaned)."""
    if not student.exceptions:
        return []
    known = known_requirements(nodes)
    found = []
    for index, exception in enumerate(student.exceptions):
        if exception.requirement not in known:
            found.append(
                problem(
                    ("exceptions", index, "requirement"),
                    "exception-unknown-requirement",
                    requirement=exception.requirement,
                )
            )
        if exception.course is not None and not any(exception.names(course) for course in student.courses):
            found.append(problem(("exceptions", index, "course"), "exception-unknown-course", course=exception.course))
    return found


@dataclass(slots=True)
class Exceptions:
    """The exceptions of one audit, by the requirement they name, and which ones the evaluators applied."""

    student: Student
    by_requirement: dict[str, list[RecordException]] = field(default_factory=dict)
    lowered: dict[int, Decimal] = field(default_factory=dict)  # id(node) -> amount its minimum is lowered by
    used: set[str] = field(default_factory=set)
    node_ids: dict[str, int] = field(default_factory=dict)  # requirement id named -> id(node)

    @classmethod
    def of(cls, student: Student, nodes: Mapping[str, m.Requirement]) -> Exceptions:
        found = cls(student)
        for exception in student.exceptions:
            found.by_requirement.setdefault(exception.requirement, []).append(exception)
            node = nodes.get(exception.requirement)
            if exception.kind == "waive" and exception.amount is not None and node is not None:
                found.node_ids[exception.requirement] = id(node)
                found.lowered[id(node)] = found.lowered.get(id(node), Decimal(0)) + exception.amount
        return found

    def on(self, full_id: str, *kinds: str) -> list[RecordException]:
        """The exceptions naming `full_id` (of `kinds`, when given)."""
        named = self.by_requirement.get(full_id, ())
        return [exception for exception in named if not kinds or exception.kind in kinds]

    def use(self, exception: RecordException) -> None:
        self.used.add(exception.id)

    def positions(self, exception: RecordException, entries: Sequence[Entry]) -> list[int]:
        """The positions in `entries` of the course the exception names (or of the credits it grants)."""
        if exception.kind == "credit":
            ref = credit_ref(exception)
            return [j for j, entry in enumerate(entries) if entry.ref == ref]
        return [j for j, entry in enumerate(entries) if exception.names(entry.course)]

    def lowered_node(self, node: m.RequirementBase, resolved: R) -> R:
        """The node (`resolved` for the student) with its minimum lowered by the `waive` exceptions with an
        amount that name it."""
        amount = self.lowered.get(id(node))
        if amount is None:
            return resolved
        for exception in self.student.exceptions:
            named = self.node_ids.get(exception.requirement) == id(node)
            if named and exception.kind == "waive" and exception.amount is not None:
                self.use(exception)
        return lowered(resolved, amount)

    def waive(self, full_id: str, result: RequirementResult) -> RequirementResult:
        """The result with the requirement counted as met, when a `waive` without an amount names it."""
        waivers = [exception for exception in self.on(full_id, "waive") if exception.amount is None]
        if not waivers:
            return result
        for exception in waivers:
            self.use(exception)
        result.status = "met"
        result.missing = dict(NO_MESSAGE)
        result.details = {**result.details, "waived": [exception.id for exception in waivers]}
        return result


def lowered(node: R, amount: Decimal) -> R:
    """The node with its minimum (`min`, or a program's `min_credits`) lowered by `amount`, not below zero."""
    if isinstance(node, m.Tiered):
        return node.model_copy(update={"min_credits": max(Decimal(0), node.min_credits - amount)})
    if isinstance(node, m.Courses):
        count = node.min if node.min is not None else len(node.courses)
        return node.model_copy(update={"min": max(0, count - int(amount))})
    current = getattr(node, "min", None)
    if isinstance(current, int):
        return node.model_copy(update={"min": max(0, current - int(amount))})
    if isinstance(current, Decimal):
        return node.model_copy(update={"min": max(Decimal(0), current - amount)})
    return node


def with_granted_credits(ledger: Ledger, student: Student) -> Ledger:
    """The ledger with the credits that `credit` exceptions grant, each as a passed record without a grade."""
    granted = [exception for exception in student.exceptions if exception.kind == "credit"]
    if not granted:
        return ledger
    entries = list(ledger.entries)
    for number, exception in enumerate(granted):
        assert exception.credits is not None  # the record's validation requires it
        course = CourseRecord(
            code=credit_ref(exception),
            title=exception.title or exception.reason,
            credits=exception.credits,
            term=exception.term or student.admission_term,
            category=exception.category,
            tags=exception.tags,
            transfer=True,
        )
        ref = credit_ref(exception)
        weight = credit_weight(exception.credits)
        position = len(student.courses) + number  # after every record's own attempts
        fields = (position, course, Outcome.PASSED, ref, False, True, None, None, False, True, False, None, ref)
        entries.append(Entry(*fields, weight))
    return Ledger(tuple(entries), ledger.later, ledger.leave_terms)


def explanation(exception: RecordException) -> dict[str, str]:
    """What the exception did and who decided it, in zh-TW and English."""
    kind_zh, kind_en = KIND_NAMES[exception.kind]
    course = exception.course or ""
    what_zh, what_en = {
        "substitute": (f"{course} 代替 {exception.replaces} 計入", f"{course} counts in place of {exception.replaces}"),
        "assign": (f"{course} 指定計入本項", f"{course} is applied to this requirement"),
        "exclude": (f"{course} 不計入本項", f"{course} does not count toward this requirement"),
        "recognise": (f"{course} 認定為「{exception.as_}」", f"{course} counts as {exception.as_}"),
        "waive": (
            (f"最低要求減少 {fmt(exception.amount)}", f"the minimum is lowered by {fmt(exception.amount)}")
            if exception.amount is not None
            else ("本項視為已符合", "the requirement counts as met")
        ),
        "credit": (f"抵免 {fmt(exception.credits)} 學分", f"{fmt(exception.credits)} credits granted"),
    }[exception.kind]
    on = exception.approved_on.isoformat()
    return {
        "zh-TW": (
            f"例外 {exception.id}（{kind_zh}）：{what_zh}；理由：{exception.reason}"
            f"（{exception.approved_by} 於 {on} 核定）"
        ),
        "en": (
            f"Exception {exception.id} ({kind_en}): {what_en}; reason: {exception.reason} "
            f"(approved by {exception.approved_by} on {on})"
        ),
    }


def exception_entry(exception: RecordException) -> dict[str, Any]:
    """An applied exception as it appears in its requirement's result."""
    entry: dict[str, Any] = {
        "id": exception.id,
        "kind": exception.kind,
        "reason": exception.reason,
        "approved_by": exception.approved_by,
        "approved_on": exception.approved_on.isoformat(),
    }
    if exception.course is not None:
        entry["course"] = exception.course
    entry["explanation"] = explanation(exception)
    return entry


def _index(results: Iterable[RequirementResult]) -> dict[str, RequirementResult]:
    found: dict[str, RequirementResult] = {}
    stack = list(results)
    while stack:
        result = stack.pop()
        found.setdefault(result.id, result)
        stack.extend(result.children)
    return found


def settle_exceptions(result: AuditResult, exceptions: Exceptions) -> AuditResult:
    """Attach each applied exception to its requirement's explanation; list every other one, and why."""
    by_id = _index(result.requirements)
    student = exceptions.student
    for exception in student.exceptions:
        target = by_id.get(exception.requirement)
        summary: dict[str, Any] = {"id": exception.id, "kind": exception.kind, "requirement": exception.requirement}
        course_gone = exception.course is not None and not any(exception.names(c) for c in student.courses)
        if target is None:
            summary |= {"status": "not_applied", "reason": "orphaned", "detail": "requirement"}
        elif course_gone:
            summary |= {"status": "not_applied", "reason": "orphaned", "detail": "course"}
            target.not_applied.append(NotApplied(f"exception:{exception.id}", "orphaned", None, None, "course"))
        elif exception.id not in exceptions.used and exception.kind != "credit":  # granted credits are on the record
            summary |= {"status": "not_applied", "reason": "not-applicable", "detail": target.kind}
            target.not_applied.append(
                NotApplied(f"exception:{exception.id}", "not-applicable", None, None, exception.kind)
            )
        else:
            summary["status"] = "applied"
            target.exceptions.append(exception_entry(exception))
        result.exceptions.append(summary)
    return result
