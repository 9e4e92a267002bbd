"""Writes of micro-credits: offerings and sessions, seats (locked), attendance, the no-show ban, grading into the
student's activities, the certification with its credit import, and the gen-ed offset."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from menkan.engine import MicroCredits, Offset, Term, fmt
from menkan.web.accounts.api import User
from menkan.web.audits.api import student_audit
from menkan.web.microcredits.models import (
    Attendance,
    Ban,
    Certification,
    CertificationLine,
    Enrollment,
    Offering,
    OffsetApplication,
    Review,
    Session,
)
from menkan.web.microcredits.selectors import (
    bans_active,
    bans_active_in,
    first_credit_hours,
    micro_activities,
    micro_courses_on_record,
    micro_credits_on_record,
    micro_settings,
    requirement_nodes,
)
from menkan.web.records.api import (
    Institution,
    Student,
    UploadRefused,
    activity_set,
    course_add,
    course_set,
    upload_check,
)


class MicroCreditError(Exception):
    """A request the rules refuse; the message is the reason shown to the person."""


class AlreadyRecorded(MicroCreditError):
    """A repeated request that would change nothing (a second self check-in); the message says so."""


# The handed-in work: documents, slides, sheets, images, text or an archive of them (not HTML, SVG or scripts, which
# a browser would run), of at most MAX_WORK_BYTES, recognised by their content (records.uploads).
MAX_WORK_BYTES = 20 * 1024 * 1024
WORK_KINDS = ("pdf", "docx", "pptx", "xlsx", "odf", "ole", "text", "png", "jpeg", "zip")


def _settings(institution: Institution) -> MicroCredits:
    config = micro_settings(institution)
    if config is None:
        raise MicroCreditError(_("This institution offers no micro-credit courses."))
    return config


@dataclass(frozen=True)
class ImportedCourse:
    """The course a certification step imports: its code, title, the credits it is worth (what the step adds
    to the previous one) and the credits earned in all once it is on the record."""

    code: str
    title: str
    credits: Decimal
    total: Decimal


def certification_steps(institution: Institution) -> list[ImportedCourse]:
    """The imported course of each certification step, in order."""
    courses, before = [], Decimal(0)
    for step in _settings(institution).certification.steps:
        total = Decimal(step.credits)
        courses.append(ImportedCourse(step.code, step.course.zh_tw, total - before, total))
        before = total
    return courses


def offering_create(
    institution: Institution, *, term: str, title: str, hours: Decimal, area: str = "", seats: int | None = None
) -> Offering:
    """A micro-credit course (no `area`) or a modular course (one module of an area: the module's seats, 5 by the
    policy unless given)."""
    Term.parse(term)  # a malformed term is refused before anything is stored
    config = _settings(institution)
    if not title.strip() or hours <= 0:
        raise MicroCreditError(_("Give the course's title and hours."))
    if area:
        if area not in {a.id for a in config.modules.areas}:
            raise MicroCreditError(_("Unknown module area."))
        seats = seats or config.modules.seats_per_module
    return Offering.objects.create(
        institution=institution, term=term, title=title.strip(), hours=hours, area=area, seats=seats
    )


def session_create(offering: Offering, *, day: date, starts: time, ends: time, hours: Decimal) -> Session:
    """A class meeting; its check-in code is random (students type it to sign themselves in and out)."""
    code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _n in range(6))
    return Session.objects.create(offering=offering, date=day, starts=starts, ends=ends, hours=hours, code=code)


def enrollment_create(offering: Offering, student: Student, confirmed: Iterable[int] = ()) -> Enrollment:
    """Sign a student up. Refused (MicroCreditError with the reason) for another institution's student, a student
    barred for the term by the no-show rule, a second sign-up, a modular course whose every session was not
    confirmed, or a full module. The offering row is locked (select_for_update) while seats are counted, so
    concurrent sign-ups for the last seat cannot both succeed."""
    with transaction.atomic():
        locked = Offering.objects.select_for_update().get(pk=offering.pk)
        if student.institution_id != locked.institution_id:
            raise MicroCreditError(_("This course is offered by another institution."))
        ban = bans_active(student, locked.term).first()
        if ban is not None:
            raise MicroCreditError(
                _("You may not take micro-credit courses in %(term)s (no-show rule): %(reason)s")
                % {"term": locked.term, "reason": ban.reason}
            )
        if Enrollment.objects.filter(offering=locked, student=student).exists():
            raise MicroCreditError(_("You are already signed up for this course."))
        sessions = set(locked.sessions.values_list("pk", flat=True))
        chosen = {int(pk) for pk in confirmed}
        if locked.modular and (not sessions or not sessions <= chosen):
            raise MicroCreditError(_("Confirm that you can attend every session before taking a seat."))
        if locked.seats is not None and locked.taken >= locked.seats:
            raise MicroCreditError(_("No seats left."))
        locked.taken += 1
        locked.save(update_fields=["taken"])
        return Enrollment.objects.create(offering=locked, student=student, confirmed_sessions=sorted(chosen & sessions))


def _enrollment_at(session: Session, student_id: str) -> Enrollment:
    enrollment = (
        Enrollment.objects.filter(offering=session.offering, student__student_id=student_id.strip())
        .select_related("student")
        .first()
    )
    if enrollment is None:
        raise MicroCreditError(_("%(id)s is not signed up for this course.") % {"id": student_id})
    return enrollment


def attendance_mark(
    session: Session, enrollment: Enrollment, action: str, by: User | None, now: datetime | None = None
) -> Attendance:
    """Sign in (`in`) or out (`out`); signing out needs a sign-in first. Repeats keep the first time."""
    mark, _created = Attendance.objects.get_or_create(enrollment=enrollment, session=session)
    now = now or timezone.now()
    if action == "in" and mark.signed_in_at is None:
        mark.signed_in_at = now
    elif action == "out":
        if mark.signed_in_at is None:
            raise MicroCreditError(_("Sign in before signing out."))
        mark.signed_out_at = mark.signed_out_at or now
    mark.recorded_by = by
    mark.save()
    return mark


def attendance_enter(session: Session, student_ids: str, action: str, by: User) -> tuple[int, list[str]]:
    """Staff enter or scan student ids (one per line or separated by spaces/commas). Returns (marked, problems)."""
    marked, problems = 0, []
    for sid in student_ids.replace(",", " ").split():
        try:
            attendance_mark(session, _enrollment_at(session, sid), action, by)
            marked += 1
        except MicroCreditError as exc:
            problems.append(str(exc))
    return marked, problems


def check_in_window(session: Session) -> tuple[datetime, datetime]:
    """When a student may check themself in or out: from the institution's margin (institution.yaml
    `workflows.micro_credits.attendance.check_in_margin_minutes`) before the session starts to the margin after it
    ends, in the portal's time zone."""
    margin = timedelta(minutes=_settings(session.offering.institution).attendance.check_in_margin_minutes)
    zone = timezone.get_current_timezone()
    opens = datetime.combine(session.date, session.starts, tzinfo=zone) - margin
    closes = datetime.combine(session.date, session.ends, tzinfo=zone) + margin
    return opens, closes


