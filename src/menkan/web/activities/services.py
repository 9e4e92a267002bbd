"""Writes of the self-learning work: offerings and sign-ups, hours registered (roster, single entry, MOOC
review), the MOOC list, the departments' licence lists (published as a new policy version), licences and
licence exam-fee subsidies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from menkan.web.accounts.api import User
from menkan.web.activities import selectors
from menkan.web.activities.models import (
    LicenceListEntry,
    MoocCourse,
    MoocUpload,
    Offering,
    Review,
    SignUp,
    SubsidyApplication,
)
from menkan.web.audits.api import policy_current, policy_publish
from menkan.web.records.api import (
    STUDENT_ID_COLUMN,
    Certificate,
    ImportFileError,
    Institution,
    Student,
    UploadRefused,
    activity_add,
    activity_ensure,
    calendar,
    cell_text,
    certificate_ensure,
    header_key,
    record_write_permission,
    table_read,
    upload_check,
)

# A certificate or a receipt (a scan or a photo): what it may be, by its content (records.uploads), and its size.
DOCUMENT_KINDS = ("pdf", "png", "jpeg")
MAX_FILE_BYTES = 5 * 1024 * 1024


class ActivityError(ValueError):
    """A request the rules refuse: the message says why, for the person asking."""


def term_of(day: dt.date, institution: Institution) -> str:
    """The term a day belongs to in the institution's calendar (records.calendar: its own dates, else the ROC rule)."""
    return calendar.term_of_day(institution, day)


def _term_check(institution: Institution, day: dt.date, term: str) -> None:
    """An activity's term is the one its date falls in (a December activity is not labelled with last year's term)."""
    expected = term_of(day, institution)
    if term != expected:
        raise ActivityError(
            _("An activity on %(date)s falls in term %(expected)s, not %(term)s.")
            % {"date": day.isoformat(), "expected": expected, "term": term}
        )


def _happened_check(offering: Offering) -> None:
    """Hours are registered for an activity that has taken place, not for one still to come."""
    if offering.date > calendar.today():
        raise ActivityError(
            _("This activity takes place on %(date)s: its hours can be registered from that day on.")
            % {"date": offering.date.isoformat()}
        )


# --------------------------------------------------------------------------------------------------- offerings


def _owned_item(user: User, institution: Institution, item: str) -> str:
    """The office owning `item` if the user is its staff (ActivityError otherwise)."""
    office = selectors.office_of(institution, item)
    if office is None or item == selectors.certificates_item(institution):
        raise ActivityError(
            _("%(item)s is not an activity item of %(institution)s.") % {"item": item, "institution": institution.code}
        )
    if not selectors.is_office_staff(user, institution.pk, office):
        raise ActivityError(_("Only the staff of %(office)s register %(item)s.") % {"office": office, "item": item})
    return office


@transaction.atomic
def offering_create(
    *,
    user: User,
    institution: Institution,
    item: str,
    title: str,
    date: dt.date,
    hours: Decimal,
    capacity: int,
    term: str,
) -> Offering:
    office = _owned_item(user, institution, item)
    _term_check(institution, date, term)
    return Offering.objects.create(
        institution=institution,
        office=office,
        item=item,
        title=title,
        date=date,
        hours=hours,
        capacity=capacity,
        term=term,
        created_by=user,
    )


@transaction.atomic
def offering_update(offering: Offering, *, user: User, **fields: Any) -> Offering:
    """Change an offering; its item stays one of its office's, and its capacity not below the seats taken."""
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    if "item" in fields and _owned_item(user, offering.institution, fields["item"]) != offering.office:
        raise ActivityError(_("The item must stay one of %(office)s's.") % {"office": offering.office})
    taken = offering.signups.count()
    if "capacity" in fields and fields["capacity"] < taken:
        raise ActivityError(_("%(taken)d students have signed up: the capacity cannot be less.") % {"taken": taken})
    for name, value in fields.items():
        setattr(offering, name, value)
    if "date" in fields or "term" in fields:
        _term_check(offering.institution, offering.date, offering.term)
    offering.save()
    return offering


def offering_close(offering: Offering, *, open_again: bool = False) -> Offering:
    offering.closed = not open_again
    offering.save(update_fields=["closed"])
    return offering


# --------------------------------------------------------------------------------------------------- sign-ups


