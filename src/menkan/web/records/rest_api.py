"""JSON API for students and their records: list, `menkan.student/1` documents, courses, replacing a record, imports.

Thin: who may see a student is decided by records.selectors (the same functions the pages use), writes go through
records.services and the imports module.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from menkan.web.accounts.rest_api import Detail, FieldError, ValidationDetail, input_error, user_of, validation_error
from menkan.web.records import selectors as record_selectors
from menkan.web.records import services as record_services
from menkan.web.records.imports import (
    KIND_NAMES,
    MAX_IMPORT_BYTES,
    ImportKind,
    import_institutions,
    import_run,
    import_scope,
)
from menkan.web.records.models import Institution, RecordException, Student
from menkan.web.records.selectors import (
    record_write_permission,
    student_document,
    student_get_for,
    students_visible_to,
)
from menkan.web.records.services import student_import_document

router = Router(tags=["students"])

STUDENT_NOT_FOUND = {401: Detail, 403: Detail, 404: Detail}


class StudentFilters(Schema):
    q: str = Field("", max_length=100, description="part of the student ID or name")
    status: Literal["met", "not-met", "in-progress"] | None = Field(None, description="status of the stored audit")
    institution: str | None = Field(None, max_length=32, description="institution code (the id of its policy folder)")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class StudentSummary(Schema):
    institution: str
    student_id: str
    name: str
    department: str
    department_name: str
    class_code: str | None
    status: str | None = Field(description="overall status of the stored audit; null if never audited")


class StudentPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[StudentSummary]


class Course(Schema):
    code: str
    title: str
    credits: float
    term: str
    grade: str | None = Field(None, description="absent for a course in progress")
    offered_by: str | None = None
    category: str | None = None
    tags: list[str] = []
    delivery: str = "in-person"
    transfer: bool = False
    level: str | None = None


class ImportReportOut(Schema):
    ok: bool
    applied: bool = Field(description="true when the file was applied; false for a dry run or a refused file")
    report: dict[str, Any] = Field(description="rows, created, updated, unchanged, problems [{row, column, reason}]")


class ImportRefused(ImportReportOut):
    """A file with problems (its report), or a request without a usable kind, file or institution (`loc`)."""

    ok: bool = False
    applied: bool = False
    report: dict[str, Any] = {}
    detail: str | list[FieldError]


def _search(students: QuerySet[Student], filters: StudentFilters) -> QuerySet[Student]:
    query = filters.q.strip()
    if query:
        students = students.filter(Q(student_id__icontains=query) | Q(name__icontains=query))
    if filters.status:
        students = students.filter(audit__status=filters.status)
    if filters.institution:
        students = students.filter(institution__code=filters.institution)
    return students.order_by("institution__code", "student_id")


@router.get("/students", response={200: StudentPage, 401: Detail, 403: Detail}, summary="Students you may see")
def student_list(request: HttpRequest, filters: Query[StudentFilters]) -> dict[str, Any]:
    """The students whose records you may see (a student: themself; a mentor: the class; department staff: the
    department; the registrar: the institution), filtered and paginated."""
    students = _search(students_visible_to(user_of(request)), filters)
    count = students.count()
    start = (filters.page - 1) * filters.page_size
    page = students.select_related("institution", "department", "school_class", "audit")[
        start : start + filters.page_size
    ]
    items = [
        {
            "institution": s.institution.code,
            "student_id": s.student_id,
            "name": s.name,
            "department": s.department.code,
            "department_name": s.department.name_zh,
            "class_code": s.school_class.code if s.school_class_id else None,
            "status": getattr(getattr(s, "audit", None), "status", None),
        }
        for s in page
    ]
    return {"count": count, "page": filters.page, "page_size": filters.page_size, "items": items}


@router.get(
    "/students/{institution}/{student_id}",
    response={200: dict[str, Any], **STUDENT_NOT_FOUND},
    summary="A student's record (menkan.student/1)",
)
def student_get(request: HttpRequest, institution: str, student_id: str) -> dict[str, Any]:
    """The student's record as a `menkan.student/1` document. 404 if there is no such student or it is not yours
    to see (the same answer for both)."""
    return student_document(student_get_for(user_of(request), institution, student_id))


@router.get(
    "/students/{institution}/{student_id}/courses",
    response={200: list[Course], **STUDENT_NOT_FOUND},
    summary="A student's courses",
)
def student_courses(request: HttpRequest, institution: str, student_id: str) -> list[dict[str, Any]]:
    """The student's course records, in term order (a course in progress has no grade)."""
    student = student_get_for(user_of(request), institution, student_id)
    courses: list[dict[str, Any]] = student_document(student)["courses"]
    return courses


