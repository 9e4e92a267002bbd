"""Pages for students and the people who look after them (thin: selectors and services do the work)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.web.accounts.api import landing_url
from menkan.web.exports import xlsx_response
from menkan.web.records import selectors, services
from menkan.web.records.hooks import audit_document_fresh
from menkan.web.records.models import RecordException, Student
from menkan.web.records.selectors import student_get_for, students_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own work (accounts.navigation.landing_url)."""
    return redirect(landing_url(request.user))


def _filtered(request: HttpRequest):  # type: ignore[no-untyped-def]
    students = students_visible_to(request.user).select_related("institution", "department", "school_class", "audit")
    query = request.GET.get("q", "").strip()
    if query:
        students = students.filter(Q(student_id__icontains=query) | Q(name__icontains=query))
    status = request.GET.get("status", "")
    if status:
        students = students.filter(audit__status=status)
    return students.order_by("institution__code", "student_id")


@login_required
def student_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_filtered(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "records/student_list.html",
        {"page": page, "q": request.GET.get("q", ""), "status": request.GET.get("status", "")},
    )


@login_required
def student_list_export(request: HttpRequest) -> HttpResponse:
    rows = (
        (
            s.institution.code,
            s.student_id,
            s.name,
            s.department.name_zh,
            s.school_class.code if s.school_class else "",
            getattr(getattr(s, "audit", None), "status", ""),
        )
        for s in _filtered(request)
    )
    headers = ["institution", "student_id", "name", "department", "class", "status"]
    return xlsx_response("students.xlsx", headers, rows)


@login_required
def student_home(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = student_get_for(request.user, institution, student_id)
    audit = audit_document_fresh(student)
    context = {"student": student, "audit": audit, **_exceptions_context(request, student, audit)}
    return render(request, "records/student_home.html", context)


def _exceptions_context(request: HttpRequest, student: Student, audit: dict[str, Any] | None) -> dict[str, Any]:
    """The student page's exceptions: the approved ones for everybody who sees the page, each with how the audit
    took it (applied, or not and why); every proposal and decision for the staff who propose or decide them."""
    may_propose = selectors.may_propose_exception(request.user, student)
    may_decide = selectors.may_decide_exception(request.user, student)
    rows = selectors.exceptions_of(student) if may_propose or may_decide else selectors.exceptions_approved_of(student)
    in_audit = {entry["id"]: entry for entry in (audit or {}).get("exceptions", [])}
    return {
        "exceptions": [(row, in_audit.get(row.record_id)) for row in rows],
        "may_propose_exception": may_propose,
        "may_decide_exception": may_decide,
        "exception_kinds": RecordException.Kind.choices,
    }


def _student_page(student: Student) -> HttpResponse:
    return redirect("records:student-home", institution=student.institution.code, student_id=student.student_id)


@login_required
@require_POST
def exception_propose(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = selectors.student_for_exceptions(request.user, institution, student_id)
    fields = {name: request.POST.get(name, "") for name in services.EXCEPTION_FIELDS}
    try:
        services.exception_propose(request.user, student, fields)
    except services.ExceptionRefused as refused:
        messages.error(request, _("The exception was not proposed: %(why)s") % {"why": refused})
    else:
        messages.success(request, _("Exception proposed; the department head decides it."))
    if not students_visible_to(request.user).filter(pk=student.pk).exists():
        return redirect("programs:queue")  # a program contact, who has no student page to go back to
    return _student_page(student)


EXCEPTION_DECISIONS = ("approve", "reject", "revoke")


@login_required
@require_POST
def exception_decide(request: HttpRequest, pk: int) -> HttpResponse:
    exception = selectors.exception_get_for(request.user, pk)
    decision = request.POST.get("decision", "")
    if decision not in EXCEPTION_DECISIONS:
        raise PermissionDenied("unknown decision")
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            services.exception_approve(request.user, exception.pk)
        elif decision == "reject":
            services.exception_reject(request.user, exception.pk, reason)
        else:
            services.exception_revoke(request.user, exception.pk, reason)
    except services.ExceptionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Your decision on %(id)s is recorded.") % {"id": exception.record_id})
    if request.POST.get("back") == "queue":
        return redirect("records:exception-queue")
    return _student_page(exception.student)


@login_required
def exception_queue(request: HttpRequest) -> HttpResponse:
    """Department heads and the registrar: the proposed exceptions waiting for their decision."""
    if not selectors.decides_exceptions(request.user):
        raise PermissionDenied("department head or registrar only")
    return render(request, "records/exception_queue.html", {"waiting": selectors.exceptions_to_decide(request.user)})
