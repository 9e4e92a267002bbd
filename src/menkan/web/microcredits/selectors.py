"""Reads of micro-credits: the institution's settings, who is Center staff, offerings a user may see, a student's
bans, hours and certification/offset state."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from menkan.engine import Hours, MicroCredits, walk
from menkan.web.accounts.api import Role, RoleAssignment, User
from menkan.web.audits.api import policy_current, policy_set_of
from menkan.web.microcredits.models import (
    Ban,
    Certification,
    Enrollment,
    Offering,
    OffsetApplication,
    Review,
    Session,
)
from menkan.web.records.api import Activity, CourseRecord, Institution, Student, calendar, student_get_for, student_of

T = TypeVar("T")


def micro_settings(institution: Institution) -> MicroCredits | None:
    """`workflows.micro_credits` of the institution's current policy, or None where it offers no micro-credits."""
    version = policy_current(institution)
    if version is None:
        return None
    return policy_set_of(version).institution.workflows.micro_credits


def first_credit_hours(institution: Institution) -> Decimal | None:
    """The hours that earn the first credit: the first `credit_steps` of the micro-credits' hours requirement
    (`workflows.micro_credits.requirement`) in the current policy; None where there is no such step."""
    version = policy_current(institution)
    config = policy_set_of(version).institution.workflows.micro_credits if version is not None else None
    if version is None or config is None:
        return None
    for policy in policy_set_of(version).policies:
        for full_id, node in walk(policy.requirements):
            if full_id == config.requirement and isinstance(node, Hours) and node.credit_steps:
                return min(step.hours for step in node.credit_steps)
    return None


def center_unit(institution: Institution) -> str | None:
    """The unit running the institution's micro-credits (`owner.unit`: its unit staff are "Center staff"); None
    where it offers none."""
    config = micro_settings(institution)
    return config.owner.unit if config is not None else None


def center_institution_ids(user: User) -> set[int]:
    """Institutions whose micro-credits `user` runs: as staff of the unit the institution's policy names, or as
    registrar."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Institution.objects.values_list("pk", flat=True))
    ids: set[int] = set()
    for assignment in RoleAssignment.objects.filter(
        user=user, role__in=(Role.REGISTRAR, Role.UNIT_STAFF)
    ).select_related("institution"):
        if assignment.role == Role.REGISTRAR or assignment.unit == center_unit(assignment.institution):
            ids.add(assignment.institution_id)
    return ids


def is_center_staff(user: User, institution_id: int) -> bool:
    return institution_id in center_institution_ids(user)


def offerings_visible_to(user: User) -> QuerySet[Offering]:
    """Offerings of the institutions the user runs, or of the user's own institution for a student."""
    ids = center_institution_ids(user)
    student = student_of(user)
    if student is not None:
        ids.add(student.institution_id)
    return Offering.objects.filter(institution_id__in=ids).select_related("institution")


def offering_get_for(user: User, pk: int) -> Offering:
    offering = get_object_or_404(Offering.objects.select_related("institution"), pk=pk)
    if not offerings_visible_to(user).filter(pk=offering.pk).exists():
        raise PermissionDenied("not an offering of your institution")
    return offering


def _staff_get(user: User, rows: QuerySet[T], pk: int, institution_id: Callable[[T], int]) -> T:
    """One row for Center staff of its institution: 404 when there is no such row, 403 for anyone else."""
    row = get_object_or_404(rows, pk=pk)
    if not is_center_staff(user, institution_id(row)):
        raise PermissionDenied("only the Center for the Liberal Arts")
    return row


def offering_get_for_staff(user: User, pk: int) -> Offering:
    return _staff_get(user, Offering.objects.select_related("institution"), pk, lambda o: o.institution_id)


def session_get_for_staff(user: User, pk: int) -> Session:
    rows = Session.objects.select_related("offering__institution")
    return _staff_get(user, rows, pk, lambda s: s.offering.institution_id)


def enrollment_get_own(user: User, pk: int) -> Enrollment:
    enrollment = get_object_or_404(Enrollment.objects.select_related("offering", "student"), pk=pk)
    if student_of(user) != enrollment.student:
        raise PermissionDenied("not your enrollment")
    return enrollment


def work_get_for(user: User, pk: int) -> Enrollment:
    """An enrollment whose handed-in work `user` may download: the student themself, or Center staff of the
    institution (403 for anyone else, before anything is said about the file; 404 when none is handed in)."""
    enrollment = get_object_or_404(Enrollment.objects.select_related("offering", "student"), pk=pk)
    if student_of(user) != enrollment.student and not is_center_staff(user, enrollment.offering.institution_id):
        raise PermissionDenied("not your enrollment")
    if not enrollment.work:
        raise Http404("no work handed in")
    return enrollment


def enrollment_get_for_staff(user: User, pk: int) -> Enrollment:
    rows = Enrollment.objects.select_related("offering", "student")
    return _staff_get(user, rows, pk, lambda e: e.offering.institution_id)


