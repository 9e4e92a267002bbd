"""Reads for the navigation: the institutions a person belongs to, which workflow apps apply to them (from the
institutions' data, never from their codes), where each role lands after login, and the name in the header."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from menkan.web.accounts.models import Role, RoleAssignment, User, institution_model

if TYPE_CHECKING:
    from menkan.web.records.api import Institution


@dataclass(frozen=True)
class WorkflowApp:
    """A workflow app that concerns only some institutions, as it registers itself (its `apps.ready`): accounts
    sits below the workflow apps and never imports them. `applies` says from an institution's data whether the
    app is theirs; `unit_landing`, where a unit staff member whose unit runs the app lands (None: not theirs)."""

    name: str
    applies: Callable[[Institution], bool]
    unit_landing: Callable[[RoleAssignment], str | None] | None = None


# Registered in the order of INSTALLED_APPS: programs where the policies hold micro-programs, activities where they
# have the self-learning requirement, micro-credits where they configure micro-credits, fees where there are fee
# schedules.
WORKFLOW_APPS: dict[str, WorkflowApp] = {}


def workflow_app_register(app: WorkflowApp) -> None:
    WORKFLOW_APPS[app.name] = app


def _applies(name: str, institution: Institution) -> bool:
    app = WORKFLOW_APPS.get(name)
    return app is not None and app.applies(institution)


# Roles that look at students' records (the student list is their work); the others have their own pages.
STUDENT_LIST_ROLES = {Role.REGISTRAR, Role.MENTOR, Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD}


def institutions_of(user: User) -> list[Institution]:
    """The institutions `user` belongs to: their student record's and their roles' (every one for a superuser)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(institution_model().objects.order_by("code"))
    ids = set(RoleAssignment.objects.filter(user=user).values_list("institution_id", flat=True))
    student = getattr(user, "student", None)
    if student is not None:
        ids.add(student.institution_id)
    ids |= set(user.mentored_classes.values_list("department__institution_id", flat=True))
    return list(institution_model().objects.filter(pk__in=ids).order_by("code"))


def apps_of_institution(institution: Institution) -> set[str]:
    return {name for name, app in WORKFLOW_APPS.items() if app.applies(institution)}


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
    for assignment in assignments:
        for app in WORKFLOW_APPS.values():
            if app.unit_landing is not None and app.applies(assignment.institution):
                landing = app.unit_landing(assignment)
                if landing is not None:
                    return landing
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
        if any(_applies("programs", a.institution) for a in department):
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
