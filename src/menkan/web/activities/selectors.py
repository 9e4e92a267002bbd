"""Reads of the self-learning work: which office owns which item (the policy's workflow settings), who is staff of which
office, offerings, uploads and applications each person may see, and a student's self-learning summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import SelfLearning, applies, normalize_title, walk
from menkan.web.accounts.api import Role, RoleAssignment, User
from menkan.web.activities.models import MoocCourse, MoocUpload, Offering, Review, SignUp, SubsidyApplication
from menkan.web.audits.api import audit_document, policy_current, policy_set_of
from menkan.web.records.api import Activity, Institution, Student, calendar, engine_students, item_owners
from menkan.web.records.api import student_of as records_student_of

# --------------------------------------------------------------------------------------------------- the policy


def _policy_set(institution: Institution) -> Any:
    version = policy_current(institution)
    return policy_set_of(version) if version is not None else None


def self_learning_settings(institution: Institution) -> SelfLearning | None:
    """The institution's `workflows.self_learning` of its current policy (None when it runs none)."""
    policy_set = _policy_set(institution)
    return policy_set.institution.workflows.self_learning if policy_set is not None else None


def owners_of(institution: Institution) -> list[dict[str, Any]]:
    """The owners' entries: item, requirement, office, contact, how (with the requirement's title added)."""
    settings = self_learning_settings(institution)
    if settings is None:
        return []
    titles = requirement_titles(institution)
    return [
        {**owner.model_dump(by_alias=True, mode="json"), "title": titles.get(owner.requirement, {})}
        for owner in settings.owners
    ]


def certificates_item(institution: Institution) -> str | None:
    """The owners' item whose office registers certificates (a licence), not activity hours."""
    settings = self_learning_settings(institution)
    return settings.certificates_item if settings is not None else None


def requirement_titles(institution: Institution) -> dict[str, dict[str, str]]:
    policy_set = _policy_set(institution)
    if policy_set is None:
        return {}
    return {
        full_id: node.title.as_dict() for policy in policy_set.policies for full_id, node in walk(policy.requirements)
    }


def item_title(institution: Institution, item: str) -> dict[str, str] | str:
    """The title of an item's requirement ({"zh-TW": 社會接軌自主學習, "en": …}); the item itself if nobody owns it."""
    return next((o["title"] for o in owners_of(institution) if o.get("item") == item and o["title"]), item)


def office_of(institution: Institution, item: str) -> str | None:
    """The office owning an item (as the owners' settings say), None for an item nobody owns (read by
    records.selectors, so that imports, these pages and the API agree on who owns what)."""
    return item_owners(institution).get(item)


def activity_items_of(institution: Institution, office: str) -> list[dict[str, Any]]:
    """The activity items (hours) an office owns: not the licence item, which is certificates."""
    licence = certificates_item(institution)
    return [o for o in owners_of(institution) if o.get("office") == office and o.get("item") != licence]


def mooc_office(institution: Institution) -> str | None:
    """The office keeping the MOOC list and reviewing MOOC certificates (owner of the MOOCs' item)."""
    item = mooc_item(institution)
    return office_of(institution, item) if item else None


def mooc_item(institution: Institution) -> str | None:
    """The item whose hours the designated MOOCs earn (None when the institution designates none)."""
    settings = self_learning_settings(institution)
    return settings.moocs.item if settings is not None and settings.moocs is not None else None


def _mooc_hours_by_title(student: Student) -> dict[str, Activity]:
    """The student's passed activities of the MOOCs' item, by title as the engine compares titles (earliest)."""
    item = mooc_item(student.institution)
    if item is None:
        return {}
    found: dict[str, Activity] = {}
    for row in Activity.objects.filter(student=student, item=item, passed=True).order_by("term", "pk"):
        found.setdefault(normalize_title(row.title), row)
    return found


def mooc_hours_on_record(student: Student, title: str) -> Activity | None:
    """The student's activity of the MOOCs' item for the course `title`, whatever its term or source: a
    designated MOOC course is certified once, so its hours count once."""
    return _mooc_hours_by_title(student).get(normalize_title(title))


def mooc_courses_open_to(student: Student) -> list[MoocCourse]:
    """The active MOOC courses the student may still upload a certificate of (none whose hours they have)."""
    counted = _mooc_hours_by_title(student)
    courses = MoocCourse.objects.filter(institution_id=student.institution_id, active=True)
    return [course for course in courses if normalize_title(course.title) not in counted]


def licence_office(institution: Institution) -> str | None:
    """The office keeping the departments' licence lists and approving subsidies (owner of the licence item)."""
    item = certificates_item(institution)
    return office_of(institution, item) if item is not None else None


