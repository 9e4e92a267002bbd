"""Reads of notices: the institution's notice settings (its policy's workflows), a schedule's notices, which one is
due, the seniors with their self-learning status, who receives what, and who may see schedules, logs and classes."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import Term
from menkan.web.accounts.api import Role, RoleAssignment, User, registrar_institutions
from menkan.web.audits.api import AuditResult, policy_current, policy_set_of, students_audit
from menkan.web.notices.models import NoticeLog, NoticeMessage, NoticeSchedule
from menkan.web.records.api import Institution, SchoolClass, Student, student_study_year, students_visible_to

# --- the institution's settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """An item's owner office and whom students contact (institution.yaml workflows.self_learning.owners)."""

    item: str
    requirement: str
    office: str
    unit: str
    name: str
    extension: str
    how: dict[str, str]


@dataclass(frozen=True)
class NoticeSpec:
    """What an institution's notices are about, read from its current policy (`workflows.self_learning`)."""

    requirement: str  # the overall requirement, e.g. self-learning
    division: str | None  # the audience: e.g. day-bachelor
    study_year: int  # seniors: this study year as of the schedule's term
    contacts: tuple[Contact, ...]
    weeks: tuple[int, ...]  # first semester's notice weeks
    head_weeks: tuple[int, ...]  # of which department heads also receive
    monthly_to_heads: bool
    deadline_month: int
    deadline_day: int


def notice_spec(institution: Institution) -> NoticeSpec | None:
    """The notice settings of the institution's current policy; None when it has none (no notices)."""
    version = policy_current(institution)
    if version is None:
        return None
    settings = policy_set_of(version).institution.workflows.self_learning
    if settings is None or settings.notices is None:
        return None
    notices = settings.notices
    contacts = tuple(
        Contact(
            item=owner.item,
            requirement=owner.requirement,
            office=owner.office,
            unit=owner.contact.unit,
            name=owner.contact.name or "",
            extension=owner.contact.extension or "",
            how=owner.how.as_dict(),
        )
        for owner in settings.owners
    )
    first, second = notices.first_semester, notices.second_semester
    return NoticeSpec(
        requirement=settings.requirement,
        division=notices.audience.division,
        study_year=notices.audience.study_year,
        contacts=contacts,
        weeks=tuple(entry.week for entry in first if entry.week is not None),
        head_weeks=tuple(entry.week for entry in first if entry.week is not None and "department-head" in entry.to),
        monthly_to_heads=any("department-head" in entry.to for entry in second),
        deadline_month=notices.deadline.month,
        deadline_day=notices.deadline.day,
    )


def deadline_for(spec: NoticeSpec, term: str) -> date:
    """The items' deadline for the seniors of `term`: the spec's month and day in their graduation year
    (academic year 114 ends in 2026: 115年6月1日)."""
    return date(Term.parse(term).year + 1912, spec.deadline_month, spec.deadline_day)


# --- the notices of a schedule --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """One notice of a schedule: its key (unique per institution, term and occasion), when it is due, and whom
    it goes to."""

    key: str
    schedule: NoticeSchedule
    kind: str  # "week" or "month"
    number: int  # the week, or the month
    due: date
    to_heads: bool
    only_not_passed: bool  # monthly reminders go to those not yet passed


def _week_date(schedule: NoticeSchedule, week: int) -> date:
    monday = schedule.semester_start - timedelta(days=schedule.semester_start.weekday())
    return monday + timedelta(weeks=week - 1, days=schedule.weekday)


def _monthly_dates(schedule: NoticeSchedule) -> list[date]:
    day = schedule.monthly_day
    if not day:
        return []
    found = []
    year, month = schedule.semester_start.year, schedule.semester_start.month
    while True:
        when = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if when >= schedule.deadline:
            return found
        if when >= schedule.semester_start:
            found.append(when)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def schedule_notices(schedule: NoticeSchedule) -> list[Notice]:
    """Every notice of the schedule, in date order."""
    prefix = f"{schedule.institution.code}:{schedule.term}"
    heads = set(schedule.head_weeks or [])
    notices = [
        Notice(f"{prefix}:week-{week}", schedule, "week", week, _week_date(schedule, week), week in heads, False)
        for week in sorted(set(schedule.weeks or []))
    ]
    notices += [
        Notice(f"{prefix}:month-{when:%Y-%m}", schedule, "month", when.month, when, schedule.monthly_to_heads, True)
        for when in _monthly_dates(schedule)
    ]
    return sorted(notices, key=lambda notice: (notice.due, notice.key))


def notice_due(schedule: NoticeSchedule, today: date) -> Notice | None:
    """The schedule's notice due on `today`: the latest whose date has come (a missed day catches up), unless
    the deadline has passed or a later notice of the institution's other schedules is due already (the second
    semester's first reminder ends the first semester's notices). An earlier notice overtaken by a later one is
    not sent any more: after a long pause the seniors get the current notice, not every one they missed."""
    if not schedule.active or today >= schedule.deadline:
        return None
    others = NoticeSchedule.objects.filter(institution_id=schedule.institution_id, active=True).exclude(pk=schedule.pk)
    latest = [n for other in others for n in schedule_notices(other) if n.due <= today < other.deadline]
    due = [notice for notice in schedule_notices(schedule) if notice.due <= today]
    if not due or any(n.due > due[-1].due for n in latest):
        return None
    return due[-1]


# --- seniors and their status -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStatus:
    """One item of the requirement as the student's summary shows it: `4 / 3 通過`."""

    id: str
    title: dict[str, str]
    display: str
    status: str
    advisory: bool
    missing: dict[str, str]

    @property
    def met(self) -> bool:
        return self.status == "met"