def _institution(code: str) -> Institution:
    found = Institution.objects.filter(code=code).first()
    if found is None:
        raise Http404(f"no institution {code!r}")
    return found


@router.put(
    "/students/{institution}/{student_id}",
    response={200: dict[str, Any], 201: dict[str, Any], 422: ValidationDetail, **STUDENT_NOT_FOUND},
    summary="Replace a student's record (registrar)",
)
def student_replace(
    request: HttpRequest, institution: str, student_id: str, document: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    """Make the stored record exactly this `menkan.student/1` document (creating the student if new). Only the
    registrar of the student's institution may. Invalid documents are refused with 422, each problem naming its
    JSON path, and nothing is changed. Returns the stored record; the student is re-audited."""
    user = user_of(request)
    found = _institution(institution)
    record_write_permission(user, found, "student").require()  # the whole record: the registrar's alone
    for name, expected in (("institution", institution), ("student_id", student_id)):
        if document.get(name) != expected:
            raise validation_error(["body", name], f"must be {expected!r}, as in the URL")
    existed = Student.objects.filter(institution=found, student_id=student_id).exists()
    student, _created = student_import_document(found, document)  # InputError → 422 naming each JSON path (see web.api)
    return Status(200 if existed else 201, student_document(student))


def _import_target(user: Any, code: str | None) -> Institution:
    """The institution to import into: the one named, or the only one the caller may import into."""
    if code:
        return _institution(code)
    allowed = import_institutions(user)
    if not allowed:
        raise HttpError(403, _("you may not import records"))
    if len(allowed) > 1:
        raise validation_error(["form", "institution"], _("required: you may import into more than one institution"))
    return allowed[0][0]


@router.post(
    "/imports",
    response={
        200: ImportReportOut,
        422: ImportRefused,
        413: Detail,
        401: Detail,
        403: Detail,
        404: Detail,
    },
    summary="Import records from a CSV/XLSX file",
    tags=["imports"],
)
def import_upload(
    request: HttpRequest,
    kind: Form[ImportKind],
    file: File[UploadedFile],
    institution: Form[str | None] = None,
    apply: Form[bool] = False,
) -> Status[Any]:
    """Validate a CSV/XLSX file of students, courses, activities or certificates (layouts in docs/import.md) and,
    with `apply=true` and no problem in any row, apply it in one transaction; a second import of the same file
    changes nothing. Without `apply` nothing is stored and the report says what would change. A file with
    problems is refused with 422 and its report (row, column, reason of each); nothing is stored.

    Who may: the registrar of the institution imports everything; unit staff activities and certificates of
    their own unit (as on the import page)."""
    user = user_of(request)
    target = _import_target(user, institution)
    scope = import_scope(user, target)
    if scope is None or kind not in scope.kinds:
        raise HttpError(
            403,
            _("you may not import %(kind)s into %(institution)s")
            % {"kind": KIND_NAMES[kind], "institution": target.code},
        )
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise HttpError(
            413, _("the file is larger than %(mb)d MB; split it") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    report = import_run(
        kind=kind, filename=file.name or "upload", content=file.read(), institution=target, user=user, apply=apply
    )
    body = {"ok": report.ok, "applied": report.applied, "report": report.as_dict()}
    if not report.ok:
        return Status(422, {"detail": _("the file has problems; nothing was stored"), **body})
    return Status(200, body)


# ------------------------------------------------------------------------------------------ exceptions (issue 13)
# The exceptions of a student's record: proposed, listed and decided.


class ExceptionIn(Schema):
    kind: Literal["substitute", "assign", "exclude", "recognise", "waive", "credit"]
    requirement: str = Field(max_length=128, description="a requirement id as in docs/policies.md")
    reason: str = Field(max_length=2000)
    course: str = Field("", max_length=48, description="a course code of the record, or code@term")
    replaces: str = Field("", max_length=256)
    as_: str = Field("", alias="as", max_length=128)
    amount: float | None = None
    credits: float | None = None
    category: str = Field("", max_length=48)
    tags: list[str] = []
    title: str = Field("", max_length=256)
    term: str = Field("", max_length=8)


class ExceptionOut(Schema):
    id: str = Field(description="its id in the record (`exceptions[].id`)")
    pk: int
    kind: str
    requirement: str
    course: str
    replaces: str
    as_: str = Field(alias="as")
    reason: str
    status: str
    proposed_by: str | None
    proposed_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str


class ExceptionDecisionIn(Schema):
    decision: Literal["approve", "reject", "revoke"]
    reason: str = Field("", max_length=2000)


def _person(user: Any) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


def _exception_out(row: RecordException) -> dict[str, Any]:
    return {
        "id": row.record_id,
        "pk": row.pk,
        "kind": row.kind,
        "requirement": row.requirement,
        "course": row.course,
        "replaces": row.replaces,
        "as": row.recognised_as,
        "reason": row.reason,
        "status": row.status,
        "proposed_by": _person(row.proposed_by),
        "proposed_at": row.proposed_at.isoformat(),
        "decided_by": _person(row.decided_by),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decision_reason": row.decision_reason,
    }


def _refused(refused: record_services.ExceptionRefused) -> Exception:
    return input_error([(["body", field] if field else ["body"], text) for field, text in refused.problems])


@router.get(
    "/students/{institution}/{student_id}/exceptions",
    response={200: list[ExceptionOut], **STUDENT_NOT_FOUND},
    summary="A student's exceptions",
    tags=["exceptions"],
)
def exception_list(request: HttpRequest, institution: str, student_id: str) -> list[dict[str, Any]]:
    """The approved exceptions of the student (those the audit honours); for the staff who propose or decide
    them, every one whatever its status (proposed, approved, rejected, revoked)."""
    user = user_of(request)
    student = record_selectors.student_for_exceptions(user, institution, student_id)
    staff = record_selectors.may_propose_exception(user, student) or record_selectors.may_decide_exception(
        user, student
    )
    rows = record_selectors.exceptions_of(student) if staff else record_selectors.exceptions_approved_of(student)
    if not students_visible_to(user).filter(pk=student.pk).exists():  # a program contact: their programs' only
        rows = [row for row in rows if record_selectors.may_propose_exception(user, student, row.requirement)]
    return [_exception_out(row) for row in rows]


@router.post(
    "/students/{institution}/{student_id}/exceptions",
    response={201: ExceptionOut, 422: ValidationDetail, **STUDENT_NOT_FOUND},
    summary="Propose an exception (department officer, program contact, registrar)",
    tags=["exceptions"],
)
def exception_create(
    request: HttpRequest, institution: str, student_id: str, payload: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    """Propose an exception (the fields of `ExceptionIn`); the department head (or the registrar) decides it.
    Refused with 422 naming the field (an unknown requirement or course, a field its kind needs), with 403 when it
    is not yours to propose. The student is looked up before the body is read: a student you may not see is
    answered 404 whatever the body, as a missing one."""
    user = user_of(request)
    student = record_selectors.student_for_exceptions(user, institution, student_id)
    try:
        fields = ExceptionIn.model_validate(payload).model_dump(by_alias=True)
    except PydanticValidationError as invalid:
        raise input_error([(["body", *error["loc"]], error["msg"]) for error in invalid.errors()]) from None
    try:
        row = record_services.exception_propose(user, student, fields)
    except record_services.ExceptionRefused as refused:
        raise _refused(refused) from refused
    return Status(201, _exception_out(row))


@router.post(
    "/exceptions/{pk}/decision",
    response={200: ExceptionOut, 422: ValidationDetail, 401: Detail, 403: Detail, 404: Detail},
    summary="Approve, reject or revoke an exception (department head, registrar)",
    tags=["exceptions"],
)
def exception_decision(request: HttpRequest, pk: int, payload: ExceptionDecisionIn) -> dict[str, Any]:
    """Decide a proposed exception (approve, reject with a reason) or revoke an approved one (with a reason);
    only the head of the student's department or the registrar may (403 otherwise, nothing changed)."""
    user = user_of(request)
    row = record_selectors.exception_get_for(user, pk)
    try:
        if payload.decision == "approve":
            row = record_services.exception_approve(user, row.pk)
        elif payload.decision == "reject":
            row = record_services.exception_reject(user, row.pk, payload.reason)
        else:
            row = record_services.exception_revoke(user, row.pk, payload.reason)
    except record_services.ExceptionRefused as refused:
        raise _refused(refused) from refused
    return _exception_out(row)
