"""Graduation certification pages: the index (the registrar's reviews, department staff's queue, a student's own
candidacy), a review with its drift and graduate lists, a candidate with its audit and steps, and the exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.web.accounts.api import Role, RoleAssignment, registrar_institution_get, registrar_institutions
from menkan.web.certification import selectors, services
from menkan.web.certification.models import Certification, Review, Step
from menkan.web.exports import xlsx_response
from menkan.web.records.api import student_of

DEPARTMENT_ROLES = (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The registrar: their reviews and opening one; department staff: the candidates at their step; a student:
    their candidacy, and applying while a review is open."""
    institutions = list(registrar_institutions(request.user))
    department_staff = RoleAssignment.objects.filter(user=request.user, role__in=DEPARTMENT_ROLES).exists()
    student = student_of(request.user)
    if not institutions and not department_staff and student is None:
        raise PermissionDenied("registrar, department staff or students only")
    context = {
        "institutions": institutions,
        "reviews": list(selectors.reviews_of(request.user)) if institutions else [],
        "queue": selectors.queue_of(request.user),
        "student": student,
        "open_review": selectors.review_open_for(student) if student is not None else None,
        "candidacies": list(selectors.candidates_visible_to(request.user).filter(student=student)) if student else [],
    }
    return render(request, "certification/index.html", context)


@login_required
@require_POST
def review_open(request: HttpRequest) -> HttpResponse:
    institution = registrar_institution_get(request.user, request.POST.get("institution", ""))
    try:
        review = services.review_open(request.user, institution, request.POST.get("term", ""))
    except services.CertificationError as exc:
        messages.error(request, str(exc))
        return redirect("certification:index")
    messages.success(
        request,
        _("Review opened: %(count)s students in their final year listed.") % {"count": review.candidates.count()},
    )
    return redirect("certification:review", pk=review.pk)


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The registrar's page of a review: candidates by step, the drift of certified students, graduate lists."""
    review = selectors.review_get_for(request.user, pk)
    context = {
        "review": review,
        "candidates": review.candidates.select_related("student__department", "certification"),
        "counts": selectors.steps_count(review),
        "drift": selectors.drift_of(review),
        "departments": selectors.departments_of(review),
        "steps": Step,
    }
    return render(request, "certification/review.html", context)


@login_required
@require_POST
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_get_for(request.user, pk)
    services.review_close(request.user, review)
    messages.success(request, _("Review closed."))
    return redirect("certification:review", pk=review.pk)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    student = student_of(request.user)
    if student is None:
        raise PermissionDenied("students only")
    try:
        services.candidate_apply(student, user=request.user)
    except services.CertificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You have applied: your department officer reviews you first."))
    return redirect("certification:index")


def _candidate_page(request: HttpRequest, pk: int, *, error: str = "", status: int = 200) -> HttpResponse:
    candidate = selectors.candidate_get_for(request.user, pk)
    certification = Certification.objects.filter(candidate=candidate).first()
    # what the person deciding sees is what their decision attaches: the audit now (the certified one, once frozen)
    audit = (
        certification.audit
        if certification
        else selectors.live_audit(candidate.student, candidate.review.term).document
    )
    context = {
        "candidate": candidate,
        "decisions": candidate.decisions.select_related("actor"),
        "may_decide": candidate.step != Step.CERTIFIED and selectors.may_act(request.user, candidate, candidate.step),
        "is_registrar_step": candidate.step == Step.REGISTRAR,
        "certification": certification,
        "audit": audit,
        "error": error,
    }
    return render(request, "certification/candidate.html", context, status=status)


@login_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _candidate_page(request, pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A decision at the candidate's step; a person who does not decide it is refused with the reason (403)."""
    candidate = selectors.candidate_get_for(request.user, pk)
    try:
        services.candidate_decide(
            candidate.pk,
            user=request.user,
            expected_step=request.POST.get("step", ""),
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except services.NotYourStep as exc:
        return _candidate_page(request, candidate.pk, error=str(exc), status=403)
    except services.CertificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your decision is recorded."))
    return redirect("certification:candidate", pk=candidate.pk)


# --------------------------------------------------------------------------------------------------- graduate list


def _graduate_list(request: HttpRequest, pk: int) -> tuple[Review, str, str, list[Certification]]:
    review = selectors.review_get_for(request.user, pk)
    department = request.GET.get("department", "").strip()
    lang = "en" if request.GET.get("lang") == "en" else "zh-hant"
    graduates = selectors.graduates_of(review, department or None)
    if department and not graduates:
        raise Http404("no graduates of that department")
    return review, department, lang, graduates


def _name(language: str, zh: str, en: str) -> str:
    return en or zh if language == "en" else zh


@login_required
def graduates_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    review, department, lang, graduates = _graduate_list(request, pk)
    with translation.override(lang):
        headers = [
            _("Department"),
            _("Student ID"),
            _("Name"),
            _("Certified on"),
            _("Certified by"),
            _("Policy version"),
        ]
        rows = [
            [
                _name(lang, c.student.department.name_zh, c.student.department.name_en),
                c.student.student_id,
                c.student_name,
                timezone.localtime(c.certified_at).date().isoformat(),
                (c.certified_by.get_full_name() or c.certified_by.username) if c.certified_by else "",
                f"v{c.policy_version.version}",
            ]
            for c in graduates
        ]
    name = f"graduates-{review.institution.code}-{review.term}{'-' + department if department else ''}-{lang[:2]}.xlsx"
    return xlsx_response(name, headers, rows)


@login_required
def graduates_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML

    review, department, lang, graduates = _graduate_list(request, pk)
    with translation.override(lang):
        html = render_to_string(
            "certification/graduates_pdf.html",
            {"review": review, "graduates": graduates, "lang": lang, "printed": timezone.now()},
        )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"graduates-{review.institution.code}-{review.term}{'-' + department if department else ''}-{lang[:2]}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
