"""The audit: a policy set compiled once (`compile`), then every applicable requirement evaluated per student."""

from __future__ import annotations

from dataclasses import dataclass, field

from menkan.engine.context import Context, Evaluator, Shared, profile_key
from menkan.engine.errors import InputError, problem
from menkan.engine.exceptions import Exceptions, settle_exceptions, with_granted_credits
from menkan.engine.filters import CoursePredicate, applies, compile_filter
from menkan.engine.ledger import CourseIdentity, GradeScale, build_ledger
from menkan.engine.policy import models as m
from menkan.engine.policy.loader import PolicySet, walk
from menkan.engine.records import Student
from menkan.engine.result import AuditResult, RequirementResult
from menkan.engine.rules import average, certificates, courses, credits, groups, hours, standing, tiered
from menkan.engine.terms import Term

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

PROFILES_KEPT = 1024


@dataclass(frozen=True, slots=True, eq=False)
class Runtime:
    """A policy set compiled for auditing: what is derived once and reused by every audit against it.

    The grade scale, the course identity and the index of requirements by full id; then, as audits run, the
    compiled filters (by department) and, per student profile and audit term, `Shared`. Nothing of a student
    is kept. The caller owns it: build it once per policy set (`compile`) and audit with it as long as that
    policy set is the one in force; it is dropped with the last reference (no module-wide cache).
    """

    policy_set: PolicySet
    scale: GradeScale
    identity: CourseIdentity
    nodes: dict[str, m.Requirement]
    predicates: dict[tuple[int, int, str], CoursePredicate] = field(default_factory=dict)
    profiles: dict[tuple[object, ...], Shared] = field(default_factory=dict)

    def audit(self, student: Student, *, as_of: Term) -> AuditResult:
        """Audit one student against every requirement of the policy set that applies to them, as of `as_of`."""
        ctx = self.context(student, as_of=as_of)
        results: list[RequirementResult] = []
        applied_policies: list[str] = []
        for policy in self.policy_set.policies:
            if not applies(policy.applies_to, student, as_of):
                continue
            if policy.effective is not None and not policy.effective.contains(as_of):
                continue
            applied_policies.append(policy.id)
            for requirement in policy.requirements:
                result = ctx.evaluate(requirement, requirement.id)
                if result is not None:
                    results.append(result)
        audited = AuditResult(student.student_id, self.policy_set.institution.id, as_of, results, applied_policies)
        if ctx.exceptions is not None:
            return settle_exceptions(audited, ctx.exceptions)
        return audited

    def context(self, student: Student, *, as_of: Term) -> Context:
        """The working state of one audit of `student` as of `as_of` (ledger built), for evaluating parts of it."""
        institution = self.policy_set.institution
        if student.institution != institution.id:
            other, own = student.institution, institution.id
            raise InputError([problem(("institution",), "other-institution", institution=other, policies=own)])
        repeatable_spec = institution.repeats.repeatable
        repeatable = None
        if repeatable_spec is not None:
            key = (id(repeatable_spec), 0, student.department)
            repeatable = self.predicates.get(key)
            if repeatable is None:
                repeatable = self.predicates[key] = compile_filter(repeatable_spec, student)
        ledger = build_ledger(
            student, institution, as_of, scale=self.scale, identity=self.identity, repeatable=repeatable
        )
        exceptions = None
        if student.exceptions:
            # What the profile shares is derived from the policy alone; a student's exceptions change it.
            exceptions = Exceptions.of(student, self.nodes)
            ledger = with_granted_credits(ledger, student)
        return Context(
            student,
            as_of,
            institution,
            ledger,
            self.scale,
            self.identity,
            EVALUATORS,
            nodes=self.nodes,
            predicates=self.predicates,
            shared=self._shared(student, as_of) if exceptions is None else Shared(),
            exceptions=exceptions,
        )

    def _shared(self, student: Student, as_of: Term) -> Shared:
        """What earlier audits derived for students with this profile as of this term.

        Bounded: when full, it starts over (cheap to rebuild, and no bookkeeping on the hot path).
        """
        key = profile_key(student, as_of)
        shared = self.profiles.get(key)
        if shared is None:
            if len(self.profiles) >= PROFILES_KEPT:
                self.profiles.clear()
            shared = self.profiles[key] = Shared()
        return shared


def compile(policy_set: PolicySet) -> Runtime:
    """The policy set compiled for auditing: `compile(policy_set).audit(student, as_of=term)`."""
    institution = policy_set.institution
    nodes = {full_id: node for policy in policy_set.policies for full_id, node in walk(policy.requirements)}
    return Runtime(policy_set, GradeScale(institution.grading), CourseIdentity(institution.identity), nodes)


def audit(student: Student, policies: PolicySet, as_of: Term) -> AuditResult:
    """One audit, compiling `policies` for it: a convenience for a single student (tests, scripts).

    Nothing is kept between calls; whoever audits many students against one policy set compiles it once
    (`compile`) and calls `Runtime.audit`, so that what the runtime derives is shared by all of them.
    """
    return compile(policies).audit(student, as_of=as_of)


def latest_term(student: Student) -> Term:
    """The latest term the records mention (the CLI's default `--as-of`)."""
    terms = [student.admission_term]
    terms += [c.term for c in student.courses]
    terms += [a.term for a in student.activities]
    terms += [e.term for e in student.enrollment]
    return max(terms)
