"""Pass-rate report pages: the form, the document's tables and bar charts, and the CSV, XLSX and JSONL downloads
(thin: selectors compute, `menkan.reports` renders exactly as the CLI does)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language

from menkan.engine import InputError, Term
from menkan.reports import PassRateReport, render_csv, render_xlsx
from menkan.web.accounts.api import registrar_institution_get, registrar_institutions
from menkan.web.errors import input_error_text
from menkan.web.exports import XLSX
from menkan.web.records.api import Institution
from menkan.web.reports.display import report_charts, report_tables
from menkan.web.reports.forms import PassRateForm
from menkan.web.reports.selectors import (
    PassRateOutcome,
    ReportUnavailable,
    latest_audit_term,
    pass_rate_documents,
    pass_rate_report,
)


def _report_lang() -> str:
    """The language of the workbook's labels: the page's (the CLI's `--lang`)."""
    return "en" if (get_language() or "").startswith("en") else "zh-TW"


def _form(request: HttpRequest) -> PassRateForm:
    """The form, bound when the request asks for a report. 403 for anyone who runs no report, and for an
    institution that is not the user's (404 when there is no such institution)."""
    institutions = registrar_institutions(request.user)
    if not institutions.exists():
        raise PermissionDenied("reports are the registrar's")
    code = request.GET.get("institution")
    if code:
        registrar_institution_get(request.user, code)
    if "as_of" in request.GET:
        return PassRateForm(request.GET, institutions=institutions)
    first = institutions.filter(code=code).first() if code else institutions.first()
    assert first is not None
    term = latest_audit_term(first)
    return PassRateForm(initial={"institution": first.code, "as_of": str(term or "")}, institutions=institutions)


def _params(data: dict[str, Any]) -> dict[str, str]:
    params = {"institution": data["institution"], "as_of": str(data["as_of"])}
    if data["cutoff"] is not None:
        params["cutoff"] = data["cutoff"].isoformat()
    return params


def _filename(data: dict[str, Any], suffix: str) -> str:
    cutoff = f"-{data['cutoff'].isoformat()}" if data["cutoff"] is not None else ""
    return f"pass-rates-{data['institution']}-{data['as_of']}{cutoff}.{suffix}"


def _compute(request: HttpRequest, form: PassRateForm) -> PassRateOutcome:
    data = form.cleaned_data
    institution: Institution = registrar_institution_get(request.user, data["institution"])
    as_of: Term = data["as_of"]
    cutoff: date | None = data["cutoff"]
    return pass_rate_report(institution, as_of, cutoff)


@login_required
def pass_rates(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        try:
            outcome = _compute(request, form)
        except (ReportUnavailable, InputError) as exc:
            context["error"] = input_error_text(exc) if isinstance(exc, InputError) else str(exc)
        else:
            context.update(
                outcome=outcome,
                report=outcome.report,
                tables=report_tables(outcome.report),
                charts=report_charts(outcome.report, _report_lang()),
                query=urlencode(_params(form.cleaned_data)),
                cutoff=form.cleaned_data["cutoff"],
            )
    return render(request, "reports/pass_rates.html", context)


def _download(
    request: HttpRequest, suffix: str, content_type: str, content: Callable[[PassRateReport], bytes]
) -> HttpResponse:
    """The report as an attachment; 400 (with the reason) for a form that does not validate or a report that
    cannot be computed."""
    form = _form(request)
    if not form.is_bound or not form.is_valid():
        return HttpResponseBadRequest(json.dumps(form.errors or {"as_of": ["required"]}))
    try:
        outcome = _compute(request, form)
    except (ReportUnavailable, InputError) as exc:
        return HttpResponseBadRequest(input_error_text(exc) if isinstance(exc, InputError) else str(exc))
    response = HttpResponse(content(outcome.report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(form.cleaned_data, suffix)}"'
    return response


@login_required
def pass_rates_csv(request: HttpRequest) -> HttpResponse:
    """The report as `menkan report pass-rates --format csv` writes it, byte for byte (UTF-8, no BOM)."""
    return _download(request, "csv", "text/csv; charset=utf-8", lambda report: render_csv(report).encode("utf-8"))


@login_required
def pass_rates_xlsx(request: HttpRequest) -> HttpResponse:
    """The report as `menkan report pass-rates --format xlsx --lang <the page's language>` writes it."""
    lang = _report_lang()
    return _download(request, "xlsx", XLSX, lambda report: render_xlsx(report, lang))


@login_required
def pass_rates_jsonl(request: HttpRequest) -> HttpResponse:
    """The records the report counts, one `menkan.student/1` document a line: given to `menkan report
    pass-rates` they yield this report."""
    form = _form(request)
    if not form.is_bound or not form.is_valid():
        return HttpResponseBadRequest(json.dumps(form.errors or {"as_of": ["required"]}))
    data = form.cleaned_data
    institution = registrar_institution_get(request.user, data["institution"])
    try:
        documents = list(pass_rate_documents(institution, data["as_of"], data["cutoff"]))
    except ReportUnavailable as exc:
        return HttpResponseBadRequest(str(exc))
    text = "".join(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n" for document in documents)
    response = HttpResponse(text.encode("utf-8"), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(data, "jsonl")}"'
    return response