@transaction.atomic
def signup_create(student: Student, offering: Offering, today: dt.date | None = None) -> SignUp:
    """Take a seat. The offering's row is locked first, so simultaneous sign-ups for the last seats queue
    here and each sees the seats the others took: capacity is never exceeded."""
    today = today or calendar.today()
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    if offering.institution_id != student.institution_id:
        raise ActivityError(_("This activity is not offered to your institution."))
    if offering.closed or offering.date < today:
        raise ActivityError(_("Sign-up for this activity is closed."))
    if SignUp.objects.filter(offering=offering, student=student).exists():
        raise ActivityError(_("You have already signed up for this activity."))
    if not selectors.self_learning_applies([student]).get(student.pk):
        raise ActivityError(_("The self-learning requirement does not apply to you."))
    if offering.signups.count() >= offering.capacity:
        raise ActivityError(_("This activity is full."))
    return SignUp.objects.create(offering=offering, student=student)


@transaction.atomic
def signup_cancel(student: Student, offering: Offering, today: dt.date | None = None) -> None:
    """Give the seat back; only before the day of the activity."""
    today = today or calendar.today()
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    signup = SignUp.objects.filter(offering=offering, student=student).first()
    if signup is None:
        raise ActivityError(_("You have not signed up for this activity."))
    if offering.date <= today:
        raise ActivityError(_("A sign-up can be cancelled only before the day of the activity."))
    signup.delete()


# --------------------------------------------------------------------------------------------------- hours


@dataclass
class RosterReport:
    """What a roster upload did: activities created, students who had them already, or the problems (by row)
    that refused the whole file."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.problems


def _roster_ids(filename: str, content: bytes) -> list[tuple[int, str]]:
    """(row number, student id) of each non-blank row: the 學號 column if a header names it, else the first."""
    table = table_read(filename, content)
    headers = {header_key(h) for h in STUDENT_ID_COLUMN.headers}
    index = next((i for i, h in enumerate(table.headers) if header_key(h) in headers), None)
    rows = table.rows
    if index is None:  # no header: the first row is a student id too
        rows = [(table.header_row, table.headers), *rows]
        index = 0
    return [(number, cell_text(cells[index]) if index < len(cells) else "") for number, cells in rows]


def _students_for(institution: Institution, rows: Sequence[tuple[int, str]], report: RosterReport) -> list[Student]:
    ids = {sid for _, sid in rows if sid}
    found = {
        s.student_id: s
        for s in Student.objects.filter(institution=institution, student_id__in=ids).select_related("institution")
    }
    concerned = selectors.self_learning_applies(list(found.values()))
    seen: set[str] = set()
    students = []
    for number, sid in rows:
        student = found.get(sid)
        if not sid:
            report.problems.append((number, _("no student id")))
        elif student is None:
            report.problems.append(
                (number, _("no student %(id)s in %(institution)s") % {"id": sid, "institution": institution.code})
            )
        elif not concerned.get(student.pk):
            report.problems.append((number, _("the self-learning requirement does not apply to %(id)s") % {"id": sid}))
        elif sid in seen:
            report.problems.append((number, _("%(id)s is listed twice") % {"id": sid}))
        else:
            students.append(student)
        seen.add(sid)
    return students


def _register(offering: Offering, students: Sequence[Student], report: RosterReport) -> None:
    for student in students:
        _, created = activity_ensure(
            student,
            item=offering.item,
            title=offering.title,
            term=offering.term,
            date=offering.date,
            defaults={"hours": offering.hours, "unit": offering.office},
        )
        (report.created if created else report.unchanged).append(student.student_id)


@transaction.atomic
def roster_register(offering: Offering, *, user: User, filename: str, content: bytes) -> RosterReport:
    """Register the offering's hours for every student of a roster file (CSV or XLSX of student ids).

    PermissionDenied unless `user` may register hours of the offering's item (its owner office's staff). Every
    row is checked first; an unknown student, one the requirement does not concern or a repeated id refuses the
    whole file (each problem names its row) and nothing is written. Uploading the same roster again changes
    nothing (an activity is the same student, item, title, term and date)."""
    record_write_permission(user, offering.institution, "activity", offering.item).require()
    report = RosterReport()
    try:
        _happened_check(offering)
    except ActivityError as exc:
        report.problems.append((0, str(exc)))
        return report
    try:
        rows = _roster_ids(filename, content)
    except ImportFileError as exc:
        report.problems.append((0, str(exc)))
        return report
    report.rows = len(rows)
    if not rows:
        report.problems.append((0, _("the file lists no student")))
        return report
    students = _students_for(offering.institution, rows, report)
    if report.problems:
        return report
    _register(offering, students, report)
    return report


@transaction.atomic
def hours_register(offering: Offering, *, user: User, student_id: str) -> RosterReport:
    """Register the offering's hours for one student (single entry), checked as a roster row."""
    record_write_permission(user, offering.institution, "activity", offering.item).require()
    report = RosterReport(rows=1)
    try:
        _happened_check(offering)
    except ActivityError as exc:
        report.problems.append((0, str(exc)))
        return report
    students = _students_for(offering.institution, [(1, student_id.strip())], report)
    if not report.problems:
        _register(offering, students, report)
    return report


