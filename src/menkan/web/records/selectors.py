"""Reads of records: who may see which students, and students in the engine's `menkan.student/1` form."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import Student as EngineStudent
from menkan.engine import student_from_dict
from menkan.web.accounts.models import Role, RoleAssignment, User
from menkan.web.records.models import Activity, Certificate, CourseRecord, Student


def students_visible_to(user: User) -> QuerySet[Student]:
    """The students whose records `user` may see: a student only themself, a mentor their classes,
    department staff their department, the registrar the institution. Unit staff see no student's
    record (only their unit's items)."""
    if not user.is_authenticated:
        return Student.objects.none()
    if user.is_superuser:
        return Student.objects.all()
    scope = Q(user=user) | Q(school_class__mentor=user)
    for assignment in RoleAssignment.objects.filter(user=user):
        if assignment.role == Role.REGISTRAR:
            scope |= Q(institution_id=assignment.institution_id)
        elif assignment.role in (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD) and assignment.department_id:
            scope |= Q(department_id=assignment.department_id)
        elif assignment.role == Role.MENTOR and assignment.school_class_id:
            scope |= Q(school_class_id=assignment.school_class_id)
    return Student.objects.filter(scope).distinct()


def student_get_for(user: User, institution: str, student_id: str) -> Student:
    """One student, if `user` may see them: 404 when there is no such student, 403 when it is not theirs."""
    student = get_object_or_404(
        Student.objects.select_related("institution", "department", "school_class"),
        institution__code=institution,
        student_id=student_id,
    )
    if not students_visible_to(user).filter(pk=student.pk).exists():
        raise PermissionDenied("not your student")
    return student


def activities_visible_to(user: User) -> QuerySet[Activity]:
    """Activities: unit staff see their unit's; others see those of the students they may see."""
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Activity.objects.filter(scope)


def certificates_visible_to(user: User) -> QuerySet[Certificate]:
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Certificate.objects.filter(scope)


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def _course(row: dict[str, Any]) -> dict[str, Any]:
    record = {"code": row["code"], "title": row["title"], "credits": _number(row["credits"]), "term": row["term"]}
    for name in ("grade",):
        if row[name] is not None:
            record[name] = row[name]
    for name in ("offered_by", "category", "level"):
        if row[name]:
            record[name] = row[name]
    if row["tags"]:
        record["tags"] = row["tags"]
    if row["delivery"] != "in-person":
        record["delivery"] = row["delivery"]
    if row["transfer"]:
        record["transfer"] = True
    return record


def _activity(row: dict[str, Any]) -> dict[str, Any]:
    record = {
        "item": row["item"],
        "hours": _number(row["hours"]),
        "term": row["term"],
        "title": row["title"],
        "id": f"activity-{row['id']}",
    }
    if row["unit"]:
        record["unit"] = row["unit"]
    if row["date"] is not None:
        record["date"] = row["date"].isoformat()
    if not row["passed"]:
        record["passed"] = False
    return record


def _certificate(row: dict[str, Any]) -> dict[str, Any]:
    record = {"code": row["code"], "title": row["title"], "term": row["term"], "id": f"certificate-{row['id']}"}
    if row["level"]:
        record["level"] = row["level"]
    return record


_COURSE_FIELDS = ("student_id", "code", "title", "credits", "term", "grade", "offered_by", "category", "tags")
_COURSE_FIELDS += ("delivery", "transfer", "level")
_ACTIVITY_FIELDS = ("id", "student_id", "item", "hours", "term", "title", "unit", "date", "passed")
_CERTIFICATE_FIELDS = ("id", "student_id", "code", "title", "term", "level")


def student_documents(students: Iterable[Student]) -> Iterator[tuple[Student, dict[str, Any]]]:
    """Each student with their record as a `menkan.student/1` document, in three queries per batch."""
    batch = list(students)
    ids = [s.pk for s in batch]
    courses: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in CourseRecord.objects.filter(student_id__in=ids).order_by("term", "id").values(*_COURSE_FIELDS):
        courses[row["student_id"]].append(_course(row))
    activities: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Activity.objects.filter(student_id__in=ids).order_by("term", "id").values(*_ACTIVITY_FIELDS):
        activities[row["student_id"]].append(_activity(row))
    certificates: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Certificate.objects.filter(student_id__in=ids).order_by("term", "id").values(*_CERTIFICATE_FIELDS):
        certificates[row["student_id"]].append(_certificate(row))
    for student in batch:
        document: dict[str, Any] = {
            "schema": "menkan.student/1",
            "student_id": student.student_id,
            "institution": student.institution.code,
            "department": student.department.code,
            "division": student.division,
            "degree": student.degree,
            "admission_term": student.admission_term,
            "admitted_into_year": student.admitted_into_year,
            "courses": courses.get(student.pk, []),
            "activities": activities.get(student.pk, []),
            "certificates": certificates.get(student.pk, []),
        }
        if student.name:
            document["name"] = student.name
        if student.school_class_id is not None:
            document["class_code"] = student.school_class.code
        if student.flags:
            document["flags"] = student.flags
        document.update(student.standing or {})
        yield student, document


def engine_students(students: Iterable[Student]) -> Iterator[tuple[Student, EngineStudent]]:
    """Students ready for the engine (validated as any other input)."""
    for student, document in student_documents(students):
        yield student, student_from_dict(document, source=f"student {student.student_id}")


def student_document(student: Student) -> dict[str, Any]:
    return next(student_documents([student]))[1]


def assert_can_see(user: User, student: Student) -> None:
    if not students_visible_to(user).filter(pk=student.pk).exists():
        raise PermissionDenied("not your student")