def attendance_check_in(
    session: Session, student: Student, code: str, action: str, now: datetime | None = None
) -> Attendance:
    """A student checks themself in or out with the session's code (given out in class): only within the
    session's time window (`check_in_window`), and once: a second check-in (or check-out) changes nothing and is
    refused with a message that says so (AlreadyRecorded)."""
    if Session.objects.filter(pk=session.pk, closed_at__isnull=False).exists():  # as stored, not as loaded
        raise MicroCreditError(_("Attendance of this session is closed."))
    if not secrets.compare_digest(code.strip().upper(), session.code):
        raise MicroCreditError(_("Wrong check-in code."))
    opens, closes = check_in_window(session)
    now = now or timezone.now()
    if not opens <= now <= closes:
        raise MicroCreditError(
            _("The check-in code of this session is accepted only from %(opens)s to %(closes)s.")
            % {
                "opens": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
                "closes": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M"),
            }
        )
    enrollment = Enrollment.objects.filter(offering=session.offering, student=student).first()
    if enrollment is None:
        raise MicroCreditError(_("You are not signed up for this course."))
    mark = Attendance.objects.filter(enrollment=enrollment, session=session).first()
    done = None if mark is None else mark.signed_out_at if action == "out" else mark.signed_in_at
    if done is not None:
        message = (
            _("You signed out of this session already at %(time)s: nothing was changed.")
            if action == "out"
            else _("You signed in to this session already at %(time)s: nothing was changed.")
        )
        raise AlreadyRecorded(message % {"time": timezone.localtime(done).strftime("%H:%M")})
    return attendance_mark(session, enrollment, action, None, now=now)