# --------------------------------------------------------------------------------------------------- MOOCs


@transaction.atomic
def mooc_courses_seed(institution: Institution) -> int:
    """Fill the MOOC list from the policy's extra the first time (later edits are the office's)."""
    if MoocCourse.objects.filter(institution=institution).exists():
        return 0
    settings = selectors.self_learning_settings(institution)
    courses = settings.moocs.courses if settings is not None and settings.moocs is not None else []
    made = 0
    for course in courses:
        _, created = MoocCourse.objects.get_or_create(
            institution=institution,
            title=course.title,
            defaults={"hours": Decimal(course.hours), "audience": course.audience or ""},
        )
        made += created
    return made


def mooc_course_save(
    institution: Institution,
    *,
    title: str,
    hours: Decimal,
    audience: str = "",
    active: bool = True,
    course: MoocCourse | None = None,
) -> MoocCourse:
    if MoocCourse.objects.filter(institution=institution, title=title).exclude(pk=getattr(course, "pk", None)).exists():
        raise ActivityError(_("The list has a course titled %(title)s already.") % {"title": title})
    course = course or MoocCourse(institution=institution)
    course.title, course.hours, course.audience, course.active = title, hours, audience, active
    course.save()
    return course


def _document_check(file: UploadedFile) -> None:
    """A certificate or receipt is a PDF, PNG or JPEG by its content (whichever page or client sent it)."""
    try:
        upload_check(file, file.name or "", DOCUMENT_KINDS, MAX_FILE_BYTES)
    except UploadRefused as exc:
        raise ActivityError(str(exc)) from None


def mooc_upload_create(student: Student, course: MoocCourse, file: UploadedFile) -> MoocUpload:
    if course.institution_id != student.institution_id or not course.active:
        raise ActivityError(_("This course is not on your institution's MOOC list."))
    if not selectors.self_learning_applies([student]).get(student.pk):
        raise ActivityError(_("The self-learning requirement does not apply to you."))
    taken = MoocUpload.objects.filter(student=student, course=course, status__in=(Review.PENDING, Review.APPROVED))
    if taken.exists():
        raise ActivityError(_("You have uploaded a certificate of this course already."))
    _mooc_not_counted_yet(student, course)
    _document_check(file)
    try:
        with transaction.atomic():
            return MoocUpload.objects.create(student=student, course=course, file=file)
    except IntegrityError:  # a simultaneous upload of the same course won (one_open_mooc_upload_per_course)
        raise ActivityError(_("You have uploaded a certificate of this course already.")) from None


def _mooc_not_counted_yet(student: Student, course: MoocCourse) -> None:
    """A MOOC course's certificate counts once: refused when its hours are on the student's record already
    (from an earlier approval, an import or an office's registration, in any term)."""
    counted = selectors.mooc_hours_on_record(student, course.title)
    if counted is not None:
        raise ActivityError(
            _("The hours of %(course)s are on the record already (%(term)s): a MOOC course counts once.")
            % {"course": course.title, "term": counted.term}
        )


