"""Writes of records: institutions from their policy settings, and students from `menkan.student/1` documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from menkan.engine import (
    InputError,
    InputProblem,
    PolicySet,
    exception_problems,
    grade_problems,
    student_from_dict,
    student_to_dict,
)
from menkan.engine import Student as EngineStudent
from menkan.web.accounts.api import User
from menkan.web.records.codec import (
    Key,
    activity_key,
    activity_row,
    certificate_row,
    course_row,
    exception_fragment,
    student_document,
    student_row,
)
from menkan.web.records.hooks import policy_set_current, runtime_current
from menkan.web.records.models import (
    Activity,
    Certificate,
    College,
    CourseRecord,
    Department,
    Institution,
    RecordException,
    SchoolClass,
    Student,
)
from menkan.web.records.selectors import may_decide_exception, may_propose_exception


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


# --------------------------------------------------------------------------------------------------- exceptions


class ExceptionRefused(ValueError):
    """An exception refused, and why: each problem with the field it is about (`requirement`, `course`, …, or
    `""` for the exception as a whole), in the user's language. Nothing was written."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {text}" if field else text for field, text in problems))


# The form's and the import's field names of an exception, and the record's name of each.
EXCEPTION_FIELDS: dict[str, str] = {
    "kind": "kind",
    "requirement": "requirement",
    "course": "course",
    "replaces": "replaces",
    "as": "recognised_as",
    "amount": "amount",
    "credits": "credits",
    "category": "category",
    "tags": "tags",
    "title": "title",
    "term": "term",
    "reason": "reason",
}


def exception_row(fields: dict[str, Any]) -> dict[str, Any]:
    """The model fields of an exception from the record's field names (blank ones left empty); ExceptionRefused
    for a number that is none."""
    row: dict[str, Any] = {}
    for name, column in EXCEPTION_FIELDS.items():
        value = fields.get(name)
        if column in ("amount", "credits"):
            try:
                row[column] = Decimal(str(value).strip()) if value not in (None, "") else None
            except InvalidOperation:
                raise ExceptionRefused([(name, gettext("must be a number"))]) from None
        elif column == "tags":
            row[column] = [t for t in (value.split(",") if isinstance(value, str) else value or []) if str(t).strip()]
            row[column] = [str(t).strip() for t in row[column]]
        else:
            row[column] = str(value or "").strip()
    return row


