"""Per-audit state shared by the rule evaluators: the student, the ledger, resolved parameters, memoised results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from menkan.engine.filters import CoursePredicate, applies, compile_filter, compile_selection
from menkan.engine.ledger import CourseIdentity, Entry, GradeScale, Ledger
from menkan.engine.policy.models import Applicability, Filter, Institution, Requirement, RequirementBase
from menkan.engine.records import Student
from menkan.engine.terms import Term

if TYPE_CHECKING:
    from menkan.engine.result import RequirementResult

R = TypeVar("R", bound=RequirementBase)


@dataclass(slots=True)
class Context:
    """Everything one audit of one student needs."""

    student: Student
    as_of: Term
    institution: Institution
    ledger: Ledger
    scale: GradeScale
    identity: CourseIdentity
    nodes: dict[str, Requirement] = field(default_factory=dict)
    results: dict[str, RequirementResult] = field(default_factory=dict)
    evaluate: Callable[[Requirement, str], RequirementResult | None] | None = None
    precomputed: dict[str, RequirementResult] = field(default_factory=dict)
    _predicates: dict[int, CoursePredicate] = field(default_factory=dict)

    def selection(self, include: Filter | None, exclude: Filter | None) -> CoursePredicate:
        key = hash((id(include), id(exclude)))
        predicate = self._predicates.get(key)
        if predicate is None:
            predicate = compile_selection(include, exclude, self.student)
            self._predicates[key] = predicate
        return predicate

    def matcher(self, spec: Filter | None) -> CoursePredicate:
        key = id(spec)
        predicate = self._predicates.get(key)
        if predicate is None:
            predicate = compile_filter(spec, self.student)
            self._predicates[key] = predicate
        return predicate

    def resolve(self, node: R) -> R:
        """The node with the overrides that apply to this student folded in (`add_min` adds to `min`)."""
        if not node.overrides:
            return node
        update: dict[str, Any] = {}
        extra = Decimal(0)
        for override in node.overrides:
            if not applies(override.when, self.student):
                continue
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
        if not applies(node.applies_to, self.student):
            return False
        return node.effective is None or node.effective.contains(self.as_of)

    def applicable_to(self, spec: Applicability | None) -> bool:
        return applies(spec, self.student)

    def result_of(self, full_id: str) -> RequirementResult | None:
        """The result of another requirement, evaluating it now if it has not been yet."""
        if full_id in self.results:
            return self.results[full_id]
        node = self.nodes.get(full_id)
        if node is None or self.evaluate is None:
            return None
        return self.evaluate(node, full_id)

    def enrolled_terms(self) -> list[Term]:
        """Regular (non-summer) terms up to as_of in which the student was enrolled, not on leave."""
        student = self.student
        if student.enrollment:
            terms = {
                e.term
                for e in student.enrollment
                if e.status in ("enrolled", "extension") and not e.term.is_summer and e.term <= self.as_of
            }
        else:
            terms = {c.term for c in student.courses if not c.term.is_summer and c.term <= self.as_of}
        return sorted(terms)

    def study_year(self, term: Term) -> int:
        return term.year - self.student.admission_term.year + self.student.admitted_into_year

    def entries_matching(self, predicate: CoursePredicate) -> list[Entry]:
        return [entry for entry in self.ledger.entries if predicate(entry.course)]
