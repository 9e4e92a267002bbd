"""Writes of notices: schedules (seeded from the policy, edited by the registrar), students' notice addresses, and
sending the due notices, each claimed in the log before it is sent so that nobody gets the same notice twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from menkan.reports import Tally
from menkan.web.notices.models import NoticeLog, NoticeMessage, NoticeSchedule, StudentContact
from menkan.web.notices.selectors import (
    Notice,
    NoticeSpec,
    Recipient,
    SeniorStatus,
    deadline_for,
    message_reachable,
    message_recipients,
    notice_due,
    notice_recipients,
    notice_spec,
    seniors_status,
)
from menkan.web.records.api import Institution, SchoolClass, Student, calendar

log = logging.getLogger("menkan.notices")

# Languages of the mails: Chinese first, then English (one mail; the recipients read either).
MAIL_LANGUAGES = ("zh-hant", "en")


class NoticeSetupError(ValueError):
    """The institution cannot have notices (its policy has no notice settings)."""


# --- schedules --------------------------------------------------------------------------------------------------


def schedule_seed(
    institution: Institution, term: str, *, semester_start: date, monthly_day: int | None = None
) -> NoticeSchedule:
    """The schedule of `term` from the policy's notice settings (weeks, who gets which, deadline); the first
    semester gets the weeks, the second the monthly reminders. An existing schedule is left as it is."""
    spec = notice_spec(institution)
    if spec is None:
        raise NoticeSetupError(f"{institution.code}: the current policy has no notice settings")
    existing = NoticeSchedule.objects.filter(institution=institution, term=term).first()
    if existing is not None:
        return existing
    first = term.endswith("-1")
    schedule, _ = NoticeSchedule.objects.get_or_create(
        institution=institution,
        term=term,
        defaults={
            "semester_start": semester_start,
            "weeks": list(spec.weeks) if first else [],
            "head_weeks": list(spec.head_weeks) if first else [],
            "monthly_day": None if first else (monthly_day or 1),
            "monthly_to_heads": spec.monthly_to_heads,
            "deadline": deadline_for(spec, term),
        },
    )
    return schedule


def schedule_save(schedule: NoticeSchedule, user: Any) -> NoticeSchedule:
    """Save a schedule edited by the registrar (the form validated it)."""
    schedule.weeks = sorted(set(schedule.weeks or []))
    schedule.head_weeks = sorted(set(schedule.head_weeks or []))
    schedule.updated_by = user if getattr(user, "is_authenticated", False) else None
    schedule.save()
    return schedule


def student_contact_set(student: Student, email: str) -> StudentContact:
    contact, _ = StudentContact.objects.update_or_create(student=student, defaults={"email": email})
    return contact


# --- the mails ----------------------------------------------------------------------------------------------------


def _tallies(seniors: list[SeniorStatus]) -> list[dict[str, Any]]:
    """Per item (advisory items left out) and overall: seniors, passed, not passed, rate."""
    rows: list[dict[str, Any]] = []
    if not seniors:
        return rows
    for item in seniors[0].items:
        if item.advisory:
            continue
        passed = sum(1 for s in seniors if any(mine.id == item.id and mine.met for mine in s.items))
        rows.append({"title": item.title, "tally": Tally(len(seniors), passed)})
    rows.append({"title": None, "tally": Tally(len(seniors), sum(1 for s in seniors if s.passed))})
    return rows


def _context(notice: Notice, recipient: Recipient, spec: NoticeSpec) -> dict[str, Any]:
    schedule = notice.schedule
    contact_of = {contact.requirement: contact for contact in spec.contacts}
    items = [(item, contact_of.get(item.id)) for item in recipient.status.items] if recipient.status else []
    return {
        "items": items,
        "notice": notice,
        "schedule": schedule,
        "institution": schedule.institution,
        "recipient": recipient,
        "status": recipient.status,
        "classes": recipient.classes,
        "departments": [(d, seniors, _tallies(seniors)) for d, seniors in recipient.departments],
        "contacts": spec.contacts,
        "deadline": schedule.deadline,
        # passed seniors hear for the last time at the first semester's last notice (日後不重複發放)
        "last_for_passed": notice.kind == "week" and notice.number == max(schedule.weeks or [0]),
    }


def _render_both(template: str, context: dict[str, Any]) -> str:
    parts = []
    for language in MAIL_LANGUAGES:
        with translation.override(language):
            parts.append(render_to_string(template, context).strip())
    return "\n\n────────────────────────────────────────\n\n".join(parts) + "\n"


def notice_subject(notice: Notice, recipient: Recipient) -> str:
    context = {"notice": notice, "recipient": recipient, "status": recipient.status}
    parts = []
    for language in MAIL_LANGUAGES:
        with translation.override(language):
            parts.append(" ".join(render_to_string("notices/mail/subject.txt", context).split()))
    return " / ".join(parts)[:250]


def class_list_pdf(
    classes: list[tuple[SchoolClass, list[SeniorStatus]]], *, term: str | None, deadline: date | None
) -> bytes:
    """The printable 通過 / 未通過 list of the classes' seniors (WeasyPrint), in the active language."""
    from weasyprint import HTML

    html = render_to_string(
        "notices/class_list_pdf.html",
        {"classes": classes, "term": term, "deadline": deadline, "printed": timezone.localtime()},
    )
    return bytes(HTML(string=html).write_pdf())


