"""Reads of records: who may see which students, and students in the engine's `menkan.student/1` form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from menkan.engine import InputError, Term, Workflows, student_from_dict, study_year
from menkan.engine import Student as EngineStudent
from menkan.web.accounts.api import Role, RoleAssignment, User
from menkan.web.records.codec import (  # the documents are the codec's; re-exported for the apps reading them
    EngineInput as EngineInput,
)
from menkan.web.records.codec import engine_inputs as engine_inputs
from menkan.web.records.codec import engine_students as engine_students
from menkan.web.records.codec import json_value
from menkan.web.records.codec import student_document as student_document
from menkan.web.records.codec import student_documents as student_documents
from menkan.web.records.hooks import policy_set_current
from menkan.web.records.models import Activity, Certificate, Institution, RecordException, Student


def students_visible_to(user: User) -> QuerySet[Student]:
    """The students whose records `user` may see: a student only themself, a mentor their classes,
    department staff their department, the registrar the institution. Unit staff see no student's
    record (only their unit's items)."""
    if not user.is_authenticated:
        return Student.objects.none()
    if user.is_superuser:
        return Student.objects.all()
    scope = Q(user=user) | Q(school_class__mentor=user)
    for assignment in RoleAssignment.objects.filter(user=user):
        if assignment.role == Role.REGISTRAR:
            scope |= Q(institution_id=assignment.institution_id)
        elif assignment.role in (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD) and assignment.department_id:
            scope |= Q(department_id=assignment.department_id)
        elif assignment.role == Role.MENTOR and assignment.school_class_id:
            scope |= Q(school_class_id=assignment.school_class_id)
    return Student.objects.filter(scope).distinct()


def student_of(user: User) -> Student | None:
    """The student record of the person asking, if they are a student (None for staff and anonymous users)."""
    return getattr(user, "student", None) if user.is_authenticated else None


class StudentNotFound(Http404):
    """No student the asker may see under this id: raised alike whether the student does not exist or is not
    theirs to see, so that the answer (404, same body) tells nobody which ids exist."""

    def __init__(self) -> None:
        super().__init__("no such student")


class StudentsOwnOnly(PermissionDenied):
    """A student addressed another student's page: refused (403) whether or not that student exists, since a
    student may only ever see their own, so the answer tells nothing about which ids exist."""

    def __init__(self) -> None:
        super().__init__(gettext("Students see their own records only."))


def student_get_for(user: User, institution: str, student_id: str) -> Student:
    """One student, if `user` may see them. Otherwise StudentsOwnOnly (403) when `user` is a student (they may
    see no one else), and StudentNotFound (404) for the staff, both when there is no such student and when there
    is one `user` may not see. Every page and endpoint addressed by a student id looks the student up here."""
    student = (
        students_visible_to(user)
        .select_related("institution", "department", "school_class")
        .filter(institution__code=institution, student_id=student_id)
        .first()
    )
    if student is None:
        if student_of(user) is not None:
            raise StudentsOwnOnly
        raise StudentNotFound
    return student


def activities_visible_to(user: User) -> QuerySet[Activity]:
    """Activities: unit staff see their unit's; others see those of the students they may see."""
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Activity.objects.filter(scope)


def certificates_visible_to(user: User) -> QuerySet[Certificate]:
    units = list(RoleAssignment.objects.filter(user=user, role=Role.UNIT_STAFF).values_list("institution_id", "unit"))
    scope = Q(student__in=students_visible_to(user))
    for institution_id, unit in units:
        scope |= Q(student__institution_id=institution_id, unit=unit)
    return Certificate.objects.filter(scope)


# --------------------------------------------------------------------------------------------------- who writes records

RecordKind = Literal["student", "course", "activity", "certificate"]


def _workflows(institution: Institution) -> Workflows:
    """The workflow settings of the institution's current policy (none set when it has no policy)."""
    policy_set = policy_set_current(institution)
    return policy_set.institution.workflows if policy_set is not None else Workflows()


def item_owners(institution: Institution) -> dict[str, str]:
    """Which office owns which item of the institution's records, as its current policy says: the self-learning
    owners (`workflows.self_learning.owners`, the `certificates_item`'s office registering certificates) and the
    micro-credit courses' unit (`workflows.micro_credits.owner`). An item nobody owns is the registrar's alone."""
    workflows = _workflows(institution)
    owners: dict[str, str] = {}
    for owner in workflows.self_learning.owners if workflows.self_learning is not None else ():
        owners.setdefault(owner.item, owner.office)
    if workflows.micro_credits is not None:
        owners.setdefault(workflows.micro_credits.item, workflows.micro_credits.owner.unit)
    return owners


def _certificates_item(institution: Institution) -> str | None:
    settings = _workflows(institution).self_learning
    return settings.certificates_item if settings is not None else None


def record_owner(institution: Institution, kind: RecordKind, ref: str = "") -> str | None:
    """The office owning a record: an activity's item (`ref`), the certificates' office for a certificate (any code);
    None for students, course records and unowned items (the registrar's)."""
    owners = item_owners(institution)
    if kind == "activity":
        return owners.get(ref) if ref != _certificates_item(institution) else None
    if kind == "certificate":
        item = _certificates_item(institution)
        return owners.get(item) if item is not None else None
    return None


@dataclass(frozen=True)
class RecordWriter:
    """Who writes records of one institution: its registrar (everything), or staff of `units` (their items)."""

    registrar: bool
    units: frozenset[str]


def record_writer(user: User, institution: Institution) -> RecordWriter | None:
    """The registrar (or a superuser), unit staff with their units, or None for anybody else."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return RecordWriter(True, frozenset())
    assignments = RoleAssignment.objects.filter(user=user, institution=institution)
    if assignments.filter(role=Role.REGISTRAR).exists():
        return RecordWriter(True, frozenset())
    units = frozenset(u for u in assignments.filter(role=Role.UNIT_STAFF).values_list("unit", flat=True) if u)
    return RecordWriter(False, units) if units else None


@dataclass(frozen=True)
class WritePermission:
    """Whether a user may write one kind of record; `owner` is the office owning it (the unit it is registered
    for), `reason` says why not, in the user's language."""

    allowed: bool
    owner: str | None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """PermissionDenied (403) with the reason unless allowed."""
        if not self.allowed:
            raise PermissionDenied(self.reason)


def _record_label(kind: RecordKind, ref: str) -> str:
    if kind == "activity":
        return gettext("hours of %(item)s") % {"item": ref}
    if kind == "certificate":
        return gettext("certificate %(code)s") % {"code": ref} if ref else gettext("certificates")
    if kind == "course":
        return gettext("course records and grades")
    return gettext("student records")


def record_write_permission(
    user: User, institution: Institution, kind: RecordKind, ref: str = "", *, student: Student | None = None
) -> WritePermission:
    """May `user` write this record (activity hours of item `ref`, certificate `ref`, a course record or grade, a
    student) for a student of `institution`? The one rule every page, import and API endpoint that writes hours,
    certificates or grades asks: the registrar of the institution writes everything; unit staff only the records of
    items their unit owns (`item_owners`: the policy says who owns what); nobody else anything."""
    owner = record_owner(institution, kind, ref)
    what = _record_label(kind, ref)
    if student is not None and student.institution_id != institution.pk:
        reason = gettext("%(id)s is not a student of %(institution)s") % {
            "id": student.student_id,
            "institution": institution.code,
        }
        return WritePermission(False, owner, reason)
    writer = record_writer(user, institution)
    if writer is not None and writer.registrar:
        return WritePermission(True, owner)
    if writer is not None and owner is not None and owner in writer.units:
        return WritePermission(True, owner)
    if writer is None:
        reason = gettext("you may not register records of %(institution)s") % {"institution": institution.code}
    elif owner is None:
        reason = gettext("only the registrar of %(institution)s registers %(what)s") % {
            "institution": institution.code,
            "what": what,
        }
    else:
        reason = gettext(
            "%(what)s: the item is %(owner)s's; only its staff or the registrar register it (you: %(units)s)"
        ) % {
            "what": what,
            "owner": owner,
            "units": "、".join(sorted(writer.units)),
        }
    return WritePermission(False, owner, reason)


def student_study_record(student: Student) -> EngineStudent | None:
    """What the engine's study year needs of the student (admission, year admitted into, enrollment), validated;
    None when the stored values do not validate (the audit reports why)."""
    standing = json_value(student.standing) or {}
    record = {
        "schema": "menkan.student/1",
        "student_id": student.student_id or "?",
        "institution": "?",
        "department": "?",
        "admission_term": student.admission_term,
        "admitted_into_year": student.admitted_into_year,
        "enrollment": standing.get("enrollment", []) if isinstance(standing, dict) else [],
    }
    try:
        return student_from_dict(record)
    except InputError:
        return None


def student_study_year(student: Student, term: Term) -> int | None:
    """The student's study year (年級) in `term` by the engine's one definition (`menkan.engine.study_year`:
    enrolled semesters from the admission, leave not counted); None when the stored record does not validate."""
    record = student_study_record(student)
    return study_year(record, term) if record is not None else None


# --------------------------------------------------------------------------------------------------- exceptions

PROGRAM_PREFIX = "micro-program."


def _program_of(requirement: str) -> str | None:
    """The program code of a program's requirement (`micro-program.AVM`, `micro-program.AVM.cross-domain`)."""
    if not requirement.startswith(PROGRAM_PREFIX):
        return None
    code = requirement[len(PROGRAM_PREFIX) :].split(".", 1)[0]
    return code or None


def may_propose_exception(user: User, student: Student, requirement: str = "") -> bool:
    """May `user` propose an exception to `requirement` for `student`? The registrar of the student's institution;
    an officer of the student's department; for a program's requirement (`micro-program.<CODE>…`), its contact.
    With no requirement: may they propose any (to show the form)."""
    if not user.is_authenticated:
        return False
    assignments = RoleAssignment.objects.filter(user=user, institution_id=student.institution_id)
    scope = Q(role=Role.REGISTRAR) | Q(role=Role.DEPARTMENT_OFFICER, department_id=student.department_id)
    program = _program_of(requirement)
    if program is not None:
        scope |= Q(role=Role.PROGRAM_CONTACT, program=program)
    elif not requirement:
        scope |= Q(role=Role.PROGRAM_CONTACT)
    return user.is_superuser or assignments.filter(scope).exists()


def student_for_exceptions(user: User, institution: str, student_id: str) -> Student:
    """The student whose exceptions `user` addresses: one they may see (student_get_for), or, for a program
    contact, a student registered in their program (whose requirements they propose exceptions to). 404 alike
    otherwise."""
    try:
        return student_get_for(user, institution, student_id)
    except StudentNotFound:
        student = (
            Student.objects.select_related("institution", "department", "school_class")
            .filter(institution__code=institution, student_id=student_id)
            .first()
        )
        if student is None or not user.is_authenticated:
            raise
        programs = RoleAssignment.objects.filter(
            user=user, role=Role.PROGRAM_CONTACT, institution_id=student.institution_id
        ).values_list("program", flat=True)
        registered = {str(entry.get("program")) for entry in (student.standing or {}).get("programs", [])}
        if not registered & set(programs):
            raise
        return student


def may_decide_exception(user: User, student: Student) -> bool:
    """May `user` approve, reject or revoke the exceptions of `student`? The head of the student's department, or
    the registrar of the institution (any department)."""
    if not user.is_authenticated:
        return False
    scope = Q(role=Role.REGISTRAR) | Q(role=Role.DEPARTMENT_HEAD, department_id=student.department_id)
    return (
        user.is_superuser
        or RoleAssignment.objects.filter(scope, user=user, institution_id=student.institution_id).exists()
    )


def decides_exceptions(user: User) -> bool:
    """Does `user` decide exceptions anywhere (a department head, a registrar)?"""
    roles = (Role.DEPARTMENT_HEAD, Role.REGISTRAR)
    return user.is_authenticated and (
        user.is_superuser or RoleAssignment.objects.filter(user=user, role__in=roles).exists()
    )


def exceptions_of(student: Student) -> QuerySet[RecordException]:
    """Every exception of the student, whatever its status (oldest first)."""
    return RecordException.objects.filter(student=student).select_related("proposed_by", "decided_by")


def exceptions_approved_of(student: Student) -> QuerySet[RecordException]:
    """The approved exceptions of the student: those in their record, which every audit honours."""
    return exceptions_of(student).filter(status=RecordException.Status.APPROVED)


def exceptions_to_decide(user: User) -> QuerySet[RecordException]:
    """The proposed exceptions `user` decides: a department head their department's, the registrar their
    institution's."""
    if not user.is_authenticated:
        return RecordException.objects.none()
    scope = Q(pk__in=[])
    if user.is_superuser:
        scope = Q()
    for assignment in RoleAssignment.objects.filter(user=user, role__in=(Role.REGISTRAR, Role.DEPARTMENT_HEAD)):
        if assignment.role == Role.REGISTRAR:
            scope |= Q(student__institution_id=assignment.institution_id)
        elif assignment.department_id:
            scope |= Q(student__department_id=assignment.department_id)
    return (
        RecordException.objects.filter(scope, status=RecordException.Status.PROPOSED)
        .select_related("student__institution", "student__department", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def exception_get_for(user: User, pk: int) -> RecordException:
    """One exception, if `user` may see its student or decide it (404 otherwise, alike)."""
    exception = (
        RecordException.objects.select_related("student__institution", "student__department", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if exception is None or not (
        students_visible_to(user).filter(pk=exception.student_id).exists()
        or may_decide_exception(user, exception.student)
        or may_propose_exception(user, exception.student, exception.requirement)
    ):
        raise Http404("no such exception")
    return exception