@dataclass(frozen=True)
class SubsidyRule:
    fraction_numerator: int
    fraction_denominator: int
    max_ntd: int
    times_per_student: int

    def amount(self, fee: int) -> int:
        """The subsidy for a fee: the fraction of it (rounded down to the dollar), at most the cap."""
        return min(fee * self.fraction_numerator // self.fraction_denominator, self.max_ntd)


def subsidy_rule(institution: Institution) -> SubsidyRule | None:
    settings = self_learning_settings(institution)
    rule = settings.license_subsidy if settings is not None else None
    if rule is None:
        return None
    from fractions import Fraction

    fraction = Fraction(rule.fraction)
    return SubsidyRule(fraction.numerator, fraction.denominator, rule.max_ntd, rule.times_per_student)


def licence_catalog(institution: Institution) -> dict[str, dict[str, str]]:
    settings = self_learning_settings(institution)
    return {code: entry.model_dump() for code, entry in (settings.license_catalog if settings else {}).items()}


def licence_codes_in_policy(institution: Institution) -> dict[str, list[str]]:
    """`codes_by_department` of the licence requirement of the current policy."""
    policy_set = _policy_set(institution)
    settings = policy_set.institution.workflows.self_learning if policy_set is not None else None
    if policy_set is None or settings is None:
        return {}
    wanted = next((o.requirement for o in settings.owners if o.item == settings.certificates_item), None)
    for policy in policy_set.policies:
        for full_id, node in walk(policy.requirements):
            if full_id == wanted:
                return {k: list(v) for k, v in (getattr(node, "codes_by_department", None) or {}).items()}
    return {}


def self_learning_applies(students: list[Student]) -> dict[int, bool]:
    """Whether the self-learning requirement concerns each student (its policy's `applies_to`)."""
    result: dict[int, bool] = {}
    by_institution: dict[int, Any] = {}
    for student, record in engine_students(students):
        if student.institution_id not in by_institution:
            policy_set = _policy_set(student.institution)
            settings = policy_set.institution.workflows.self_learning if policy_set is not None else None
            group = settings.requirement if settings is not None else None
            by_institution[student.institution_id] = next(
                (p for p in (policy_set.policies if policy_set else []) if any(r.id == group for r in p.requirements)),
                None,
            )
        policy = by_institution[student.institution_id]
        result[student.pk] = policy is not None and applies(policy.applies_to, record)
    return result


# --------------------------------------------------------------------------------------------------- staff


def staff_offices(user: User) -> list[tuple[Institution, str]]:
    """(institution, office) of each unit-staff role of the user."""
    if not user.is_authenticated:
        return []
    assignments = RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).exclude(unit="")
    return [(a.institution, a.unit) for a in assignments.select_related("institution").order_by("institution_id")]


def is_office_staff(user: User, institution_id: int, office: str | None) -> bool:
    if not office or not user.is_authenticated:
        return False
    return RoleAssignment.objects.filter(
        user=user, role=Role.UNIT_STAFF, institution_id=institution_id, unit=office
    ).exists()


def office_check(user: User, institution: Institution, office: str | None) -> None:
    """PermissionDenied unless the user is staff of this office of this institution."""
    if not is_office_staff(user, institution.pk, office):
        raise PermissionDenied("not your office")


def staff_item_choices(user: User) -> list[tuple[str, str, Institution, str, dict[str, str]]]:
    """(choice value, office, institution, item, item title) of the activity items the user's offices own."""
    choices = []
    for institution, office in staff_offices(user):
        for owner in activity_items_of(institution, office):
            value = f"{institution.code}:{owner['item']}"
            choices.append((value, office, institution, owner["item"], owner["title"]))
    return choices


def staff_mooc_institutions(user: User) -> list[Institution]:
    """The institutions whose MOOC list and MOOC reviews the user handles (staff of the MOOCs' office)."""
    return [i for i, office in staff_offices(user) if office == mooc_office(i)]


def staff_licence_institutions(user: User) -> list[Institution]:
    """The institutions whose licence lists, licences and subsidies the user handles."""
    return [i for i, office in staff_offices(user) if office == licence_office(i)]


def offerings_visible_to(user: User) -> QuerySet[Offering]:
    """The offerings of the user's offices, with their number of sign-ups."""
    pairs = staff_offices(user)
    if not pairs:
        return Offering.objects.none()
    from django.db.models import Q

    scope = Q(pk__in=[])
    for institution, office in pairs:
        scope |= Q(institution=institution, office=office)
    return Offering.objects.filter(scope).annotate(taken=Count("signups")).select_related("institution")


