"""Writes of records: institutions from their policy settings, and students from `menkan.student/1` documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models, transaction

from menkan.engine import InputError, InputProblem, PolicySet, grade_problems, student_from_dict, student_to_dict
from menkan.engine import Student as EngineStudent
from menkan.web.records.codec import (
    Key,
    activity_key,
    activity_row,
    certificate_row,
    course_row,
    student_document,
    student_row,
)
from menkan.web.records.hooks import policy_set_current
from menkan.web.records.models import (
    Activity,
    Certificate,
    College,
    CourseRecord,
    Department,
    Institution,
    SchoolClass,
    Student,
)


@transaction.atomic
def institution_sync(policy_set: PolicySet) -> Institution:
    """Create or update the institution, its colleges and departments from its policy settings."""
    settings = policy_set.institution
    institution, _ = Institution.objects.update_or_create(
        code=settings.id, defaults={"name_zh": settings.name.zh_tw, "name_en": settings.name.en}
    )
    colleges = {}
    for college in settings.colleges:
        colleges[college.id], _ = College.objects.update_or_create(
            institution=institution,
            code=college.id,
            defaults={"name_zh": college.name.zh_tw, "name_en": college.name.en},
        )
    for department in settings.departments:
        Department.objects.update_or_create(
            institution=institution,
            code=department.id,
            defaults={
                "name_zh": department.name.zh_tw,
                "name_en": department.name.en,
                "college": colleges.get(department.college or ""),
            },
        )
    return institution


def department_for(institution: Institution, code: str) -> Department:
    """The department with this code, created with the code as its name when the policy does not list it."""
    department, _ = Department.objects.get_or_create(institution=institution, code=code, defaults={"name_zh": code})
    return department


@transaction.atomic
def student_import_document(institution: Institution, document: dict[str, Any]) -> tuple[Student, bool]:
    """Make the database hold exactly this `menkan.student/1` record (validated first); idempotent.

    Returns the student and whether anything changed. Raises InputError (each problem at its path, and nothing
    changed) if the document is not a valid record.
    """
    record = student_to_dict(_record_checked(institution, document))
    department = department_for(institution, record["department"])
    school_class = None
    if record.get("class_code"):
        school_class, _ = SchoolClass.objects.get_or_create(
            institution=institution, code=record["class_code"], defaults={"department": department}
        )
    defaults = {"department": department, "school_class": school_class, **student_row(record)}
    student, created = Student.objects.get_or_create(
        institution=institution, student_id=record["student_id"], defaults=defaults
    )
    changed = created
    if not created and any(getattr(student, name) != value for name, value in defaults.items()):
        for name, value in defaults.items():
            setattr(student, name, value)
        student.save()
        changed = True
    changed |= _sync_courses(student, record.get("courses", []))
    changed |= _sync_activities(student, record.get("activities", []))
    changed |= _sync_certificates(student, record.get("certificates", []))
    return student, changed


def record_validator(institution: Institution) -> Callable[[Any], list[InputProblem]]:
    """The one validation of records written for the institution (the API's PUT and imports alike): the engine's
    validation of `menkan.student/1`, and the grades read on the scale of the institution's published policy (when
    it has one), so that a grade the audit could not read is refused now, at its path, not found later. The
    function returned gives every problem of a document, located by its path (none: the record is valid)."""
    policy_set = policy_set_current(institution)
    settings = policy_set.institution if policy_set is not None else None

    def problems(document: Any) -> list[InputProblem]:
        try:
            student = student_from_dict(document)
        except InputError as error:
            return list(error.problems)
        return grade_problems(student, settings) if settings is not None else []

    return problems


def _record_checked(institution: Institution, document: dict[str, Any]) -> EngineStudent:
    """The document as an engine record, validated by `record_validator` (InputError with every problem)."""
    problems = record_validator(institution)(document)
    if problems:
        raise InputError(problems)
    return student_from_dict(document)


@transaction.atomic
def student_programs_save(student: Student, entries: list[dict[str, Any]]) -> None:
    """Make the record's program registrations (`programs`, the engine's block) exactly `entries`: the one store
    of registrations, written by imports and by the portal's registration alike. The entries are validated as
    part of the student's record first; saving schedules the student's re-audit once the transaction commits
    (and the student's history keeps who changed it, when)."""
    document = {**student_document(student), "programs": entries}
    record = student_to_dict(student_from_dict(document, source=f"student {student.student_id}"))
    standing = dict(student.standing or {})
    if record.get("programs"):
        standing["programs"] = record["programs"]
    else:
        standing.pop("programs", None)
    if standing != student.standing:
        student.standing = standing
        student.save(update_fields=["standing"])


def _sync(
    model: type[models.Model],
    student: Student,
    existing: dict[Key, models.Model],
    wanted: dict[Key, tuple[dict[str, Any], dict[str, Any]]],
) -> bool:
    """Make the student's records of `model` exactly `wanted` (natural key -> (key fields, other fields)):
    create what is missing, update what differs, delete what is no longer there. Returns whether anything changed.
    """
    changed = False
    for key, (identity, fields) in wanted.items():
        current = existing.get(key)
        if current is None:
            model.objects.create(student=student, **identity, **fields)  # type: ignore[attr-defined]
            changed = True
        elif any(getattr(current, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(current, name, value)
            current.save()
            changed = True
    for key, current in existing.items():
        if key not in wanted:
            current.delete()
            changed = True
    return changed


def _sync_courses(student: Student, courses: Iterable[dict[str, Any]]) -> bool:
    existing: dict[Key, models.Model] = {(c.code, c.term): c for c in student.courses.all()}
    wanted = {key: (identity, fields) for key, identity, fields in map(course_row, courses)}
    return _sync(CourseRecord, student, existing, wanted)


def _sync_activities(student: Student, activities: Iterable[dict[str, Any]]) -> bool:
    existing: dict[Key, models.Model] = {
        activity_key({"item": a.item, "title": a.title, "term": a.term, "date": a.date}): a
        for a in student.activities.all()
    }
    wanted = {key: (identity, fields) for key, identity, fields in map(activity_row, activities)}
    return _sync(Activity, student, existing, wanted)


def _sync_certificates(student: Student, certificates: Iterable[dict[str, Any]]) -> bool:
    existing: dict[Key, models.Model] = {(c.code, c.term): c for c in student.certificates.all()}
    wanted = {key: (identity, fields) for key, identity, fields in map(certificate_row, certificates)}
    return _sync(Certificate, student, existing, wanted)


# Writes of records made by the workflow apps (an activity for hours registered, a course for credits certified,
# a certificate for a licence): they go through here, so that records alone writes its rows.


def activity_add(student: Student, **fields: Any) -> Activity:
    """Record a new activity of the student (hours of an approved upload)."""
    return Activity.objects.create(student=student, **fields)


def activity_ensure(student: Student, *, defaults: dict[str, Any], **key: Any) -> tuple[Activity, bool]:
    """The student's activity matching `key`, recorded with `defaults` when there is none (a roster uploaded again
    changes nothing); whether it was recorded now."""
    return Activity.objects.get_or_create(student=student, defaults=defaults, **key)


def activity_set(student: Student, *, defaults: dict[str, Any], **key: Any) -> tuple[Activity, bool]:
    """The student's activity matching `key`, recorded or changed to `defaults` (a course graded again)."""
    return Activity.objects.update_or_create(student=student, defaults=defaults, **key)


def certificate_ensure(student: Student, *, defaults: dict[str, Any], **key: Any) -> tuple[Certificate, bool]:
    """The student's certificate matching `key`, recorded with `defaults` when there is none."""
    return Certificate.objects.get_or_create(student=student, defaults=defaults, **key)


def course_add(student: Student, **fields: Any) -> CourseRecord:
    """Record a new course of the student (a micro-credit step certified)."""
    return CourseRecord.objects.create(student=student, **fields)


def course_set(student: Student, *, defaults: dict[str, Any], **key: Any) -> tuple[CourseRecord, bool]:
    """The student's course matching `key`, recorded or changed to `defaults` (an offset credited)."""
    return CourseRecord.objects.update_or_create(student=student, defaults=defaults, **key)
