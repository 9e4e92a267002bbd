"""Fee pages: a student's credit-fee statement, and the registrar's fee runs (start, add/drop dates, diff, XLSX)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.engine import Term
from menkan.web.accounts.api import registrar_institution_get, registrar_institutions
from menkan.web.exports import xlsx_response
from menkan.web.fees import selectors, services
from menkan.web.records.api import calendar, student_get_for

# The document's two questions and the explanations (engine codes) that answer each.
WHY_LOW = (
    "past-threshold",
    "crosses-threshold",
    "below-threshold",
    "no-courses",
    "program-schedule",
    "extension-basic",
    "extension-full",
    "referral",
    "no-schedule",
)
WHY_AGAIN = ("not-accumulated", "withdrawn-billed")
# A run line's main explanation in a few words (the statement holds the full sentence).
EXPLANATION_LABELS = {
    "below-threshold": gettext_lazy("Below the threshold: every credit billed"),
    "crosses-threshold": gettext_lazy("Reaches the threshold this term"),
    "past-threshold": gettext_lazy("Past the threshold: no credit fee"),
    "no-courses": gettext_lazy("No courses this term"),
    "program-schedule": gettext_lazy("The program's own fee schedule"),
    "extension-basic": gettext_lazy("Extended study: basic fee and credit fees"),
    "extension-full": gettext_lazy("Extended study: full tuition and fees"),
    "referral": gettext_lazy("Fees set by the student's unit"),
    "no-schedule": gettext_lazy("No credit-fee schedule applies"),
    "not-accumulated": gettext_lazy("Failed or withdrawn credits billed again"),
    "withdrawn-billed": gettext_lazy("Withdrawn after add/drop: billed"),
}


@login_required
def student_fees(request: HttpRequest, institution: str, student_id: str) -> HttpResponse:
    student = student_get_for(request.user, institution, student_id)
    terms = selectors.student_fee_terms(student)
    current = str(calendar.term_current(student.institution))
    chosen = request.GET.get("term") or (current if current in terms else next(iter(terms), ""))
    context: dict[str, object] = {"student": student, "terms": terms, "term": chosen}
    if chosen:
        try:
            term = Term.parse(chosen)
        except ValueError:
            raise Http404("not a term") from None
        context["term"] = str(term)
        fees = selectors.student_fee_statement(student, term)
        context["problem"] = fees.problem
        if fees.statement is not None:
            document = fees.statement.as_dict()
            explanations = document["explanations"]
            context.update(
                statement=document,
                basis=[e for e in explanations if e["code"] == "add-drop"],
                why_low=[e for e in explanations if e["code"] in WHY_LOW],
                why_again=[e for e in explanations if e["code"] in WHY_AGAIN],
                graduate=document["threshold"] is not None,
            )
    return render(request, "fees/student.html", context)


@login_required
def runs_index(request: HttpRequest) -> HttpResponse:
    institutions = list(registrar_institutions(request.user))
    if not institutions:
        raise PermissionDenied("fee runs are the registrar's")
    if len(institutions) == 1:
        return redirect("fees:runs", institution=institutions[0].code)
    return render(request, "fees/runs_index.html", {"institutions": institutions})


def _runs_page(request: HttpRequest, institution_code: str, error: str = "", term: str = "") -> HttpResponse:
    institution = registrar_institution_get(request.user, institution_code)
    context = {
        "institution": institution,
        "runs": selectors.fee_runs_of(institution),
        "fee_terms": selectors.fee_terms_with_state(institution),
        "terms": selectors.institution_terms(institution),
        "has_fees": selectors.institution_has_fees(institution),
        "error": error,
        "chosen": term or str(calendar.term_current(institution)),
    }
    return render(request, "fees/runs.html", context)


@login_required
def runs(request: HttpRequest, institution: str) -> HttpResponse:
    if request.method != "POST":
        return _runs_page(request, institution)
    target = registrar_institution_get(request.user, institution)
    term = request.POST.get("term", "").strip()
    try:
        run = services.fee_run_start(target, term, user=request.user, note=request.POST.get("note", ""))
    except services.FeeRunRefused as exc:
        return _runs_page(request, institution, error=str(exc), term=term)
    return redirect("fees:run", run_id=run.pk)


@login_required
@require_POST
def add_drop(request: HttpRequest, institution: str) -> HttpResponse:
    target = registrar_institution_get(request.user, institution)
    term = request.POST.get("term", "").strip()
    try:
        ends = datetime.date.fromisoformat(request.POST.get("add_drop_ends", "").strip())
        services.fee_term_set(target, term, ends, user=request.user)
    except ValueError:
        return _runs_page(request, institution, error=_("Give a term (114-1) and a date (2025-09-19)."), term=term)
    messages.success(request, _("The add/drop closing date is saved."))
    return redirect("fees:runs", institution=institution)


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.fee_run_get_for(request.user, run_id)
    lines = list(selectors.fee_lines_of(run))
    for line in lines:
        line.explanation_label = EXPLANATION_LABELS.get(line.explanation, line.explanation)
    context = {"run": run, "lines": lines, "diff": selectors.fee_run_diff(run)}
    return render(request, "fees/run.html", context)


def _explanation_text(statement: dict[str, Any], code: str) -> str:
    language = "en" if (get_language() or "").startswith("en") else "zh-TW"
    for explanation in statement.get("explanations", []):
        if isinstance(explanation, dict) and explanation.get("code") == code:
            return str(explanation.get(language, ""))
    return ""


@login_required
def run_export(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.fee_run_get_for(request.user, run_id)
    previous = selectors.fee_run_previous(run)
    before = dict(previous.lines.values_list("student_code", "amount")) if previous is not None else {}
    headers = [
        "institution",
        "term",
        "run",
        "student_id",
        "name",
        "schedule",
        "enrolled_credits",
        "billed_credits",
        "exempt_credits",
        "amount",
        "previous_amount",
        "explanation",
        "explanation_text",
    ]
    rows = (
        (
            run.institution.code,
            run.term,
            run.pk,
            line.student_code,
            line.name,
            line.schedule,
            line.enrolled_credits,
            line.billed_credits,
            line.exempt_credits,
            line.amount,
            before.get(line.student_code, ""),
            line.explanation,
            _explanation_text(line.statement, line.explanation),
        )
        for line in selectors.fee_lines_of(run)
    )
    return xlsx_response(f"fees-{run.institution.code}-{run.term}-run{run.pk}.xlsx", headers, rows)