@transaction.atomic
def session_close(session: Session, by: User) -> list[Ban]:
    """Close a session's attendance: a seat holder of a modular course who did not sign in is absent, and is
    barred from micro-credit courses for the rest of the term (the no-show rule). Returns the new bans."""
    session = Session.objects.select_for_update().select_related("offering").get(pk=session.pk)
    if session.closed_at is not None:
        return []
    session.closed_at = timezone.now()
    session.save(update_fields=["closed_at"])
    if not session.offering.modular:
        return []
    present = set(
        Attendance.objects.filter(session=session, signed_in_at__isnull=False).values_list("enrollment_id", flat=True)
    )
    barred = set(bans_active_in(session.offering.term).values_list("student_id", flat=True))
    bans = []
    for enrollment in session.offering.enrollments.select_related("student"):
        if enrollment.pk in present or enrollment.student_id in barred:
            continue  # present, or barred for the term already (one ban is enough; a lifted one may be renewed)
        reason = _("Absent from %(course)s on %(date)s while holding a modular seat.") % {
            "course": session.offering.title,
            "date": session.date.isoformat(),
        }
        bans.append(
            Ban.objects.create(student=enrollment.student, term=session.offering.term, session=session, reason=reason)
        )
    return bans


def ban_lift(ban: Ban, by: User, reason: str) -> Ban:
    """Lift a no-show ban; the reason is required and kept with who lifted it and when."""
    if not reason.strip():
        raise MicroCreditError(_("Give the reason for lifting the ban."))
    if ban.lifted_at is None:
        ban.lifted_at, ban.lifted_by, ban.lift_reason = timezone.now(), by, reason.strip()
        ban.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    return ban


def work_submit(enrollment: Enrollment, upload: File) -> Enrollment:
    """The student hands in the work or worksheet of the course (a file)."""
    if enrollment.result:
        raise MicroCreditError(_("This course is graded already."))
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    try:
        upload_check(upload, name, WORK_KINDS, MAX_WORK_BYTES)
    except UploadRefused as exc:
        raise MicroCreditError(str(exc)) from None
    enrollment.work.save(name, upload, save=False)
    enrollment.work_submitted_at = timezone.now()
    enrollment.save(update_fields=["work", "work_submitted_at"])
    return enrollment


def completion_problems(enrollment: Enrollment) -> list[str]:
    """What keeps the course from being completed: the hours attended, the work."""
    problems = []
    attended = enrollment.hours_attended()
    if attended < enrollment.offering.hours:
        problems.append(
            _("%(attended)s of %(required)s hours attended (signed in and out).")
            % {"attended": attended, "required": enrollment.offering.hours}
        )
    if enrollment.work_submitted_at is None:
        problems.append(_("No work or worksheet handed in."))
    return problems


@transaction.atomic
def enrollment_grade(enrollment: Enrollment, result: str, by: User) -> Enrollment:
    """Pass or fail. A pass needs the course completed; either way the course becomes an activity of item
    `ge-micro` on the student's record (failed: passed=false), which the engine counts in hours."""
    if result not in (Enrollment.Result.PASS, Enrollment.Result.FAIL):
        raise MicroCreditError(_("Choose pass or fail."))
    if result == Enrollment.Result.PASS:
        problems = completion_problems(enrollment)
        if problems:
            raise MicroCreditError(" ".join(problems))
    offering = enrollment.offering
    last = offering.sessions.order_by("-date").values_list("date", flat=True).first()
    config = _settings(offering.institution)
    activity, _created = activity_set(
        enrollment.student,
        item=config.item,
        title=offering.title,
        term=offering.term,
        date=last,
        defaults={
            "hours": offering.hours,
            "unit": config.owner.unit,
            "passed": result == Enrollment.Result.PASS,
        },
    )
    enrollment.result, enrollment.graded_by, enrollment.graded_at = result, by, timezone.now()
    enrollment.activity = activity
    enrollment.save(update_fields=["result", "graded_by", "graded_at", "activity"])
    return enrollment


# --- certification -----------------------------------------------------------------------------------------------


