"""Reads for the navigation: the institutions a person belongs to, which workflow apps apply to them (from the
institutions' data, never from their codes), where each role lands after login, and the name in the header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from menkan.web.accounts.models import Role, RoleAssignment, User
from menkan.web.records.models import Institution


def _has_programs(institution: Institution) -> bool:
    from menkan.web.programs.selectors import institution_has_programs

    return institution_has_programs(institution)


def _has_micro_credits(institution: Institution) -> bool:
    from menkan.web.microcredits.selectors import micro_settings

    return micro_settings(institution) is not None


def _has_self_learning(institution: Institution) -> bool:
    from menkan.web.activities.selectors import self_learning_settings

    return self_learning_settings(institution) is not None


def _has_fees(institution: Institution) -> bool:
    from menkan.web.fees.selectors import institution_has_fees

    return institution_has_fees(institution)


# The workflow apps that concern only some institutions, and how an institution's data says it has them: programs
# where its policies hold micro-programs, micro-credits where they configure micro-credits, activities where they
# have the self-learning requirement, fees where they have fee schedules.
WORKFLOW_APPS: dict[str, Callable[[Institution], bool]] = {
    "programs": _has_programs,
    "microcredits": _has_micro_credits,
    "activities": _has_self_learning,
    "fees": _has_fees,
}

# Roles that look at students' records (the student list is their work); the others have their own pages.
STUDENT_LIST_ROLES = {Role.REGISTRAR, Role.MENTOR, Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD}


def institutions_of(user: User) -> list[Institution]:
    """The institutions `user` belongs to: their student record's and their roles' (every one for a superuser)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Institution.objects.order_by("code"))
    ids = set(RoleAssignment.objects.filter(user=user).values_list("institution_id", flat=True))
    student = getattr(user, "student", None)
    if student is not None:
        ids.add(student.institution_id)
    ids |= set(user.mentored_classes.values_list("department__institution_id", flat=True))
    return list(Institution.objects.filter(pk__in=ids).order_by("code"))


def apps_of_institution(institution: Institution) -> set[str]:
    return {app for app, applies in WORKFLOW_APPS.items() if applies(institution)}


def apps_of(user: User) -> set[str]:
    """The workflow apps that apply to at least one of the user's institutions."""
    apps: set[str] = set()
    for institution in institutions_of(user):
        apps |= apps_of_institution(institution)
        if apps == set(WORKFLOW_APPS):
            break
    return apps


def display_name(user: User) -> str:
    """The person's name for the header: the student's name, else the account's full name, else the username."""
    student = getattr(user, "student", None)
    if student is not None and student.name:
        return str(student.name)
    return user.get_full_name() or user.get_username()


def _unit_staff_landing(assignments: list[RoleAssignment]) -> str | None:
    from menkan.web.activities.selectors import owners_of
    from menkan.web.microcredits.selectors import center_unit

    for assignment in assignments:
        institution = assignment.institution
        if _has_self_learning(institution) and assignment.unit in {o.get("office") for o in owners_of(institution)}:
            return reverse("activities:offering-list")
        if _has_micro_credits(institution) and assignment.unit == center_unit(institution):
            return reverse("microcredits:offering-list")
    return None


def landing_url(user: User) -> str:
    """Where a person lands after login: their own work. A student: their requirements; the registrar: the students;
    program staff: the review queue; department staff: the review queue where the institution runs micro-programs,
    else the department's students; a mentor: the class; unit staff: their unit's offerings (self-learning
    activities or micro-credits), else the import page (their unit's records)."""
    student = getattr(user, "student", None)
    if student is not None:
        return reverse(
            "records:student-home", kwargs={"institution": student.institution.code, "student_id": student.student_id}
        )
    assignments = list(RoleAssignment.objects.filter(user=user).select_related("institution"))
    roles = {assignment.role for assignment in assignments}
    if user.is_superuser or Role.REGISTRAR in roles:
        return reverse("records:student-list")
    if roles & {Role.PROGRAM_CONTACT, Role.PROGRAM_HEAD}:
        return reverse("programs:queue")
    department = [a for a in assignments if a.role in (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD)]
    if department:
        if any(_has_programs(a.institution) for a in department):
            return reverse("programs:queue")
        return reverse("records:student-list")
    if Role.MENTOR in roles or user.mentored_classes.exists():
        return reverse("records:student-list")
    if Role.UNIT_STAFF in roles:
        unit_staff = [a for a in assignments if a.role == Role.UNIT_STAFF]
        return _unit_staff_landing(unit_staff) or reverse("imports:import")
    return reverse("records:student-list")


def navigation(user: User) -> dict[str, Any]:
    """What the header needs: the workflow apps that apply, whether the student list is the person's work, the name."""
    if not user.is_authenticated:
        return {"my_apps": set(), "sees_students": False, "display_name": ""}
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    sees_students = user.is_superuser or bool(roles & STUDENT_LIST_ROLES) or user.mentored_classes.exists()
    return {"my_apps": apps_of(user), "sees_students": sees_students, "display_name": display_name(user)}
