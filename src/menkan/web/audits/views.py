"""What-if audits (nothing stored), the audit as a PDF (WeasyPrint), and the registrar's batch audits."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from menkan.engine import InputError, Term
from menkan.web.accounts.api import registrar_institution_get, registrar_institutions
from menkan.web.audits.selectors import audit_document, batch_run_get_for, batch_runs_visible_to, what_if_programs
from menkan.web.audits.services import (
    PlannedCourseError,
    audit_refresh_if_stale,
    batch_audit_start,
    planned_courses_parse,
    policy_current,
    what_if_audit,
)
from menkan.web.errors import input_error_text
from menkan.web.records.api import Institution, student_get_for


@login_required
def what_if(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = student_get_for(request.user, institution, student_id)
    version = policy_current(student.institution)
    programs = what_if_programs(version) if version is not None else []
    context: dict[str, object] = {"student": student, "programs": programs, "planned": "", "chosen": []}
    if request.method == "POST":
        planned_text = request.POST.get("planned", "")
        chosen = request.POST.getlist("program")
        context.update(planned=planned_text, chosen=chosen)
        audit_refresh_if_stale(student)
        stored = audit_document(student)
        term = stored["as_of"] if stored else student.admission_term
        try:
            planned = planned_courses_parse(planned_text, str(Term.parse(term)))
            context["result"] = what_if_audit(student, planned=planned, programs=chosen).as_dict()
            context["before"] = stored
        except PlannedCourseError as exc:
            context["error"] = str(exc)
        except InputError as exc:
            context["error"] = input_error_text(exc) if exc.problems else "no published policy"
    template = "audits/what_if_result.html" if request.headers.get("HX-Request") else "audits/what_if.html"
    return render(request, template, context)


@login_required
def audit_pdf(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    from weasyprint import HTML

    student = student_get_for(request.user, institution, student_id)
    audit_refresh_if_stale(student)
    audit = audit_document(student)
    html = render_to_string(
        "audits/audit_pdf.html", {"student": student, "audit": audit, "printed": timezone.now()}, request=request
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="audit-{student.student_id}.pdf"'
    return response


# --------------------------------------------------------------------------------------------------- batch audits


def _registrar_only(request: HttpRequest) -> list[Institution]:
    institutions = list(registrar_institutions(request.user))
    if not institutions:
        raise PermissionDenied("batch audits are the registrar's")
    return institutions


@login_required
@require_http_methods(["GET", "POST"])
def batch_index(request: HttpRequest) -> HttpResponse:
    """The registrar's batch audits: start one for an institution of theirs, follow the runs, see past ones."""
    institutions = _registrar_only(request)
    if request.method == "POST":
        institution = registrar_institution_get(request.user, request.POST.get("institution", ""))
        full = request.POST.get("all") == "1"
        run = batch_audit_start(institution=institution, user=request.user, full=full)
        messages.success(
            request,
            _("Batch audit %(run)s of %(institution)s started for %(total)d students.")
            % {"run": run.pk, "institution": institution.code, "total": run.total},
        )
        return redirect("audits:batch-detail", pk=run.pk)
    runs = batch_runs_visible_to(request.user)[:50]
    return render(request, "audits/batch_index.html", {"institutions": institutions, "runs": runs})


def _batch_run_page(request: HttpRequest, pk: int, template: str) -> HttpResponse:
    _registrar_only(request)
    return render(request, template, {"run": batch_run_get_for(request.user, pk)})


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_run_page(request, pk, "audits/batch_detail.html")


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's progress as a fragment (htmx polls it while the run is going; it stops polling once done)."""
    return _batch_run_page(request, pk, "audits/_batch_progress.html")