@transaction.atomic
def certification_file(student: Student, term: str, activity_ids: Iterable[int], declared: bool) -> Certification:
    """File the certification form in `term`, listing the chosen passed micro-credit courses. An incomplete form
    (no course, or the declaration not ticked) is refused."""
    Term.parse(term)
    chosen = list(micro_activities(student).filter(pk__in=list(activity_ids)))
    if not chosen:
        raise MicroCreditError(_("The form is incomplete: list the courses you have taken."))
    if not declared:
        raise MicroCreditError(_("The form is incomplete: confirm that you completed every course listed."))
    if Certification.objects.filter(student=student, status=Review.SUBMITTED).exists():
        raise MicroCreditError(_("A certification form of yours is already waiting for review."))
    certification = Certification.objects.create(student=student, term=term)
    CertificationLine.objects.bulk_create(
        CertificationLine(certification=certification, activity=a, title=a.title, term=a.term, hours=a.hours)
        for a in chosen
    )
    return certification


def certification_credits(certification: Certification) -> tuple[int, list[str]]:
    """(courses to import now, reasons to refuse). The credits come from the engine's audit of the student
    (the settings' hours requirement: hours counted, capped, titles once), less those already on record."""
    problems = []
    student = certification.student
    for line in certification.lines.all():
        if line.activity is None or not line.activity.passed or line.activity.student_id != student.pk:
            problems.append(_("%(title)s (%(term)s) was not completed.") % {"title": line.title, "term": line.term})
    # audited now, not the stored result: a re-audit scheduled by a recent change may not have run yet
    stored = student_audit(student)
    config = _settings(student.institution)
    node = requirement_nodes(stored.document if stored else None).get(config.requirement)
    earned = int((node or {}).get("details", {}).get("credits") or 0)
    if earned == 0:
        hours = first_credit_hours(student.institution)
        if hours is None:
            problems.append(_("Too few hours counted: keep taking micro-credit courses."))
        else:
            problems.append(
                _("Fewer than %(hours)s hours counted: keep taking micro-credit courses.") % {"hours": fmt(hours)}
            )
    steps = certification_steps(student.institution)
    already = micro_courses_on_record(student).filter(code__in=[step.code for step in steps]).count()
    due = max(0, sum(1 for step in steps if step.total <= earned) - already)
    if earned and not due:
        problems.append(_("The credits these hours earn are on the record already."))
    return due, problems


@transaction.atomic
def certification_approve(
    certification: Certification, by: User, *, exception: bool = False, exception_reason: str = ""
) -> Certification:
    """Approve and import the credits as courses into the next term (filed in 110-1 → 110-2), or into the filing
    term when staff mark an exception with its reason. A form whose courses were not completed, or whose hours
    earn nothing new, is refused instead, with the reasons."""
    certification = Certification.objects.select_for_update().get(pk=certification.pk)
    if certification.status != Review.SUBMITTED:
        raise MicroCreditError(_("This form has been reviewed already."))
    if exception and not exception_reason.strip():
        raise MicroCreditError(_("Give the reason for importing into the current semester."))
    due, problems = certification_credits(certification)
    if problems:
        return certification_refuse(certification, by, " ".join(problems))
    term = certification.term if exception else str(Term.parse(certification.term).next_regular())
    already = set(micro_courses_on_record(certification.student).values_list("code", flat=True))
    steps = [step for step in certification_steps(certification.student.institution) if step.code not in already]
    imported = _settings(certification.student.institution).certification
    for step in steps[:due]:
        course = course_add(
            certification.student,
            code=step.code,
            title=step.title,
            credits=step.credits,
            term=term,
            grade=imported.grade,
            category=imported.category,
        )
        certification.imported.add(course)
    certification.status, certification.reviewed_by, certification.reviewed_at = Review.APPROVED, by, timezone.now()
    certification.current_term_exception, certification.exception_reason = exception, exception_reason.strip()
    certification.imported_term = term
    certification.save()
    return certification


def certification_refuse(certification: Certification, by: User, reason: str) -> Certification:
    if not reason.strip():
        raise MicroCreditError(_("Give the reason for refusing."))
    if Certification.objects.filter(pk=certification.pk).exclude(status=Review.SUBMITTED).exists():
        raise MicroCreditError(_("This form has been reviewed already."))
    certification.status, certification.reviewed_by, certification.reviewed_at = Review.REFUSED, by, timezone.now()
    certification.reason = reason.strip()
    certification.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    return certification


# --- gen-ed offset -----------------------------------------------------------------------------------------------