def offering_get_for_staff(user: User, pk: int) -> Offering:
    """An offering of one of the user's offices: 404 when there is none, 403 when it is another office's."""
    offering = get_object_or_404(Offering.objects.select_related("institution"), pk=pk)
    office_check(user, offering.institution, offering.office)
    return offering


def offering_signups(offering: Offering) -> QuerySet[SignUp]:
    return offering.signups.select_related("student", "student__department", "student__school_class")


def mooc_courses_of(institution: Institution, *, active_only: bool = False) -> QuerySet[MoocCourse]:
    courses = MoocCourse.objects.filter(institution=institution)
    return courses.filter(active=True) if active_only else courses


def mooc_uploads_for_review(user: User, *, status: str = Review.PENDING) -> QuerySet[MoocUpload]:
    uploads = MoocUpload.objects.filter(student__institution__in=staff_mooc_institutions(user))
    if status:
        uploads = uploads.filter(status=status)
    return uploads.select_related("student", "course", "student__department").order_by("created_at", "pk")


def mooc_upload_get_for_staff(user: User, pk: int) -> MoocUpload:
    upload = get_object_or_404(MoocUpload.objects.select_related("student__institution", "course"), pk=pk)
    office_check(user, upload.student.institution, mooc_office(upload.student.institution))
    return upload


def subsidies_for_review(user: User, *, status: str = Review.PENDING) -> QuerySet[SubsidyApplication]:
    applications = SubsidyApplication.objects.filter(student__institution__in=staff_licence_institutions(user))
    if status:
        applications = applications.filter(status=status)
    return applications.select_related("student", "student__department").order_by("created_at", "pk")


def subsidy_get_for_staff(user: User, pk: int) -> SubsidyApplication:
    application = get_object_or_404(SubsidyApplication.objects.select_related("student__institution"), pk=pk)
    office_check(user, application.student.institution, licence_office(application.student.institution))
    return application


def upload_file_get_for(user: User, pk: int) -> MoocUpload:
    """A MOOC upload whose file the user may open: its student, or staff of the MOOCs' office."""
    upload = get_object_or_404(MoocUpload.objects.select_related("student__institution"), pk=pk)
    if upload.student.user_id != user.pk:
        office_check(user, upload.student.institution, mooc_office(upload.student.institution))
    return upload


def receipt_get_for(user: User, pk: int) -> SubsidyApplication:
    """A subsidy application whose receipt the user may open: its student, or staff of the licence office."""
    application = get_object_or_404(SubsidyApplication.objects.select_related("student__institution"), pk=pk)
    if application.student.user_id != user.pk:
        office_check(user, application.student.institution, licence_office(application.student.institution))
    return application


# --------------------------------------------------------------------------------------------------- students


def student_of(user: User) -> Student:
    """The student record of the person asking (PermissionDenied for anyone who is not a student)."""
    student = records_student_of(user)
    if student is None:
        raise PermissionDenied("students only")
    return student


def open_offerings(student: Student, today: dt.date | None = None) -> QuerySet[Offering]:
    """Offerings of the student's institution still open for sign-up: not closed, not yet held."""
    today = today or calendar.today()
    return (
        Offering.objects.filter(institution_id=student.institution_id, closed=False, date__gte=today)
        .annotate(taken=Count("signups"))
        .order_by("date", "title")
    )


def signed_up_ids(student: Student) -> set[int]:
    return set(SignUp.objects.filter(student=student).values_list("offering_id", flat=True))


def _find(nodes: list[dict[str, Any]], requirement_id: str) -> dict[str, Any] | None:
    for node in nodes:
        if node.get("id") == requirement_id:
            return node
        found = _find(node.get("children") or [], requirement_id)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class SummaryLine:
    id: str
    title: dict[str, str]
    display: str
    passed: bool | None  # None: shown in another item (美學, merged into 社會接軌), no status of its own


def self_learning_summary(student: Student) -> list[SummaryLine] | None:
    """The summary card (畢業門檻認證摘要) from the student's audit: the group, then each item with its
    progress as the engine formats it (`4 / 3`, `24 + 4 / 24`, `4 (納入社會接軌)`). None when the
    requirement does not concern the student."""
    document = audit_document(student)  # refreshed by the page first (audit_refresh_if_stale)
    settings = self_learning_settings(student.institution)
    if settings is None:
        return None
    group = _find(document.get("requirements") or [], settings.requirement) if document else None
    if group is None:
        return None
    lines = [SummaryLine(group["id"], group["title"], "", group["status"] == "met")]
    for child in group.get("children") or []:
        passed = None if child.get("advisory") else child["status"] == "met"
        lines.append(SummaryLine(child["id"], child["title"], child["display"], passed))
    return lines
