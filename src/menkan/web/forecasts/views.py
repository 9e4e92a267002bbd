"""Forecast pages (thin): the registrar's list of the institution's students and the mentors' class lists, read
from the stored snapshot (`services.forecasts_compute`, a task), with filters, counts and the at-risk list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from menkan.foresight.forecast import VERDICTS
from menkan.web.accounts.api import registrar_institutions
from menkan.web.forecasts import selectors, services
from menkan.web.forecasts.models import StudentForecast

PAGE_SIZE = 100


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The registrar's institutions and the mentor's classes; nobody else has forecasts to see."""
    institutions = registrar_institutions(request.user).order_by("code")
    classes = selectors.classes_mentored_by(request.user).select_related("institution").order_by("code")
    if not institutions.exists() and not classes.exists():
        raise PermissionDenied("registrars and mentors only")
    if institutions.count() == 1 and not classes.exists():
        return redirect("forecasts:institution", institution=institutions.get().code)
    return render(request, "forecasts/index.html", {"institutions": institutions, "classes": classes})


def _page(request: HttpRequest, scope: QuerySet[StudentForecast], context: dict[str, Any]) -> HttpResponse:
    params = {name: request.GET.get(name, "").strip() for name in ("department", "verdict")}
    filtered = selectors.forecasts_filtered(scope, params)
    page = Paginator(filtered, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        {
            "page": page,
            "params": params,
            "query": urlencode({name: value for name, value in params.items() if value}),
            "counts": selectors.forecast_counts(scope.filter(**_department(params))),
            "departments": selectors.departments_in(scope),
            "verdicts": [(value, label) for value, label in StudentForecast.Verdict.choices if value in VERDICTS],
            "at_risk": selectors.at_risk_student_ids(filtered),
        }
    )
    return render(request, "forecasts/list.html", context)


def _department(params: dict[str, str]) -> dict[str, str]:
    return {"student__department__code": params["department"]} if params.get("department") else {}


@login_required
def institution_page(request: HttpRequest, institution: str) -> HttpResponse:
    found = selectors.institution_get_for(request.user, institution)
    return _page(
        request,
        selectors.forecasts_of_institution(found),
        {"institution": found, "school_class": None, "registrar": True},
    )


@login_required
def class_page(request: HttpRequest, institution: str, code: str) -> HttpResponse:
    school_class = selectors.class_get_for(request.user, institution, code)
    return _page(
        request,
        selectors.forecasts_of_class(school_class),
        {"institution": school_class.institution, "school_class": school_class, "registrar": False},
    )


@login_required
@require_POST
def refresh(request: HttpRequest, institution: str) -> HttpResponse:
    found = selectors.institution_get_for(request.user, institution)
    services.forecasts_refresh_start(found)
    messages.info(request, _("The forecasts are being computed from the stored audits."))
    return redirect("forecasts:institution", institution=found.code)
