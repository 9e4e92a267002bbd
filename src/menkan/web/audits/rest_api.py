"""JSON API for audits: a student's stored audit (`menkan.audit/1`, kept current), what-if audits (nothing
stored), and batch audits (registrar).

Thin: who may see a student is decided by records.selectors, as on the pages; audits by audits.selectors/services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import ConfigDict

from menkan.engine import InputError, Term
from menkan.web.accounts.api import Role, is_registrar, roles_of
from menkan.web.accounts.rest_api import Detail, ValidationDetail, input_error, user_of, validation_error
from menkan.web.audits.models import BatchRun
from menkan.web.audits.selectors import audit_document, what_if_programs
from menkan.web.audits.services import audit_refresh_if_stale, batch_audit_start, policy_current, what_if_audit
from menkan.web.errors import problem_loc, problem_reason
from menkan.web.records.api import Institution, student_document, student_get_for

router = Router(tags=["audits"])

STUDENT_ERRORS = {401: Detail, 403: Detail, 404: Detail, 409: Detail}


class PlannedCourse(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=256)
    credits: Decimal = Field(ge=0, le=99, max_digits=5, decimal_places=1)
    category: str | None = Field(None, max_length=48, description="as the student's curriculum classes the course")


class WhatIfIn(Schema):
    model_config = ConfigDict(extra="forbid")

    planned: list[PlannedCourse] = Field(default=[], max_length=200, description="courses as if taken (in progress)")
    programs: list[str] = Field(
        default=[], max_length=50, description="ids of programs (micro-programs) to try, as listed by the policy"
    )


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    institution: str | None = Field(
        None, description="institution code; may be left out by the registrar of a single institution"
    )
    all: bool = Field(
        False,
        description="audit every student again; by default only those whose records, approved exceptions, "
        "policy version or current term changed since their stored audit",
    )


class BatchRunOut(Schema):
    id: int
    institution: str | None
    state: str
    total: int
    done: int = Field(description="students settled: audited, or unchanged since their stored audit")
    skipped: int = Field(description="of done: unchanged since their stored audit, not audited again")
    failed: int
    all: bool = Field(description="every student audited, changed or not")
    progress: float = Field(description="0 to 1")
    errors: list[str]
    started_at: datetime
    finished_at: datetime | None


def _run_out(run: BatchRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "institution": run.institution.code if run.institution_id else None,
        "state": run.state,
        "total": run.total,
        "done": run.done,
        "skipped": run.skipped,
        "failed": run.failed,
        "all": run.full,
        "progress": run.progress,
        "errors": list(run.errors or []),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


@router.get(
    "/students/{institution}/{student_id}/audit",
    response={200: dict[str, Any], **STUDENT_ERRORS},
    summary="A student's audit (menkan.audit/1)",
)
def student_audit_get(request: HttpRequest, institution: str, student_id: str) -> dict[str, Any]:
    """The stored audit of the student, recomputed first if it is missing or was made under an older policy.
    409 if the student cannot be audited (no published policy, or a record the engine refuses)."""
    student = student_get_for(user_of(request), institution, student_id)
    if policy_current(student.institution) is None:
        raise HttpError(409, f"no published policy for {institution}")
    audit_refresh_if_stale(student)
    document = audit_document(student)
    if document is None:
        raise HttpError(409, "the student's record could not be audited; the registrar has been told in the log")
    return document


def _what_if_loc(path: Sequence[str | int], existing: int) -> list[str | int]:
    """Where an engine problem lies: in a planned course of the request (`["body", "planned", 0, "credits"]`),
    or else in the stored record the planned courses were added to (`["record", ...]`)."""
    match path:
        case ["courses", int(index), *rest] if index >= existing:
            return problem_loc(["planned", index - existing, *rest])
    return problem_loc(path, root="record")


@router.post(
    "/students/{institution}/{student_id}/what-if",
    response={200: dict[str, Any], 422: ValidationDetail, **STUDENT_ERRORS},
    summary="What-if audit (nothing stored)",
)
def student_what_if(request: HttpRequest, institution: str, student_id: str, payload: WhatIfIn) -> dict[str, Any]:
    """The audit (`menkan.audit/1`) as if the planned courses were taken — in progress, in the term of the
    current audit — and the programs registered. Nothing is stored."""
    student = student_get_for(user_of(request), institution, student_id)
    version = policy_current(student.institution)
    if version is None:
        raise HttpError(409, f"no published policy for {institution}")
    known = {program_id for program_id, _, _ in what_if_programs(version)}
    for index, program in enumerate(payload.programs):
        if program not in known:
            raise validation_error(
                ["body", "programs", index], f"unknown program {program!r}; known: {', '.join(sorted(known)) or '-'}"
            )
    audit_refresh_if_stale(student)
    stored = audit_document(student)
    term = str(Term.parse(stored["as_of"] if stored else student.admission_term))
    planned = []
    for course in payload.planned:
        entry: dict[str, Any] = {"code": course.code, "title": course.title, "credits": float(course.credits)}
        entry["term"] = term
        if course.category:
            entry["category"] = course.category
        planned.append(entry)
    try:
        result = what_if_audit(student, planned=planned, programs=list(payload.programs))
    except InputError as exc:
        existing = len(student_document(student)["courses"])
        raise input_error([(_what_if_loc(p.path, existing), problem_reason(p)) for p in exc.problems]) from None
    document: dict[str, Any] = result.as_dict()
    return document


def _batch_institution(user: Any, code: str | None) -> Institution | None:
    if code:
        found = Institution.objects.filter(code=code).first()
        if found is None:
            raise Http404(f"no institution {code!r}")
        return found
    registrar_of = {a.institution for a in roles_of(user) if a.role == Role.REGISTRAR}
    if user.is_superuser and not registrar_of:
        return None  # the whole student body
    if len(registrar_of) == 1:
        return registrar_of.pop()
    if not registrar_of:
        raise HttpError(403, "only a registrar may run batch audits")
    raise validation_error(["body", "institution"], "required: you are registrar of more than one institution")


@router.post(
    "/batch-audits",
    response={202: BatchRunOut, 401: Detail, 403: Detail, 404: Detail, 422: ValidationDetail},
    summary="Start a batch audit (registrar)",
)
def batch_start(request: HttpRequest, payload: BatchIn) -> Status[dict[str, Any]]:
    """Re-audit the students of the institution whose input changed since their stored audit (every student
    with `all`), in chunks, in the background. Follow its progress with GET /batch-audits/{id}. Only the
    registrar of the institution may."""
    user = user_of(request)
    institution = _batch_institution(user, payload.institution)
    allowed = user.is_superuser if institution is None else is_registrar(user, institution.pk)
    if not allowed:
        raise HttpError(403, f"only the registrar of {payload.institution} may run its batch audits")
    run = batch_audit_start(institution=institution, user=user, full=payload.all)
    return Status(202, _run_out(run))


@router.get(
    "/batch-audits/{run_id}",
    response={200: BatchRunOut, 401: Detail, 403: Detail, 404: Detail},
    summary="Progress of a batch audit (registrar)",
)
def batch_get(request: HttpRequest, run_id: int) -> dict[str, Any]:
    user = user_of(request)
    run = BatchRun.objects.select_related("institution").filter(pk=run_id).first()
    if run is None:
        raise Http404(f"no batch audit {run_id}")
    allowed = is_registrar(user, run.institution_id) if run.institution_id is not None else user.is_superuser
    if not allowed:
        raise HttpError(403, "only the registrar of the institution may follow its batch audits")
    return _run_out(run)
