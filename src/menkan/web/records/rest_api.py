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

from menkan.web.accounts.rest_api import Detail, FieldError, ValidationDetail, user_of, validation_error
from menkan.web.records.imports import (
    KIND_NAMES,
    MAX_IMPORT_BYTES,
    ImportKind,
    import_institutions,
    import_run,
    import_scope,
)
from menkan.web.records.models import Institution, Student
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