@dataclass
class SeniorStatus:
    student: Student
    passed: bool
    items: list[ItemStatus]
    as_of: str
    title: dict[str, str] = field(default_factory=dict)  # the requirement's (自主學習)

    @property
    def not_met(self) -> list[ItemStatus]:
        return [item for item in self.items if not item.advisory and not item.met]


def _find(nodes: Iterable[dict[str, Any]], requirement: str) -> dict[str, Any] | None:
    for node in nodes:
        if node.get("id") == requirement:
            return node
        found = _find(node.get("children", []), requirement)
        if found is not None:
            return found
    return None


def senior_status(student: Student, document: dict[str, Any], requirement: str) -> SeniorStatus | None:
    """The student's status on `requirement` from their audit document; None when it does not apply to them
    (an audit leaves out what does not apply)."""
    node = _find(document.get("requirements", []), requirement)
    if node is None:
        return None
    items = [
        ItemStatus(
            id=child["id"],
            title=child.get("title", {}),
            display=str(child.get("display", "")),
            status=child.get("status", ""),
            advisory=bool(child.get("advisory")),
            missing=child.get("missing") or {},
        )
        for child in node.get("children", [])
    ]
    return SeniorStatus(
        student, node.get("status") == "met", items, str(document.get("as_of", "")), node.get("title", {})
    )


def is_senior(student: Student, term: str, spec: NoticeSpec) -> bool:
    """In the spec's study year as of `term` (the engine's study year: leave semesters do not advance it)."""
    if spec.division and student.division != spec.division:
        return False
    return student_study_year(student, Term.parse(term)) == spec.study_year


def seniors_status(
    institution: Institution, term: str, spec: NoticeSpec, students: QuerySet[Student] | None = None
) -> list[SeniorStatus]:
    """The seniors of `term` (of `students`, default the institution's) to whom the requirement applies, with
    their status from their stored audits (audited first where missing or made under an older policy)."""
    query = (students if students is not None else Student.objects.all()).filter(institution=institution)
    if spec.division:
        query = query.filter(division=spec.division)
    query = query.select_related("department", "school_class", "user", "notice_contact", "institution")
    seniors = [
        s for s in query.order_by("department__code", "school_class__code", "student_id") if is_senior(s, term, spec)
    ]
    current = policy_current(institution)
    results = {r.student_id: r for r in AuditResult.objects.filter(student__in=[s.pk for s in seniors])}
    stale = [s for s in seniors if s.pk not in results or (current and results[s.pk].policy_version_id != current.pk)]
    if stale:
        students_audit(stale)
        results.update({r.student_id: r for r in AuditResult.objects.filter(student__in=[s.pk for s in stale])})
    found = []
    for student in seniors:
        result = results.get(student.pk)
        status = senior_status(student, result.document, spec.requirement) if result is not None else None
        if status is not None:
            found.append(status)
    return found


def student_email(student: Student) -> str:
    """Where a student's notices go: their account's address, else the address kept for notices."""
    if student.user is not None and student.user.email:
        return student.user.email
    contact = getattr(student, "notice_contact", None)
    return contact.email if contact is not None else ""


# --- who receives what ------------------------------------------------------------------------------------------


@dataclass
class Recipient:
    """One person a notice goes to, and what it tells them."""

    audience: str  # NoticeLog.Audience
    key: str  # NoticeLog.recipient
    email: str
    name: str
    student: Student | None = None
    user: User | None = None
    status: SeniorStatus | None = None  # a student's own
    classes: list[tuple[SchoolClass, list[SeniorStatus]]] = field(default_factory=list)  # a mentor's
    departments: list[tuple[Any, list[SeniorStatus]]] = field(default_factory=list)  # a department head's
    students: list[Student] = field(default_factory=list)  # a mentor's students a chosen-students notice is about


