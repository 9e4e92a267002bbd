"""Per-audit state shared by the rule evaluators: the student, the ledger, resolved parameters, memoised results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from menkan.engine.filters import Columns, CoursePredicate, active_programs, applies, compile_selection
from menkan.engine.ledger import CourseIdentity, Entry, GradeScale, Ledger
from menkan.engine.policy.models import (
    AllOf,
    AnyOf,
    Applicability,
    Filter,
    Institution,
    Requirement,
    RequirementBase,
)
from menkan.engine.records import Student
from menkan.engine.study import StudyPosition, enrolled_semesters, study_position
from menkan.engine.terms import Term

if TYPE_CHECKING:
    from menkan.engine.exceptions import Exceptions
    from menkan.engine.result import RequirementResult

R = TypeVar("R", bound=RequirementBase)
T = TypeVar("T")

Evaluator = Callable[["Context", Any, str], "RequirementResult"]
"""How one kind of requirement is evaluated: (context, node, full id) to its result."""


class Shared:
    """What a policy set gives for one student profile as of one term, derived once and reused by later audits.

    A profile is what applicability can test about a student (see `profile_key`). Nothing else about a
    student may go in here: every audit of a student with the same profile, as of the same term, shares it.
    Entries keep their policy object alive, so its id stays unique while the entry exists.
    """

    __slots__ = ("_memo", "applicability")

    def __init__(self) -> None:
        self.applicability: dict[int, tuple[RequirementBase, bool]] = {}  # see Context.applicable
        self._memo: dict[tuple[int, str, str], tuple[object, object]] = {}

    def memo(self, owner: object, part: str, build: Callable[[], T], at: str = "") -> T:
        """The `part` that `build` derives from `owner` (at full id `at`) and the profile, built on first use."""
        key = (id(owner), part, at)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is owner:
            return cast(T, hit[1])
        value = build()
        self._memo[key] = (owner, value)
        return value


def profile_key(student: Student, as_of: Term) -> tuple[object, ...]:
    """Everything an Applicability can test about the student, and the audit term (which `effective` tests)."""
    return (
        student.department,
        student.division,
        student.degree,
        student.admission_term.rank,
        student.admitted_into_year,
        student.flags,
        as_of.rank,
        active_programs(student, as_of) if student.programs else frozenset(),
    )


@dataclass(slots=True)
class Context:
    """Everything one audit of one student needs."""

    student: Student
    as_of: Term
    institution: Institution
    ledger: Ledger
    scale: GradeScale
    identity: CourseIdentity
    evaluators: Mapping[type[RequirementBase], Evaluator]
    nodes: dict[str, Requirement] = field(default_factory=dict)
    results: dict[str, RequirementResult] = field(default_factory=dict)
    precomputed: dict[str, RequirementResult] = field(default_factory=dict)
    predicates: dict[tuple[int, int, str], CoursePredicate] = field(default_factory=dict)
    shared: Shared = field(default_factory=Shared)
    exceptions: Exceptions | None = None  # the record's approved exceptions (None: it has none)
    _columns: Columns | None = None
    _enrolled: list[Term] | None = None

    def evaluate(self, node: Requirement, full_id: str) -> RequirementResult | None:
        """The node's result in this audit (None when it does not apply), evaluated once and remembered."""
        if full_id in self.results:
            return self.results[full_id]
        if not self.applicable(node):
            return None
        result = self.precomputed.get(full_id)
        if result is None:
            result = self.evaluators[type(node)](self, node, full_id)
        if self.exceptions is not None:
            result = self.exceptions.waive(full_id, result)
        self.results[full_id] = result
        return result

    @property
    def columns(self) -> Columns:
        """The ledger's course records as columns (built on first use in this audit)."""
        if self._columns is None:
            self._columns = Columns([entry.course for entry in self.ledger.entries])
        return self._columns

    def selection(self, include: Filter | None, exclude: Filter | None) -> CoursePredicate:
        """Courses matching `include` and not `exclude`, compiled once per policy set and department.

        The cache outlives this audit (it belongs to the policy set, which keeps the filters alive, so
        their ids stay unique); a predicate depends on the student only through the department.
        """
        key = (id(include), id(exclude), self.student.department)
        predicate = self.predicates.get(key)
        if predicate is None:
            predicate = compile_selection(include, exclude, self.student)
            self.predicates[key] = predicate
        return predicate

    def matcher(self, spec: Filter | None) -> CoursePredicate:
        return self.selection(spec, None)

    def resolve(self, node: R) -> R:
        """The node with the overrides that apply to this student folded in (`add_min` adds to `min`)."""
        if self.exceptions is not None and id(node) in self.exceptions.lowered:
            return self.exceptions.lowered_node(node, self._resolve(node) if node.overrides else node)
        if not node.overrides:
            return node
        return self.shared.memo(node, "resolved", lambda: self._resolve(node))

    def _resolve(self, node: R) -> R:
        chosen = tuple(
            i for i, override in enumerate(node.overrides) if applies(override.when, self.student, self.as_of)
        )
        return self._apply_overrides(node, chosen) if chosen else node

    def _apply_overrides(self, node: R, chosen: tuple[int, ...]) -> R:
        update: dict[str, Any] = {}
        extra = Decimal(0)
        for index in chosen:
            override = node.overrides[index]
            for name in type(override).model_fields:
                if name == "when":
                    continue
                value = getattr(override, name)
                if value is None:
                    continue
                if name == "add_min":
                    extra += value
                else:
                    update[name] = value
        if extra:
            update["min"] = update.get("min", getattr(node, "min", Decimal(0))) + extra
        return node.model_copy(update=update) if update else node

    def applicable(self, node: RequirementBase) -> bool:
        """Does the node apply to this student, and is it in effect as of the audit term?"""
        # Asked of every node in every audit (say, 43 department lists): the answer is the profile's.
        known = self.shared.applicability
        hit = known.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = applies(node.applies_to, self.student, self.as_of) and (
            node.effective is None or node.effective.contains(self.as_of)
        )
        known[id(node)] = (node, value)
        return value

    def applicable_children(self, node: AllOf | AnyOf, full_id: str) -> list[tuple[Requirement, str]]:
        """The children of a group that apply to this student, with their full ids."""

        def build() -> list[tuple[Requirement, str]]:
            children = [(child, f"{full_id}.{child.id}") for child in node.children]
            return [(child, child_id) for child, child_id in children if self.applicable(child)]

        return self.shared.memo(node, "children", build, full_id)

    def applicable_to(self, spec: Applicability | None) -> bool:
        return applies(spec, self.student, self.as_of)

    def result_of(self, full_id: str) -> RequirementResult | None:
        """The result of another requirement, evaluating it now if it has not been yet."""
        if full_id in self.results:
            return self.results[full_id]
        node = self.nodes.get(full_id)
        if node is None:
            return None
        return self.evaluate(node, full_id)

    def enrolled_terms(self) -> list[Term]:
        """Regular semesters up to as_of in which the student was enrolled (`study.enrolled_semesters`)."""
        if self._enrolled is None:
            self._enrolled = enrolled_semesters(self.student, self.as_of)
        return list(self._enrolled)

    def position(self, term: Term) -> StudyPosition:
        """The student's study year and semester in `term` (no later than as_of): `study.study_position`."""
        if self._enrolled is None:
            self._enrolled = enrolled_semesters(self.student, self.as_of)
        return study_position(self.student, term, self._enrolled)

    def study_year(self, term: Term) -> int:
        return self.position(term).year

    def entries_matching(self, predicate: CoursePredicate) -> list[Entry]:
        return [entry for entry in self.ledger.entries if predicate(entry.course)]