def own_student_get(user: User, institution: str, student_id: str) -> Student:
    """The student themself (forms only they may file): 404 for a student `user` may not see or that does not
    exist (records.selectors.student_get_for), 403 for staff who may see the student but not file for them."""
    student = student_get_for(user, institution, student_id)
    if student_of(user) != student:
        raise PermissionDenied("only the student themself")
    return student


def bans_active(student: Student, term: str | None = None) -> QuerySet[Ban]:
    bans = Ban.objects.filter(student=student, lifted_at__isnull=True)
    return bans.filter(term=term) if term is not None else bans


def bans_active_in(term: str) -> QuerySet[Ban]:
    return Ban.objects.filter(term=term, lifted_at__isnull=True)


def bans_for_staff(user: User) -> QuerySet[Ban]:
    return Ban.objects.filter(student__institution_id__in=center_institution_ids(user)).select_related(
        "student", "session__offering", "lifted_by"
    )


def enrollments_of(student: Student) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(student=student)
        .select_related("offering")
        .prefetch_related("attendance__session", "offering__sessions")
        .order_by("-offering__term", "offering__title")
    )


def micro_activities(student: Student) -> QuerySet[Activity]:
    """The student's passed micro-credit courses: what the certification form is pre-filled with."""
    config = micro_settings(student.institution)
    if config is None:
        return Activity.objects.none()
    return Activity.objects.filter(student=student, item=config.item, passed=True).order_by("term", "title")


def micro_courses_on_record(student: Student) -> QuerySet[CourseRecord]:
    """The imported micro-credit courses (of the certification's `category`) on the student's record."""
    config = micro_settings(student.institution)
    if config is None:
        return CourseRecord.objects.none()
    return CourseRecord.objects.filter(student=student, category=config.certification.category).order_by("term", "code")


def micro_credits_on_record(student: Student) -> Decimal:
    """The credits of the imported micro-credit courses on the record with the certification's grade (a pass)."""
    config = micro_settings(student.institution)
    if config is None:
        return Decimal(0)
    courses = micro_courses_on_record(student).filter(grade=config.certification.grade)
    return sum((c.credits for c in courses), Decimal(0))


def requirement_nodes(audit: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The requirements of a stored audit document by id (the settings' `requirement` and the certification's
    `requirement` are the micro-credits' ones)."""
    found: dict[str, dict[str, Any]] = {}

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if "id" in node:
                found.setdefault(node["id"], node)
            visit(node.get("children") or [])

    visit((audit or {}).get("requirements") or [])
    return found


def offset_conditions(audit: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The audit's conditions on the offset that do not hold, with their explanations (a requirement whose
    limit `requires` micro-credits on the record: the offset record beside them does not count)."""
    found: list[dict[str, Any]] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found.extend(c for c in (node.get("details") or {}).get("conditions", []) if not c.get("met"))
            visit(node.get("children") or [])

    visit((audit or {}).get("requirements") or [])
    return found


def certifications_for_staff(user: User) -> QuerySet[Certification]:
    ids = center_institution_ids(user)
    return (
        Certification.objects.filter(student__institution_id__in=ids)
        .select_related("student")
        .prefetch_related("lines")
    )


def offsets_for_staff(user: User) -> QuerySet[OffsetApplication]:
    ids = center_institution_ids(user)
    return OffsetApplication.objects.filter(student__institution_id__in=ids).select_related("student", "course")


def certification_get_for_staff(user: User, pk: int) -> Certification:
    rows = Certification.objects.select_related("student")
    return _staff_get(user, rows, pk, lambda c: c.student.institution_id)


def offset_get_for_staff(user: User, pk: int) -> OffsetApplication:
    rows = OffsetApplication.objects.select_related("student")
    return _staff_get(user, rows, pk, lambda a: a.student.institution_id)


def ban_get_for_staff(user: User, pk: int) -> Ban:
    return _staff_get(user, Ban.objects.select_related("student"), pk, lambda b: b.student.institution_id)


def offset_get_for(user: User, pk: int) -> OffsetApplication:
    """The student's own application, or any of the institution for Center staff."""
    application = get_object_or_404(OffsetApplication.objects.select_related("student__institution"), pk=pk)
    if student_of(user) != application.student and not is_center_staff(user, application.student.institution_id):
        raise PermissionDenied("not your application")
    return application


def pending_reviews(user: User) -> tuple[QuerySet[Certification], QuerySet[OffsetApplication]]:
    return (
        certifications_for_staff(user).filter(status=Review.SUBMITTED),
        offsets_for_staff(user).filter(status=Review.SUBMITTED),
    )


def term_current(institution: Institution, today: datetime.date | None = None) -> str:
    """The institution's current term (records.calendar: its own calendar, else the ROC rule)."""
    return str(calendar.term_current(institution, today))
