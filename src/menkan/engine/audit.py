"""The audit: every requirement of every applicable policy, evaluated for one student as of one term."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from menkan.engine.context import Context, Shared, profile_key
from menkan.engine.errors import InputError, problem
from menkan.engine.filters import CoursePredicate, applies, compile_filter
from menkan.engine.ledger import CourseIdentity, GradeScale, build_ledger
from menkan.engine.policy import models as m
from menkan.engine.policy.loader import PolicySet, walk
from menkan.engine.records import Student
from menkan.engine.result import AuditResult, RequirementResult
from menkan.engine.rules import average, certificates, courses, credits, groups, hours, standing, tiered
from menkan.engine.terms import Term

Evaluator = Callable[[Context, Any, str], RequirementResult]

EVALUATORS: dict[type[m.RequirementBase], Evaluator] = {
    m.AllOf: groups.evaluate_all,
    m.AnyOf: groups.evaluate_any,
    m.Credits: credits.evaluate,
    m.Courses: courses.evaluate,
    m.Hours: hours.evaluate,
    m.Certificates: certificates.evaluate,
    m.Average: average.evaluate,
    m.Tiered: tiered.evaluate,
    m.Ethics: standing.ethics,
    m.SemesterCredits: standing.semester_credits,
    m.StudyPeriod: standing.study_period,
    m.LeaveLimit: standing.leave_limit,
    m.SemestersLeft: standing.semesters_left,
    m.FailedShare: standing.failed_share,
    m.PassedByStudyEnd: standing.passed_by_study_end,
    m.Exams: standing.exams,
    m.Reference: standing.reference,
    m.RankTop: standing.rank,
    m.AdmissionYear: standing.admission,
}


@dataclass(frozen=True, slots=True)
class _Runtime:
    """What is derived once per policy set and reused by every audit: grade scale, identity, node index.

    Also the compiled filters (by department) and, per student profile and audit term, `Shared`.
    """

    policy_set: PolicySet
    scale: GradeScale
    identity: CourseIdentity
    nodes: dict[str, m.Requirement]
    predicates: dict[tuple[int, int, str], CoursePredicate]
    profiles: dict[tuple[object, ...], Shared]

    def shared(self, student: Student, as_of: Term) -> Shared:
        """What earlier audits derived for students with this profile as of this term.

        Bounded: when full, it starts over (cheap to rebuild, and no bookkeeping on the hot path).
        """
        key = profile_key(student, as_of)
        shared = self.profiles.get(key)
        if shared is None:
            if len(self.profiles) >= _PROFILES_KEPT:
                self.profiles.clear()
            shared = self.profiles[key] = Shared()
        return shared


_RUNTIMES: OrderedDict[int, _Runtime] = OrderedDict()
_RUNTIMES_LOCK = threading.Lock()  # a portal may audit from several threads
_RUNTIMES_KEPT = 16
_PROFILES_KEPT = 1024


def _runtime(policy_set: PolicySet) -> _Runtime:
    with _RUNTIMES_LOCK:
        cached = _RUNTIMES.get(id(policy_set))
        if cached is not None and cached.policy_set is policy_set:
            _RUNTIMES.move_to_end(id(policy_set))
            return cached
    nodes = {full_id: node for policy in policy_set.policies for full_id, node in walk(policy.requirements)}
    runtime = _Runtime(
        policy_set,
        GradeScale(policy_set.institution.grading),
        CourseIdentity(policy_set.institution.identity),
        nodes,
        {},
        {},
    )
    with _RUNTIMES_LOCK:
        _RUNTIMES[id(policy_set)] = runtime
        while len(_RUNTIMES) > _RUNTIMES_KEPT:
            _RUNTIMES.popitem(last=False)
    return runtime


def latest_term(student: Student) -> Term:
    """The latest term the records mention (the default `as_of`)."""
    terms = [student.admission_term]
    terms += [c.term for c in student.courses]
    terms += [a.term for a in student.activities]
    terms += [e.term for e in student.enrollment]
    return max(terms)


def audit(student: Student, policies: PolicySet, as_of: Term | None = None) -> AuditResult:
    """Audit one student against every requirement of `policies` that applies to them, as of `as_of`."""
    ctx = prepare(student, policies, as_of)
    results: list[RequirementResult] = []
    applied_policies: list[str] = []
    try:
        for policy in policies.policies:
            if not applies(policy.applies_to, student, ctx.as_of):
                continue
            if policy.effective is not None and not policy.effective.contains(ctx.as_of):
                continue
            applied_policies.append(policy.id)
            for requirement in policy.requirements:
                result = ctx.evaluate(requirement, requirement.id) if ctx.evaluate is not None else None
                if result is not None:
                    results.append(result)
    finally:
        # The context and `evaluate` refer to each other: undo that, so the audit's working state (ledger,
        # columns, memoised results) is freed as soon as the audit returns, not left to the cycle collector.
        ctx.evaluate = None
    return AuditResult(student.student_id, policies.institution.id, ctx.as_of, results, applied_policies)


def prepare(student: Student, policies: PolicySet, as_of: Term | None = None) -> Context:
    """The context of one audit (ledger built, `evaluate` set); the caller must set `ctx.evaluate = None` after."""
    institution = policies.institution
    if student.institution != institution.id:
        raise InputError(
            [problem(("institution",), "other-institution", institution=student.institution, policies=institution.id)]
        )
    as_of = as_of or latest_term(student)
    runtime = _runtime(policies)
    repeatable_spec = institution.repeats.repeatable
    repeatable = None
    if repeatable_spec is not None:
        key = (id(repeatable_spec), 0, student.department)
        repeatable = runtime.predicates.get(key)
        if repeatable is None:
            repeatable = runtime.predicates[key] = compile_filter(repeatable_spec, student)
    ledger = build_ledger(
        student, institution, as_of, scale=runtime.scale, identity=runtime.identity, repeatable=repeatable
    )
    ctx = Context(
        student,
        as_of,
        institution,
        ledger,
        runtime.scale,
        runtime.identity,
        nodes=runtime.nodes,
        predicates=runtime.predicates,
        shared=runtime.shared(student, as_of),
    )

    def evaluate(node: m.Requirement, full_id: str) -> RequirementResult | None:
        if full_id in ctx.results:
            return ctx.results[full_id]
        if not ctx.applicable(node):
            return None
        result = ctx.precomputed.get(full_id)
        if result is None:
            result = EVALUATORS[type(node)](ctx, node, full_id)
        ctx.results[full_id] = result
        return result

    ctx.evaluate = evaluate
    return ctx
