"""Reads for graduation certification: who acts at which step, the live audit and the record hashes, candidates in
their final study year, queues, the graduate list and the drift of certified students from their live audit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import InputError, Term, latest_term, student_from_dict
from menkan.web.accounts.api import Role, RoleAssignment, User, is_registrar, registrar_institutions
from menkan.web.audits.api import AuditResult, PolicyVersion, policy_current, runtime_of
from menkan.web.certification.models import Candidate, Certification, Review, Step
from menkan.web.records.api import Institution, Student, student_document, student_study_year

# The role that decides each step, and whether it is scoped to the student's department (the registrar's is the
# institution).
STEP_ROLES: dict[str, tuple[str, bool]] = {
    Step.OFFICER: (Role.DEPARTMENT_OFFICER, True),
    Step.HEAD: (Role.DEPARTMENT_HEAD, True),
    Step.REGISTRAR: (Role.REGISTRAR, False),
}
# A returned candidate is taken up again by the department officer (once what was missing is put right).
ACTING_STEP = {
    Step.OFFICER: Step.OFFICER,
    Step.RETURNED: Step.OFFICER,
    Step.HEAD: Step.HEAD,
    Step.REGISTRAR: Step.REGISTRAR,
}
# The regular study period of a degree where the policy defines none (大學法 第26條: a bachelor's is four years);
# a policy's `study-period` requirement, resolved for the student, takes precedence.
DEFAULT_STUDY_YEARS = {"bachelor": 4}


def may_act(user: User, candidate: Candidate, step: str) -> bool:
    """Does `user` hold the role that decides `step` for this candidate (their department, or the institution)?"""
    if not user.is_authenticated or ACTING_STEP.get(step) not in STEP_ROLES:
        return False
    role, by_department = STEP_ROLES[ACTING_STEP[step]]
    student = candidate.student
    if role == Role.REGISTRAR:
        return is_registrar(user, student.institution_id)
    assignments = RoleAssignment.objects.filter(user=user, role=role, institution_id=student.institution_id)
    return by_department and assignments.filter(department_id=student.department_id).exists()


def candidates_visible_to(user: User) -> QuerySet[Candidate]:
    """Candidates `user` may see: the registrar's institution's, department staff's department's, a student's own."""
    found = Candidate.objects.select_related("review__institution", "student__department", "student__institution")
    if not user.is_authenticated:
        return found.none()
    if user.is_superuser:
        return found
    scope = Q(student__user=user) | Q(review__institution__in=registrar_institutions(user))
    for assignment in RoleAssignment.objects.filter(
        user=user, role__in=(Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD), department__isnull=False
    ):
        scope |= Q(student__department_id=assignment.department_id)
    return found.filter(scope).distinct()


def candidate_get_for(user: User, pk: int) -> Candidate:
    """One candidate, if `user` may see it; 404 otherwise (others' candidates are not shown to exist)."""
    return get_object_or_404(candidates_visible_to(user), pk=pk)


def queue_of(user: User) -> list[Candidate]:
    """The candidates waiting for `user`: department officers' and heads' at their step, the registrar's at theirs."""
    scope = Q(pk__in=[])
    for assignment in RoleAssignment.objects.filter(user=user):
        if assignment.role == Role.DEPARTMENT_OFFICER and assignment.department_id:
            scope |= Q(step__in=(Step.OFFICER, Step.RETURNED), student__department_id=assignment.department_id)
        elif assignment.role == Role.DEPARTMENT_HEAD and assignment.department_id:
            scope |= Q(step=Step.HEAD, student__department_id=assignment.department_id)
    scope |= Q(step=Step.REGISTRAR, review__institution__in=registrar_institutions(user))
    found = Candidate.objects.filter(scope, review__status=Review.Status.OPEN)
    return list(found.select_related("review__institution", "student__department").order_by("review", "student"))


def reviews_of(user: User) -> QuerySet[Review]:
    return Review.objects.filter(institution__in=registrar_institutions(user)).select_related("institution")


def review_get_for(user: User, pk: int) -> Review:
    """A review, for the registrar of its institution (404 for anybody else)."""
    return get_object_or_404(reviews_of(user), pk=pk)


def review_open_for(student: Student) -> Review | None:
    return Review.objects.filter(institution_id=student.institution_id, status=Review.Status.OPEN).first()


# --------------------------------------------------------------------------------------------------- final year


def study_years_of(student: Student) -> int | None:
    """The student's regular study period in years: the `study-period` requirement of their stored audit (the
    policy's, resolved for them), else the degree's default; None when neither says."""
    stored = AuditResult.objects.filter(student=student).values_list("document", flat=True).first()
    found = _study_period(stored.get("requirements", [])) if isinstance(stored, dict) else None
    return found if found is not None else DEFAULT_STUDY_YEARS.get(student.degree)