def notice_message(notice: Notice, recipient: Recipient, spec: NoticeSpec, connection: Any = None) -> EmailMessage:
    """The mail of one notice to one recipient (both languages; a mentor's with the PDF of their classes)."""
    context = _context(notice, recipient, spec)
    body = _render_both(f"notices/mail/{recipient.audience}.txt", context)
    message = EmailMessage(
        notice_subject(notice, recipient),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [recipient.email],
        connection=connection,
    )
    if recipient.audience == NoticeLog.Audience.MENTOR:
        with translation.override(MAIL_LANGUAGES[0]):  # the paper copy: in Chinese, as the school hands it out
            pdf = class_list_pdf(recipient.classes, term=notice.schedule.term, deadline=notice.schedule.deadline)
        message.attach(f"{notice.key.replace(':', '-')}-class-list.pdf", pdf, "application/pdf")
    return message


# --- sending ----------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What a run did: one line per notice and recipient, and the counts."""

    dry_run: bool = False
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)  # (key, recipient, email, outcome)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, notice: Notice, recipient: Recipient, outcome: str) -> None:
        self.lines.append((notice.key, recipient.key, recipient.email, outcome))
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def summary(self) -> str:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.counts.items())) or "nothing due"
        return ("dry run: " if self.dry_run else "") + counts


_RETRIED = (NoticeLog.Status.FAILED, NoticeLog.Status.SKIPPED)


def _claim(notice: Notice, recipient: Recipient) -> NoticeLog | None:
    """Take the (notice, recipient) row before sending (see `_claim_key`)."""
    return _claim_key(notice.key, recipient, {"institution": notice.schedule.institution, "schedule": notice.schedule})


def _claim_key(key: str, recipient: Recipient, where: dict[str, Any]) -> NoticeLog | None:
    """Take the (notice key, recipient) row before sending: inserted in its own transaction, so a second run, even
    a concurrent one, hits the unique constraint and sends nothing. A row left failed or skipped (no address) by
    an earlier run is taken again, by one run only (the conditional update). None: someone else has it."""
    values = {
        **where,
        "audience": recipient.audience,
        "student": recipient.student,
        "user": recipient.user,
        "email": recipient.email,
    }
    try:
        with transaction.atomic():
            return NoticeLog.objects.create(notice_key=key, recipient=recipient.key, **values)
    except IntegrityError:
        pass
    with transaction.atomic():
        taken = NoticeLog.objects.filter(notice_key=key, recipient=recipient.key, status__in=_RETRIED).update(
            status=NoticeLog.Status.SENDING, attempts=F("attempts") + 1, error="", email=recipient.email
        )
    if not taken:
        return None
    return NoticeLog.objects.get(notice_key=key, recipient=recipient.key)


def _send_claimed(entry: NoticeLog, recipient: Recipient, make: Any) -> str:
    """Send a claimed row's mail (`make()` builds it); the row records the outcome (sent, skipped, failed)."""
    if not recipient.email:
        entry.status, entry.error = NoticeLog.Status.SKIPPED, "no e-mail address"
        entry.save(update_fields=["status", "error"])
        return "skipped"
    try:
        message = make()
        entry.subject = message.subject[:256]
        message.send()
    except Exception as exc:  # an unreachable mail server or a bad address: logged, retried by the next run
        log.warning("notice %s to %s failed: %s", entry.notice_key, recipient.key, exc)
        entry.status, entry.error = NoticeLog.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        entry.save(update_fields=["status", "error", "subject"])
        return "failed"
    entry.status, entry.sent_at = NoticeLog.Status.SENT, timezone.now()
    entry.save(update_fields=["status", "sent_at", "subject"])
    return "sent"