def class_mentors(classes: Iterable[SchoolClass]) -> dict[int, list[User]]:
    """Each class's mentors: the class's mentor and anyone holding the mentor role for it."""
    classes = list(classes)
    mentors: dict[int, dict[int, User]] = defaultdict(dict)
    for school_class in classes:
        if school_class.mentor is not None:
            mentors[school_class.pk][school_class.mentor.pk] = school_class.mentor
    for assignment in RoleAssignment.objects.filter(
        role=Role.MENTOR, school_class__in=[c.pk for c in classes]
    ).select_related("user"):
        mentors[assignment.school_class_id][assignment.user_id] = assignment.user  # type: ignore[index]
    return {pk: list(users.values()) for pk, users in mentors.items()}


def notice_recipients(notice: Notice, seniors: list[SeniorStatus]) -> list[Recipient]:
    """Whom the notice goes to: the seniors (monthly: only those not yet passed), the mentors of their classes
    (each with their classes' whole list of seniors) and, when the notice says so, the heads of their departments
    (their department's seniors)."""
    institution = notice.schedule.institution
    addressed = [s for s in seniors if not (notice.only_not_passed and s.passed)]
    recipients = [
        Recipient(
            NoticeLog.Audience.STUDENT,
            f"student:{s.student.student_id}",
            student_email(s.student),
            s.student.name,
            student=s.student,
            status=s,
        )
        for s in addressed
    ]
    by_class: dict[int, list[SeniorStatus]] = defaultdict(list)
    classes: dict[int, SchoolClass] = {}
    for status in seniors:
        if status.student.school_class is not None:
            classes[status.student.school_class.pk] = status.student.school_class
            by_class[status.student.school_class.pk].append(status)
    concerned = {s.student.school_class_id for s in addressed}
    mentors: dict[int, Recipient] = {}
    for class_pk, users in sorted(
        class_mentors(SchoolClass.objects.filter(pk__in=concerned).select_related("mentor")).items()
    ):
        for user in users:
            mentor = mentors.get(user.pk) or Recipient(
                NoticeLog.Audience.MENTOR, f"mentor:{user.username}", user.email, _name(user), user=user
            )
            mentor.classes.append((classes[class_pk], by_class[class_pk]))
            mentors[user.pk] = mentor
    recipients += sorted(mentors.values(), key=lambda r: r.key)
    if notice.to_heads:
        by_department: dict[int, list[SeniorStatus]] = defaultdict(list)
        for status in seniors:
            by_department[status.student.department_id].append(status)
        concerned_departments = {s.student.department_id for s in addressed}
        heads: dict[int, Recipient] = {}
        assignments = RoleAssignment.objects.filter(
            role=Role.DEPARTMENT_HEAD, institution=institution, department__in=concerned_departments
        ).select_related("user", "department")
        for assignment in assignments.order_by("department__code", "user__username"):
            user = assignment.user
            head = heads.get(user.pk) or Recipient(
                NoticeLog.Audience.DEPARTMENT_HEAD,
                f"department-head:{user.username}",
                user.email,
                _name(user),
                user=user,
            )
            head.departments.append((assignment.department, by_department[assignment.department_id]))
            heads[user.pk] = head
        recipients += sorted(heads.values(), key=lambda r: r.key)
    return recipients


def _name(user: User) -> str:
    return user.get_full_name() or user.username


# --- who may see what -----------------------------------------------------------------------------------------------


def schedules_visible_to(user: User) -> QuerySet[NoticeSchedule]:
    return NoticeSchedule.objects.filter(institution__in=registrar_institutions(user)).select_related("institution")


def schedule_get_for(user: User, pk: int) -> NoticeSchedule:
    """A schedule the user may edit: 404 when there is none, 403 when it is another institution's."""
    schedule = get_object_or_404(NoticeSchedule.objects.select_related("institution"), pk=pk)
    if not registrar_institutions(user).filter(pk=schedule.institution_id).exists():
        raise PermissionDenied("not your institution")
    return schedule


def logs_visible_to(user: User) -> QuerySet[NoticeLog]:
    """Log rows: a registrar their institutions'; anyone else the notices addressed to them."""
    if not user.is_authenticated:
        return NoticeLog.objects.none()
    scope = Q(user=user) | Q(student__user=user) | Q(institution__in=registrar_institutions(user))
    return NoticeLog.objects.filter(scope).select_related("institution", "student", "user")


def logs_filtered(user: User, params: dict[str, str]) -> QuerySet[NoticeLog]:
    """The visible log rows matching the page's filters (notice key, status, audience, text)."""
    logs = logs_visible_to(user)
    if params.get("notice"):
        logs = logs.filter(notice_key__icontains=params["notice"])
    if params.get("status"):
        logs = logs.filter(status=params["status"])
    if params.get("audience"):
        logs = logs.filter(audience=params["audience"])
    if params.get("q"):
        text = params["q"]
        logs = logs.filter(Q(recipient__icontains=text) | Q(email__icontains=text) | Q(student__name__icontains=text))
    return logs