def offset_categories(institution: Institution) -> list[dict[str, Any]]:
    """The gen-ed categories an offset may be for: {"tag", "name": {"zh-TW", "en"}}."""
    config = micro_settings(institution)
    return [{"tag": c.tag, "name": c.name.as_dict()} for c in (config.gen_ed_categories if config else [])]


def _offset(institution: Institution) -> Offset:
    offset = _settings(institution).offset
    if offset is None:
        raise MicroCreditError(_("This institution takes no offset applications."))
    return offset


def offset_form_name(institution: Institution) -> dict[str, str]:
    """The offset form's name in zh-TW and English (institution.yaml workflows.micro_credits.offset.form)."""
    return _offset(institution).form.as_dict()


def _offset_limits(institution: Institution) -> tuple[int, int]:
    offset = _offset(institution)
    return offset.requires_credits, offset.max_credits


def offset_problems(student: Student) -> list[str]:
    """Why the student may not (or no longer) have the offset: fewer micro-credit courses on the record than the
    offset needs (both courses, 2 credits: with one the audit does not count an offset record either)."""
    needs, _most = _offset_limits(student.institution)
    have = micro_credits_on_record(student)
    if have >= needs:
        return []
    return [
        _("%(have)s of the %(n)s micro-credits the offset needs are on the record: the offset cannot count yet.")
        % {"have": fmt(have), "n": needs}
    ]


@transaction.atomic
def offset_file(student: Student, term: str, category: str, credits: int) -> OffsetApplication:
    """Apply to offset gen-ed credits: needs the policy's micro-credits on record; at most its
    `max_credits`, one of its gen-ed categories. A second application while one is pending or approved is
    refused."""
    Term.parse(term)
    needs, most = _offset_limits(student.institution)
    if micro_credits_on_record(student) < needs:
        raise MicroCreditError(
            _("You need %(n)s micro-credits on your record before applying for an offset.") % {"n": needs}
        )
    categories = offset_categories(student.institution)
    if category not in {c["tag"] for c in categories}:
        raise MicroCreditError(_("Choose one of the %(n)s gen-ed categories.") % {"n": len(categories)})
    if not 1 <= credits <= most:
        raise MicroCreditError(_("At most %(n)s credits may be offset.") % {"n": most})
    if OffsetApplication.objects.filter(student=student, status__in=[Review.SUBMITTED, Review.APPROVED]).exists():
        raise MicroCreditError(_("You have an offset application pending or approved already."))
    return OffsetApplication.objects.create(student=student, term=term, category=category, credits=credits)


@transaction.atomic
def offset_approve(application: OffsetApplication, by: User) -> OffsetApplication:
    """Approve: the registrar's course record of the policy (`offset.record`: its code, category, tags and grade,
    in the term filed) is written, and the audit counts it toward the gen-ed total (at most `offset.max_credits`).
    The chosen category is kept as the tag `offset-for:<category>` (information: per the policy the offset
    counts toward the five categories' total, not a single category's minimum)."""
    application = OffsetApplication.objects.select_for_update().select_related("student").get(pk=application.pk)
    if application.status != Review.SUBMITTED:
        raise MicroCreditError(_("This application has been reviewed already."))
    problems = offset_problems(application.student)  # the record may have changed since the filing
    if problems:
        raise MicroCreditError(" ".join(problems))
    names = {c["tag"]: c["name"] for c in offset_categories(application.student.institution)}
    name = names.get(application.category, {}).get("zh-TW", application.category)
    record = _offset(application.student.institution).record
    course, _created = course_set(
        application.student,
        code=record.code,
        term=application.term,
        defaults={
            "title": record.title.replace("{category}", name),
            "credits": Decimal(application.credits),
            "grade": record.grade,
            "category": record.category,
            "tags": [*record.tags, f"offset-for:{application.category}"],
        },
    )
    application.status, application.reviewed_by, application.reviewed_at = Review.APPROVED, by, timezone.now()
    application.course = course
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "course"])
    return application


def offset_refuse(application: OffsetApplication, by: User, reason: str) -> OffsetApplication:
    if not reason.strip():
        raise MicroCreditError(_("Give the reason for refusing."))
    if application.status != Review.SUBMITTED:
        raise MicroCreditError(_("This application has been reviewed already."))
    application.status, application.reviewed_by, application.reviewed_at = Review.REFUSED, by, timezone.now()
    application.reason = reason.strip()
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    return application