def notice_deliver(
    notice: Notice, recipient: Recipient, spec: NoticeSpec, *, connection: Any = None, dry_run: bool = False
) -> str:
    """Send one notice to one recipient unless they have it already; returns the outcome (sent, skipped,
    failed, already; with dry_run: would-send, would-skip, already)."""
    if dry_run:
        existing = NoticeLog.objects.filter(notice_key=notice.key, recipient=recipient.key).first()
        if existing is not None and existing.status not in _RETRIED:
            return "already"
        return "would-send" if recipient.email else "would-skip"
    entry = _claim(notice, recipient)
    if entry is None:
        return "already"
    return _send_claimed(entry, recipient, lambda: notice_message(notice, recipient, spec, connection))


def notices_send_due(
    today: date | None = None, *, dry_run: bool = False, institution: Institution | None = None
) -> SendReport:
    """Send every notice due on `today` (default: today, local time) to whoever has not had it yet."""
    today = today or calendar.today()
    report = SendReport(dry_run=dry_run)
    schedules = NoticeSchedule.objects.filter(active=True).select_related("institution").order_by("institution", "term")
    if institution is not None:
        schedules = schedules.filter(institution=institution)
    connection = None if dry_run else get_connection()
    for schedule in schedules:
        notice = notice_due(schedule, today)
        if notice is None:
            continue
        spec = notice_spec(schedule.institution)
        if spec is None:
            report.problems.append(f"{notice.key}: the current policy of {schedule.institution.code} has no notices")
            continue
        seniors = seniors_status(schedule.institution, schedule.term, spec)
        for recipient in notice_recipients(notice, seniors):
            report.add(
                notice, recipient, notice_deliver(notice, recipient, spec, connection=connection, dry_run=dry_run)
            )
    return report


# --- notices to chosen students ------------------------------------------------------------------------------------


class MessageRefused(PermissionError):
    """The sender may not reach some of the chosen students (their ids are listed)."""

    def __init__(self, refused: list[str]) -> None:
        super().__init__("not yours to reach: " + ", ".join(refused))
        self.refused = refused


def message_send(
    sender: Any,
    institution: Institution,
    student_ids: list[str],
    *,
    subject: str,
    body: str,
    to_mentors: bool,
    token: str,
) -> tuple[NoticeMessage, dict[str, int]]:
    """Send a notice to chosen students of the institution (and, if asked, their classes' mentors), once: the
    message is kept under the compose page's token (a resubmitted form finds it), and each recipient's log row is
    claimed before sending, as for the scheduled notices. Every student must be one the sender may reach
    (`selectors.message_reachable`), or nothing is sent (MessageRefused)."""
    students, refused = message_reachable(sender, institution, student_ids)
    if refused:
        raise MessageRefused(refused)
    with transaction.atomic():
        message, created = NoticeMessage.objects.get_or_create(
            token=token,
            defaults={
                "institution": institution,
                "subject": subject,
                "body": body,
                "to_mentors": to_mentors,
                "sender": sender,
            },
        )
        if created:
            message.students.set(students)
    counts: dict[str, int] = {}
    connection = get_connection()
    for recipient in message_recipients(message):
        where = {"institution": institution, "message": message, "subject": message.subject[:256]}
        entry = _claim_key(message.key, recipient, where)
        outcome = "already" if entry is None else _send_claimed(entry, recipient, _mail(message, recipient, connection))
        counts[outcome] = counts.get(outcome, 0) + 1
    return message, counts


def _mail(message: NoticeMessage, recipient: Recipient, connection: Any) -> Any:
    def make() -> EmailMessage:
        body = message.body
        if recipient.audience == NoticeLog.Audience.MENTOR:
            names = "\n".join(f"- {s.student_id} {s.name}" for s in recipient.students)
            body = f"{body}\n\n{names}\n"
        return EmailMessage(
            message.subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email], connection=connection
        )

    return make
