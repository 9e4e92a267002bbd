"""Pages for students and the people who look after them (thin: selectors and services do the work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from menkan.web.accounts.api import landing_url
from menkan.web.exports import xlsx_response
from menkan.web.records.hooks import audit_document_fresh
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
    return render(request, "records/student_home.html", {"student": student, "audit": audit})
