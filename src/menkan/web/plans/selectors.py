"""Reads of study plans: a student's saved plan, who may change it, the catalogue search and a plan's review."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from menkan.engine import Term, student_from_dict
from menkan.foresight.catalog import CatalogCourse, catalog_of
from menkan.foresight.plans import Plan, PlannedCourse, PlannedTerm, PlanReview, plan_review
from menkan.web.accounts.api import Role, RoleAssignment, User, is_registrar
from menkan.web.audits.api import policy_current, runtime_of
from menkan.web.plans.models import StudyPlan
from menkan.web.records.api import Student, student_document, term_current

SEARCH_LIMIT = 30


def plan_of(student: Student) -> Plan | None:
    """The student's saved plan (None when they have none)."""
    stored = StudyPlan.objects.filter(student=student).first()
    if stored is None:
        return None
    terms = []
    for row in stored.terms.prefetch_related("courses").order_by("position"):
        courses = tuple(PlannedCourse(c.code, c.category or None) for c in row.courses.order_by("position"))
        terms.append(PlannedTerm(Term.parse(row.term), courses))
    return Plan(tuple(terms))


def plan_saved_of(student: Student) -> StudyPlan | None:
    return StudyPlan.objects.filter(student=student).select_related("updated_by").first()


def plan_edit_allowed(user: User, student: Student) -> bool:
    """Who may change a student's plan: the student, the mentor of their class, the registrar of their
    institution. Others who may see the student (department staff) see the plan without changing it."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or (student.user_id is not None and student.user_id == user.pk):
        return True
    if student.school_class_id is not None:
        if student.school_class is not None and student.school_class.mentor_id == user.pk:
            return True
        mentor = RoleAssignment.objects.filter(user=user, role=Role.MENTOR, school_class_id=student.school_class_id)
        if mentor.exists():
            return True
    return is_registrar(user, student.institution_id)


def student_page_link(student: Student, user: Any) -> tuple[str, str, str] | None:
    """The link on the student's page (records.hooks), which only those who may see the student are shown: where
    the institution has a course catalogue."""
    if catalog_of(student.institution.code) is None:
        return None
    url = reverse("plans:student", kwargs={"institution": student.institution.code, "student_id": student.student_id})
    return url, _("Study plan"), "plan-link"


def catalogue_search(institution: str, query: str) -> list[CatalogCourse]:
    """Catalogue courses whose code starts with, or whose title contains, `query` (case-insensitive)."""
    catalog = catalog_of(institution)
    needle = query.strip().casefold()
    if catalog is None or not needle:
        return []
    found = [
        course
        for course in catalog.courses.values()
        if course.code.casefold().startswith(needle) or needle in course.title.casefold()
    ]
    return sorted(found, key=lambda c: (not c.code.casefold().startswith(needle), c.code))[:SEARCH_LIMIT]


def plan_review_of(student: Student, plan: Plan) -> PlanReview | None:
    """The plan checked and audited term by term for the student (None without a published policy). Reads only:
    the stored audit is neither read nor refreshed; the record is read and audited in memory."""
    version = policy_current(student.institution)
    if version is None:
        return None
    record = student_from_dict(student_document(student), source=f"plan {student.student_id}")
    current = term_current(student.institution)
    return plan_review(runtime_of(version), record, plan, catalog_of(student.institution.code), current)


def term_after(term: Term) -> Term:
    """The next regular semester: the default term of a new block of the plan."""
    return term.next_regular()