def _study_period(nodes: list[dict[str, Any]]) -> int | None:
    for node in nodes:
        years = (node.get("details") or {}).get("study_period") if node.get("kind") == "study-period" else None
        if isinstance(years, int):
            return years
        found = _study_period(node.get("children") or [])
        if found is not None:
            return found
    return None


def final_year_students(institution: Institution, term: str) -> list[Student]:
    """The institution's students in their final study year in `term` (or beyond it), by the engine's study year,
    who have not been certified already."""
    parsed = Term.parse(term)
    certified = Certification.objects.values("student_id")
    found = []
    students = Student.objects.filter(institution=institution).exclude(pk__in=certified).select_related("department")
    for student in students.order_by("department__code", "student_id"):
        years = study_years_of(student)
        year = student_study_year(student, parsed)
        if years is not None and year is not None and year >= years:
            found.append(student)
    return found


# --------------------------------------------------------------------------------------------------- live audit


def canonical_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value` (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LiveAudit:
    """The student's audit now, as of the review's term, with what it was computed from."""

    document: dict[str, Any] | None  # None: the record could not be audited
    status: str
    policy_version: PolicyVersion | None
    records_hash: str
    exceptions_hash: str


def record_hashes(student: Student) -> tuple[dict[str, Any], str, str]:
    """The student's `menkan.student/1` document, and the hashes of it without `exceptions` and of that block."""
    document = student_document(student)
    records = {key: value for key, value in document.items() if key != "exceptions"}
    return document, canonical_hash(records), canonical_hash(document.get("exceptions") or [])


def live_audit(student: Student, term: str) -> LiveAudit:
    """The student's audit under the current policy, as of `term` or the last term of their record if later
    (approved exceptions are part of the record, so the audit honours them)."""
    document, records_hash, exceptions_hash = record_hashes(student)
    version = policy_current(student.institution)
    if version is None:
        return LiveAudit(None, "", None, records_hash, exceptions_hash)
    try:
        record = student_from_dict(document, source=f"student {student.student_id}")
    except InputError:
        return LiveAudit(None, "", version, records_hash, exceptions_hash)
    as_of = max(latest_term(record), Term.parse(term))
    result = runtime_of(version).audit(record, as_of=as_of).as_dict()
    return LiveAudit(result, str(result["status"]), version, records_hash, exceptions_hash)


# --------------------------------------------------------------------------------------------------- drift


@dataclass
class Drift:
    """A certified student whose live audit no longer matches what was certified, and what changed."""

    certification: Certification
    changes: list[str] = field(default_factory=list)  # of: records, exceptions, policy, result
    status_now: str = ""


def drift_of(review: Review) -> list[Drift]:
    """The certified candidates of the review whose records, exceptions, policy version or audit result have changed
    since certification (each recomputed now)."""
    found = []
    certifications = Certification.objects.filter(candidate__review=review).select_related(
        "student__institution", "student__department", "policy_version"
    )
    for certification in certifications:
        live = live_audit(certification.student, review.term)
        changes = []
        if live.records_hash != certification.records_hash:
            changes.append("records")
        if live.exceptions_hash != certification.exceptions_hash:
            changes.append("exceptions")
        if live.policy_version is None or live.policy_version.pk != certification.policy_version_id:
            changes.append("policy")
        if live.status != certification.audit_status or _requirements(live.document) != _requirements(
            certification.audit
        ):
            changes.append("result")
        if changes:
            found.append(Drift(certification, changes, live.status))
    return found


def _requirements(document: dict[str, Any] | None) -> Any:
    return (document or {}).get("requirements")


# --------------------------------------------------------------------------------------------------- graduates


def graduates_of(review: Review, department: str | None = None) -> list[Certification]:
    """The review's certified students, by department and student id (one department's, if named)."""
    found = Certification.objects.filter(candidate__review=review).select_related(
        "student__department", "certified_by", "policy_version"
    )
    if department:
        found = found.filter(department_code=department)
    return list(found.order_by("department_code", "student__student_id"))


def departments_of(review: Review) -> list[tuple[str, str, str, int]]:
    """(code, zh name, en name, graduates) of the departments with certified students in the review."""
    counts: dict[str, int] = {}
    names: dict[str, tuple[str, str]] = {}
    for certification in graduates_of(review):
        department = certification.student.department
        counts[certification.department_code] = counts.get(certification.department_code, 0) + 1
        names[certification.department_code] = (department.name_zh, department.name_en or department.name_zh)
    return [(code, *names[code], counts[code]) for code in sorted(counts)]


def steps_count(review: Review) -> list[tuple[str, int]]:
    """(step label, candidates at it) of every step, in order."""
    counts = {step.value: 0 for step in Step}
    for step in review.candidates.values_list("step", flat=True):
        counts[step] += 1
    return [(str(Step(step).label), count) for step, count in counts.items()]
