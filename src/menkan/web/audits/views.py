"""What-if audits (nothing stored), the audit as a PDF, the registrar's batch audits and policy publishing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from menkan.engine import InputError, Term
from menkan.web.accounts.api import registrar_institution_get, registrar_institutions
from menkan.web.audits.models import PolicyDraft
from menkan.web.audits.selectors import (
    audit_document,
    batch_run_get_for,
    batch_runs_visible_to,
    policy_draft_get_for,
    policy_drafts_visible_to,
    policy_versions_of,
    what_if_programs,
)
from menkan.web.audits.services import (
    DraftRefused,
    PlannedCourseError,
    PolicyFilesRefused,
    audit_refresh_if_stale,
    batch_audit_start,
    planned_courses_parse,
    policy_current,
    policy_draft_create,
    policy_draft_publish,
    policy_files_read,
    what_if_audit,
)
from menkan.web.errors import engine_language, input_error_text
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


# --------------------------------------------------------------------------------------------------- policy publishing

CHANGED_SHOWN = 500  # changed students listed on the preview page (the CLI lists every one)


@login_required
@require_http_methods(["GET", "POST"])
def policy_index(request: HttpRequest) -> HttpResponse:
    """The registrar's policy publishing: upload an institution's policy files, then see their impact."""
    institutions = _registrar_only(request)
    context: dict[str, object] = {"institutions": institutions, "chosen": "", "note": ""}
    if request.method == "POST":
        institution = registrar_institution_get(request.user, request.POST.get("institution", ""))
        note = request.POST.get("note", "").strip()
        context.update(chosen=institution.code, note=note)
        uploads = [(upload.name or "", upload) for upload in request.FILES.getlist("files")]
        try:
            files = policy_files_read(uploads)
            draft = policy_draft_create(institution, files, user=request.user, note=note, lang=engine_language())
        except PolicyFilesRefused as exc:
            context["errors"] = exc.messages
        else:
            return redirect("audits:policy-draft", pk=draft.pk)
    context["drafts"] = policy_drafts_visible_to(request.user)[:20]
    context["versions"] = policy_versions_of(institutions)[:50]
    context["current"] = {i.code: policy_current(i) for i in institutions}
    return render(request, "audits/policy_index.html", context)


def _policy_draft_of(request: HttpRequest, pk: int) -> PolicyDraft:
    _registrar_only(request)
    return policy_draft_get_for(request.user, pk)


def _policy_draft_page(request: HttpRequest, draft: PolicyDraft, template: str) -> HttpResponse:
    report = draft.report or {}
    students = report.get("students", [])
    context = {
        "draft": draft,
        "report": report,
        "students": students[:CHANGED_SHOWN],
        "more": max(0, len(students) - CHANGED_SHOWN),
        "current": policy_current(draft.institution),
    }
    return render(request, template, context)


@login_required
@require_GET
def policy_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's impact preview (its progress while it is computed) and the confirmation that publishes it."""
    return _policy_draft_page(request, _policy_draft_of(request, pk), "audits/policy_draft.html")


@login_required
@require_GET
def policy_draft_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview's progress as a fragment (htmx polls it; once the preview is ready the page is reloaded)."""
    draft = _policy_draft_of(request, pk)
    response = _policy_draft_page(request, draft, "audits/_policy_draft_progress.html")
    if request.headers.get("HX-Request") and draft.state != PolicyDraft.State.RUNNING:
        response["HX-Refresh"] = "true"  # the preview is ready (or failed): show the whole page
    return response


@login_required
@require_POST
def policy_draft_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish exactly the previewed files, if the version they were compared with is still current."""
    draft = _policy_draft_of(request, pk)
    try:
        version = policy_draft_publish(draft, user=request.user, checksum=request.POST.get("checksum", ""))
    except DraftRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Version %(version)s of %(institution)s is current; its students are being re-audited.")
            % {"version": version.version, "institution": version.institution.code},
        )
    return redirect("audits:policy-draft", pk=draft.pk)