@transaction.atomic
def mooc_upload_review(upload: MoocUpload, *, user: User, approve: bool, reason: str = "") -> MoocUpload:
    """Approve (the course's certified hours are registered on the MOOCs' item) or reject with a reason: only
    someone who may register hours of that item (PermissionDenied otherwise)."""
    moocs_of = upload.student.institution
    item = selectors.mooc_item(moocs_of)
    if item is None:
        raise PermissionDenied  # no MOOCs designated: nobody reviews MOOC certificates
    record_write_permission(user, moocs_of, "activity", item).require()
    upload = MoocUpload.objects.select_for_update().select_related("course", "student__institution").get(pk=upload.pk)
    if upload.status != Review.PENDING:
        raise ActivityError(_("This upload has been reviewed already."))
    institution = upload.student.institution
    now = timezone.now()
    if approve:
        _mooc_not_counted_yet(upload.student, upload.course)  # approving twice in two terms counted it twice
        day = calendar.today()
        upload.activity = activity_add(
            upload.student,
            item=item,
            title=upload.course.title,
            term=term_of(day, institution),
            date=day,
            hours=upload.course.hours,
            unit=selectors.mooc_office(institution) or "",
        )
        upload.status, upload.reason = Review.APPROVED, ""
    else:
        if not reason.strip():
            raise ActivityError(_("Say why the certificate is rejected."))
        upload.status, upload.reason = Review.REJECTED, reason.strip()
    upload.reviewed_by, upload.reviewed_at = user, now
    upload.save()
    return upload


# --------------------------------------------------------------------------------------------------- licences


@transaction.atomic
def licence_entries_seed(institution: Institution) -> int:
    """Fill the licence lists from the current policy's `codes_by_department` the first time."""
    if LicenceListEntry.objects.filter(institution=institution).exists():
        return 0
    catalog = selectors.licence_catalog(institution)
    entries = [
        LicenceListEntry(
            institution=institution,
            department=department,
            code=code,
            title=(catalog.get(code) or {}).get("title", ""),
            level=(catalog.get(code) or {}).get("level", ""),
        )
        for department, codes in selectors.licence_codes_in_policy(institution).items()
        for code in codes
    ]
    LicenceListEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


def _codes_block(codes: dict[str, list[str]], indent: str) -> list[str]:
    return [f"{indent}{department}: [{', '.join(codes[department])}]" for department in codes if codes[department]]