def classes_visible_to(user: User) -> QuerySet[SchoolClass]:
    """Classes whose senior lists `user` may see: those they mentor, and those whose students they see as staff
    (a mentor their classes, department staff their department's, a registrar the institution's). A student sees
    their own record, not their class's list."""
    if not user.is_authenticated:
        return SchoolClass.objects.none()
    as_staff = students_visible_to(user).exclude(user=user).values("school_class_id")
    return SchoolClass.objects.filter(Q(mentor=user) | Q(pk__in=as_staff)).distinct()


def class_get_for(user: User, institution: str, code: str) -> SchoolClass:
    """One class, if `user` may see its list: 404 when there is no such class, 403 when it is not theirs."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("institution", "department", "mentor"),
        institution__code=institution,
        code=code,
    )
    if not classes_visible_to(user).filter(pk=school_class.pk).exists():
        raise PermissionDenied("not your class")
    return school_class


def notice_term(institution: Institution) -> str | None:
    """The term whose seniors the class lists show: that of the institution's latest schedule, else of its
    latest audits."""
    schedule = NoticeSchedule.objects.filter(institution=institution).order_by("-term").first()
    if schedule is not None:
        return schedule.term
    as_of = (
        AuditResult.objects.filter(student__institution=institution).order_by("-as_of").values_list("as_of", flat=True)
    ).first()
    return as_of


def class_seniors(school_class: SchoolClass, user: User) -> tuple[str | None, list[SeniorStatus]]:
    """The class's seniors that `user` may see, with their status, as of the term of `notice_term`. A class may
    hold students of another department (a transfer, a double major): department staff see only their own."""
    spec = notice_spec(school_class.institution)
    term = notice_term(school_class.institution)
    if spec is None or term is None:
        return term, []
    students = Student.objects.filter(school_class=school_class, pk__in=students_visible_to(user).values("pk"))
    return term, seniors_status(school_class.institution, term, spec, students)


def schedules_for_term(institution: Institution, term: str | None) -> NoticeSchedule | None:
    return NoticeSchedule.objects.filter(institution=institution, term=term).first() if term else None


# --- notices to chosen students ------------------------------------------------------------------------------------


def may_send_messages(user: User) -> bool:
    """Whether `user` may write to students: they see some student's records other than their own (a registrar,
    a mentor, department staff)."""
    return user.is_authenticated and students_visible_to(user).exclude(user=user).exists()


def message_reachable(user: User, institution: Institution, student_ids: list[str]) -> tuple[list[Student], list[str]]:
    """The chosen students `user` may write to, and the ids refused (not a student of the institution, or not
    one whose records `user` sees as staff)."""
    wanted = list(dict.fromkeys(student_ids))
    scope = students_visible_to(user).exclude(user=user) if user.is_authenticated else Student.objects.none()
    found = {
        student.student_id: student
        for student in scope.filter(institution=institution, student_id__in=wanted).select_related(
            "user", "notice_contact", "school_class"
        )
    }
    return [found[i] for i in wanted if i in found], [i for i in wanted if i not in found]


def message_recipients(message: NoticeMessage) -> list[Recipient]:
    """The message's students and, if it says so, their classes' mentors (each with their students in the list)."""
    students = list(message.students.select_related("user", "notice_contact", "school_class").order_by("student_id"))
    recipients = [
        Recipient(NoticeLog.Audience.STUDENT, f"student:{s.student_id}", student_email(s), s.name, student=s)
        for s in students
    ]
    if not message.to_mentors:
        return recipients
    by_class: dict[int, list[Student]] = defaultdict(list)
    for student in students:
        if student.school_class_id is not None:
            by_class[student.school_class_id].append(student)
    mentors: dict[int, Recipient] = {}
    for class_pk, users in sorted(class_mentors(SchoolClass.objects.filter(pk__in=by_class)).items()):
        for user in users:
            mentor = mentors.get(user.pk) or Recipient(
                NoticeLog.Audience.MENTOR, f"mentor:{user.username}", user.email, _name(user), user=user
            )
            mentor.students.extend(by_class[class_pk])
            mentors[user.pk] = mentor
    return recipients + sorted(mentors.values(), key=lambda r: r.key)


def message_get_for(user: User, pk: int) -> NoticeMessage:
    """A message `user` may read: its sender, the institution's registrar, or one of its recipients (404/403)."""
    message = get_object_or_404(NoticeMessage.objects.select_related("institution", "sender"), pk=pk)
    if message.sender_id == user.pk or registrar_institutions(user).filter(pk=message.institution_id).exists():
        return message
    if message.logs.filter(Q(user=user) | Q(student__user=user)).exists():
        return message
    raise PermissionDenied("not your notice")