def exception_problems_of(student: Student, row: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with an exception (model fields) for `student`, located by field, in the user's language:
    the engine's validation of the student's record with it, and its requirement and course checked against the
    policies of the student's institution and the record (the engine's `exception_problems`)."""
    from menkan.web.errors import problem_reason

    probe = RecordException(student=student, **row, status=RecordException.Status.APPROVED)
    probe.pk = 0
    probe.decided_at = timezone.now()
    entry = {**exception_fragment(probe), "approved_by": "-"}
    document = student_document(student)
    others = [e for e in document.get("exceptions", []) if e["id"] != entry["id"]]
    index = len(others)
    document["exceptions"] = [*others, entry]
    if not row.get("reason"):
        return [("reason", gettext("Say why: an exception needs a reason."))]
    try:
        record = student_from_dict(document)
    except InputError as error:
        return [(_field_of(p.path, index), problem_reason(p)) for p in error.problems]
    runtime = runtime_current(student.institution)
    if runtime is None:
        return [("", gettext("No policy is published for this institution."))]
    found = exception_problems(record, runtime.nodes)
    return [(_field_of(p.path, index), problem_reason(p)) for p in found if tuple(p.path)[:2] == ("exceptions", index)]


def _field_of(path: Any, index: int) -> str:
    parts = tuple(path)
    if parts[:2] == ("exceptions", index) and len(parts) > 2:
        return {"as": "as"}.get(str(parts[2]), str(parts[2]))
    return ".".join(str(p) for p in parts)


def _exception_checked(student: Student, fields: dict[str, Any]) -> dict[str, Any]:
    row = exception_row(fields)
    problems = exception_problems_of(student, row)
    if problems:
        raise ExceptionRefused(problems)
    return row


@transaction.atomic
def exception_propose(user: User, student: Student, fields: dict[str, Any]) -> RecordException:
    """A department officer (a program contact, for a program's requirements; the registrar) proposes an
    exception for `student` (fields by the record's names: kind, requirement, course, as, …, reason). Refused
    (PermissionDenied) when it is not theirs to propose, and (ExceptionRefused, located) when the record with it
    would not be valid or it names a requirement or course that is not there; nothing is written then."""
    requirement = str(fields.get("requirement") or "").strip()
    if not may_propose_exception(user, student, requirement):
        raise PermissionDenied(gettext("You may not propose exceptions for this student."))
    row = _exception_checked(student, fields)
    return _created(user, student, row)


def _created(user: User, student: Student, row: dict[str, Any]) -> RecordException:
    exception = RecordException(student=student, proposed_by=user, **row)
    exception._history_user = user  # type: ignore[attr-defined]  # django-simple-history: who proposed it
    exception.save()
    return exception


def _locked_exception(pk: int) -> RecordException:
    return RecordException.objects.select_for_update().select_related("student__institution").get(pk=pk)


def _decided(exception: RecordException, user: User, status: str, reason: str) -> RecordException:
    exception.status = status
    exception._history_user = user  # type: ignore[attr-defined]  # django-simple-history: who changed it
    exception.decided_by = user
    exception.decided_at = timezone.now()
    exception.decision_reason = reason
    exception.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return exception


def _decision_checked(user: User, exception: RecordException, expected: str) -> None:
    if not may_decide_exception(user, exception.student):
        raise PermissionDenied(gettext("Only the department head or the registrar decides this exception."))
    if exception.status != expected:
        raise ExceptionRefused(
            [
                (
                    "",
                    gettext("This exception is %(status)s already; nothing was changed.")
                    % {"status": exception.get_status_display()},
                )
            ]
        )


def exception_approve(user: User, pk: int) -> RecordException:
    """The department head (or the registrar) approves a proposed exception: it enters the student's record and
    the student is re-audited once the transaction commits. Under a row lock: two deciders make one decision.
    Checked again (the record or the policy may have changed since it was proposed)."""
    with transaction.atomic():
        exception = _locked_exception(pk)
        _decision_checked(user, exception, RecordException.Status.PROPOSED)
        row = {column: getattr(exception, column) for column in EXCEPTION_FIELDS.values()}
        problems = exception_problems_of(exception.student, row)
        if problems:
            raise ExceptionRefused(problems)
        return _decided(exception, user, RecordException.Status.APPROVED, "")


def exception_reject(user: User, pk: int, reason: str) -> RecordException:
    """The department head (or the registrar) rejects a proposed exception, saying why (under a row lock)."""
    reason = reason.strip()
    if not reason:
        raise ExceptionRefused([("reason", gettext("Say why: a rejection needs a reason."))])
    with transaction.atomic():
        exception = _locked_exception(pk)
        _decision_checked(user, exception, RecordException.Status.PROPOSED)
        return _decided(exception, user, RecordException.Status.REJECTED, reason)


def exception_revoke(user: User, pk: int, reason: str) -> RecordException:
    """The department head (or the registrar) revokes an approved exception, saying why: it leaves the record
    (the student is re-audited), the row and its history stay."""
    reason = reason.strip()
    if not reason:
        raise ExceptionRefused([("reason", gettext("Say why: revoking needs a reason."))])
    with transaction.atomic():
        exception = _locked_exception(pk)
        _decision_checked(user, exception, RecordException.Status.APPROVED)
        return _decided(exception, user, RecordException.Status.REVOKED, reason)


@transaction.atomic
def exception_record_judgement(user: User, student: Student, fields: dict[str, Any]) -> RecordException:
    """A reviewer's judgement at a review step (the caller checked the step is theirs): the exception is
    proposed and approved by them at once, and is in the record from now on."""
    row = _exception_checked(student, fields)
    exception = _created(user, student, row)
    return _decided(exception, user, RecordException.Status.APPROVED, "")
