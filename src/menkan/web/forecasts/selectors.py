"""Reads of forecasts: whose forecasts a person may see (the registrar their institution's, a mentor their class's),
the filtered snapshot, its counts by verdict and department, and the rows of a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404

from menkan.foresight.forecast import VERDICTS
from menkan.web.accounts.api import Role, RoleAssignment, User, registrar_institutions
from menkan.web.audits.api import policy_current
from menkan.web.forecasts.models import StudentForecast
from menkan.web.records.api import Institution, SchoolClass


def institution_has_forecasts(institution: Institution) -> bool:
    """Every institution with published policies has forecasts (the navigation registry asks)."""
    return policy_current(institution) is not None


def institution_get_for(user: User, code: str) -> Institution:
    """The institution whose forecasts a registrar asks for: 404 when there is none, 403 when not theirs."""
    institution = get_object_or_404(Institution, code=code)
    if not registrar_institutions(user).filter(pk=institution.pk).exists():
        raise PermissionDenied("not your institution")
    return institution


def classes_mentored_by(user: User) -> QuerySet[SchoolClass]:
    """The classes `user` is the mentor of: the class's mentor, or a mentor role assignment for it."""
    if not user.is_authenticated:
        return SchoolClass.objects.none()
    assigned = RoleAssignment.objects.filter(user=user, role=Role.MENTOR, school_class__isnull=False)
    return SchoolClass.objects.filter(Q(mentor=user) | Q(pk__in=assigned.values("school_class_id"))).distinct()


def class_get_for(user: User, institution: str, code: str) -> SchoolClass:
    """One class whose forecasts `user` may see (its mentor, or the institution's registrar): 404/403."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("institution", "department"), institution__code=institution, code=code
    )
    mentors = classes_mentored_by(user).filter(pk=school_class.pk).exists()
    if not mentors and not registrar_institutions(user).filter(pk=school_class.institution_id).exists():
        raise PermissionDenied("not your class")
    return school_class


def forecasts_filtered(scope: QuerySet[StudentForecast], params: dict[str, str]) -> QuerySet[StudentForecast]:
    """The snapshot rows matching the page's filters (department code, verdict)."""
    if params.get("department"):
        scope = scope.filter(student__department__code=params["department"])
    if params.get("verdict") in VERDICTS:
        scope = scope.filter(verdict=params["verdict"])
    return scope.select_related("student", "student__department", "student__school_class").order_by(
        "student__department__code", "student__student_id"
    )


def forecasts_of_institution(institution: Institution) -> QuerySet[StudentForecast]:
    return StudentForecast.objects.filter(institution=institution)


def forecasts_of_class(school_class: SchoolClass) -> QuerySet[StudentForecast]:
    return StudentForecast.objects.filter(student__school_class=school_class)


@dataclass(frozen=True)
class Counts:
    """Students per verdict, overall and per department (code, verdict → count), and when the snapshot was made."""

    total: dict[str, int]
    by_department: list[tuple[str, dict[str, int]]]
    computed_at: Any
    as_of: list[str]


def forecast_counts(scope: QuerySet[StudentForecast]) -> Counts:
    """Counted in the database (one grouped query), whatever the number of students."""
    total = dict.fromkeys(VERDICTS, 0)
    departments: dict[str, dict[str, int]] = {}
    rows = scope.values("student__department__code", "verdict").annotate(n=Count("pk")).order_by()
    for row in rows:
        total[row["verdict"]] = total.get(row["verdict"], 0) + row["n"]
        line = departments.setdefault(row["student__department__code"], dict.fromkeys(VERDICTS, 0))
        line[row["verdict"]] += row["n"]
    made = scope.aggregate(at=Max("computed_at"))["at"]
    terms = sorted(set(scope.values_list("as_of", flat=True).distinct().order_by()))
    return Counts(total, sorted(departments.items()), made, terms)


def departments_in(scope: QuerySet[StudentForecast]) -> list[str]:
    return sorted(set(scope.values_list("student__department__code", flat=True).distinct().order_by()))


def at_risk_student_ids(scope: QuerySet[StudentForecast]) -> list[str]:
    """The student ids of the rows at risk or unable to finish: the list the notices page is given."""
    return list(
        scope.exclude(verdict=StudentForecast.Verdict.ON_TRACK)
        .order_by("student__student_id")
        .values_list("student__student_id", flat=True)
    )