def codes_by_department_rewrite(text: str, codes: dict[str, list[str]]) -> str:
    """The policy file's text with its `codes_by_department` mapping replaced (comments elsewhere kept)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)codes_by_department:\s*(\{\})?\s*$", line)
        if match is None:
            continue
        indent = match.group(1)
        end = index + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > len(indent)):
            end += 1
        while end > index + 1 and not lines[end - 1].strip():
            end -= 1  # blank lines after the block belong to what follows
        block = _codes_block(codes, indent + "  ")
        head = f"{indent}codes_by_department:" + ("" if block else " {}")
        return "\n".join([*lines[:index], head, *block, *lines[end:]]) + ("\n" if text.endswith("\n") else "")
    raise ActivityError(_("The current policy has no codes_by_department to rewrite."))


def licence_lists_publish(institution: Institution, *, user: User, note: str) -> Any:
    """Publish a new policy version whose licence lists are the entries' (the old version is kept; students
    are re-audited after the commit)."""
    version = policy_current(institution)
    if version is None:
        raise ActivityError(_("%(institution)s has no published policy.") % {"institution": institution.code})
    codes: dict[str, list[str]] = {}
    for entry in LicenceListEntry.objects.filter(institution=institution).order_by("department", "pk"):
        codes.setdefault(entry.department, []).append(entry.code)
    files = dict(version.files)
    name = next((n for n, text in files.items() if re.search(r"^\s*codes_by_department:", text, re.M)), None)
    if name is None:
        raise ActivityError(_("The current policy has no codes_by_department to rewrite."))
    files[name] = codes_by_department_rewrite(files[name], codes)
    return policy_publish(files, user=user, note=note)


@transaction.atomic
def licence_entry_add(institution: Institution, *, user: User, department: str, code: str) -> LicenceListEntry:
    catalog = selectors.licence_catalog(institution)
    if code not in catalog:
        raise ActivityError(_("%(code)s is not in the licence catalogue.") % {"code": code})
    if not institution.departments.filter(code=department).exists():
        raise ActivityError(_("No department %(department)s.") % {"department": department})
    entry, created = LicenceListEntry.objects.get_or_create(
        institution=institution,
        department=department,
        code=code,
        defaults={"title": catalog[code].get("title", ""), "level": catalog[code].get("level", "")},
    )
    if not created:
        raise ActivityError(
            _("%(code)s is on the list of %(department)s already.") % {"code": code, "department": department}
        )
    licence_lists_publish(institution, user=user, note=f"licence list of {department}: + {code} ({user.username})")
    return entry


@transaction.atomic
def licence_entry_remove(entry: LicenceListEntry, *, user: User) -> None:
    institution, department, code = entry.institution, entry.department, entry.code
    entry.delete()
    licence_lists_publish(institution, user=user, note=f"licence list of {department}: - {code} ({user.username})")


def licence_codes_of(student: Student) -> dict[str, LicenceListEntry]:
    entries = LicenceListEntry.objects.filter(institution_id=student.institution_id, department=student.department.code)
    return {entry.code: entry for entry in entries}


@transaction.atomic
def licence_register(institution: Institution, *, user: User, student_id: str, code: str, term: str) -> Certificate:
    """Register a student's licence (a certificate record with a code of their department's list)."""
    office = selectors.licence_office(institution)
    permission = record_write_permission(user, institution, "certificate", code)
    if not permission:
        raise ActivityError(permission.reason)
    student = (
        Student.objects.filter(institution=institution, student_id=student_id.strip())
        .select_related("department", "institution")
        .first()
    )
    if student is None:
        raise ActivityError(
            _("No student %(id)s in %(institution)s.") % {"id": student_id, "institution": institution.code}
        )
    if not selectors.self_learning_applies([student]).get(student.pk):
        raise ActivityError(_("The self-learning requirement does not apply to %(id)s.") % {"id": student.student_id})
    entry = licence_codes_of(student).get(code)
    if entry is None:
        raise ActivityError(
            _("%(code)s is not on the licence list of %(department)s.")
            % {"code": code, "department": student.department.code}
        )
    certificate, _created = certificate_ensure(
        student,
        code=code,
        term=term,
        defaults={"title": entry.title or code, "level": entry.level, "unit": office or ""},
    )
    return certificate


# --------------------------------------------------------------------------------------------------- subsidies


def subsidy_apply(
    student: Student, *, code: str, exam_date: dt.date, fee: int, receipt: UploadedFile
) -> SubsidyApplication:
    """A student's application: a licence of their department's list, once (one pending or approved at a time)."""
    if not selectors.self_learning_applies([student]).get(student.pk):
        raise ActivityError(_("The self-learning requirement does not apply to you."))
    entry = licence_codes_of(student).get(code)
    if entry is None:
        raise ActivityError(_("%(code)s is not on your department's licence list.") % {"code": code})
    if SubsidyApplication.objects.filter(student=student, status=Review.APPROVED).exists():
        raise ActivityError(_("You have received the licence subsidy already: it is granted once per student."))
    if SubsidyApplication.objects.filter(student=student, status=Review.PENDING).exists():
        raise ActivityError(_("You have an application waiting for review already."))
    _document_check(receipt)
    return SubsidyApplication.objects.create(
        student=student, code=code, title=entry.title or code, exam_date=exam_date, fee=fee, receipt=receipt
    )


def subsidy_review(
    application: SubsidyApplication, *, user: User, approve: bool, reason: str = ""
) -> SubsidyApplication:
    """Approve (the amount by the policy's rule: half the fee, at most the cap) or reject with a reason.

    Once per student: the student's row is locked, so two approvals at once queue and the second finds the
    first; the database's partial unique constraint refuses a second approved application in any case."""
    try:
        with transaction.atomic():
            return _subsidy_review(application, user=user, approve=approve, reason=reason)
    except IntegrityError:
        raise ActivityError(_("This student has received the licence subsidy already.")) from None


def _subsidy_review(application: SubsidyApplication, *, user: User, approve: bool, reason: str) -> SubsidyApplication:
    Student.objects.select_for_update().filter(pk=application.student_id).first()
    application = (
        SubsidyApplication.objects.select_for_update().select_related("student__institution").get(pk=application.pk)
    )
    if application.status != Review.PENDING:
        raise ActivityError(_("This application has been reviewed already."))
    if approve:
        rule = selectors.subsidy_rule(application.student.institution)
        if rule is None:
            raise ActivityError(_("The institution's policy has no subsidy rule."))
        granted = SubsidyApplication.objects.filter(student_id=application.student_id, status=Review.APPROVED)
        if granted.count() >= rule.times_per_student:
            raise ActivityError(_("This student has received the licence subsidy already."))
        application.status, application.amount, application.reason = Review.APPROVED, rule.amount(application.fee), ""
    else:
        if not reason.strip():
            raise ActivityError(_("Say why the application is rejected."))
        application.status, application.reason = Review.REJECTED, reason.strip()
    application.reviewed_by, application.reviewed_at = user, timezone.now()
    application.save()
    return application
