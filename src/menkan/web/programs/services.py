"""Writes for micro-programs: the term calendar, registrations (changes, exceptions), certificate applications, the
policy's review steps (one decision per step, however many reviewers act at once) and the issued certificate."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from menkan.engine import InputError, Term
from menkan.web.accounts.api import User
from menkan.web.audits.api import policy_current, runtime_of
from menkan.web.programs.models import Application, Event, IssuedCertificate, ProgramTerm, RegistrationException
from menkan.web.programs.selectors import (
    RegistrationEntry,
    application_week,
    application_weeks,
    application_weeks_dates,
    exception_open,
    live_registration,
    may_grant_exception,
    may_review,
    program_get,
    program_nodes,
    registration_code,
    registration_deadline,
    registrations_of,
    review_steps,
    step_judges,
    term_current,
    window_next,
    window_open,
)
from menkan.web.records.api import (
    ExceptionRefused,
    Institution,
    Student,
    calendar,
    exception_record_judgement,
    student_document,
    student_programs_save,
)


class ProgramError(Exception):
    """A request the rules refuse; the message (translated) says why, for the person who asked."""


class StaleStep(ProgramError):
    """The application is no longer at the step the reviewer's form showed (someone acted first)."""


def _today() -> date:
    return calendar.today()


def _day(value: date) -> str:
    return date_format(value, "Y-m-d")


# --------------------------------------------------------------------------------------------------- calendar


def program_term_save(
    institution: Institution,
    term: str,
    *,
    semester_starts: date,
    add_drop_ends: date,
    registration_opens: date,
    registration_closes: date,
) -> ProgramTerm:
    """Create or change a term's dates (the registrar's page and the demo); the dates are checked for order."""
    text = str(Term.parse(term))
    if registration_opens > registration_closes:
        raise ProgramError(_("The registration window must open before it closes."))
    if add_drop_ends < semester_starts:
        raise ProgramError(_("The add/drop week cannot end before the semester starts."))
    saved, _created = ProgramTerm.objects.update_or_create(
        institution=institution,
        term=text,
        defaults={
            "semester_starts": semester_starts,
            "add_drop_ends": add_drop_ends,
            "registration_opens": registration_opens,
            "registration_closes": registration_closes,
        },
    )
    return saved


# --------------------------------------------------------------------------------------------------- registration


def registration_check(student: Student, program: str, today: date) -> tuple[ProgramTerm, RegistrationException | None]:
    """The term whose window takes this registration now, and the exception that allows it if it is late; or
    ProgramError saying why not."""
    found = program_get(student.institution, program)
    if found is None or found.node is None:
        raise ProgramError(_("There is no micro-program %(code)s.") % {"code": program})
    if live_registration(student, program) is not None:
        raise ProgramError(_("You are already registered in %(code)s.") % {"code": program})
    window = window_open(student.institution, today)
    if window is None:
        upcoming = window_next(student.institution, today)
        if upcoming is None:
            raise ProgramError(_("Registration is closed: no registration window is open now."))
        raise ProgramError(
            _("Registration is closed: the next window is %(opens)s to %(closes)s (%(term)s).")
            % {
                "opens": _day(upcoming.registration_opens),
                "closes": _day(upcoming.registration_closes),
                "term": upcoming.term,
            }
        )
    deadline = registration_deadline(student, found)
    allowed = None
    if deadline is not None and deadline.passed(Term.parse(window.term), today):
        allowed = exception_open(student, program)
        if allowed is None:
            rule = deadline.text.get("en") if (get_language() or "").startswith("en") else deadline.text.get("zh-TW")
            last = _day(deadline.last_day) if deadline.last_day is not None else str(deadline.term)
            raise ProgramError(
                _(
                    "Too late to register in %(code)s: the latest point was %(last)s, the add/drop week of "
                    "%(term)s (“%(rule)s”). Only with an exception recorded by the program contact or head or the "
                    "registrar."
                )
                % {"code": program, "last": last, "term": str(deadline.term), "rule": rule}
            )
    if not _eligible(student, found.full_id):
        raise ProgramError(_("You are not eligible for %(code)s (see its rules).") % {"code": program})
    return window, allowed


def _eligible(student: Student, full_id: str) -> bool:
    """Whether the program's eligibility admits the student, as the engine judges it (nothing is stored)."""
    from menkan.web.programs.selectors import student_progress

    return any(row.program.full_id == full_id and row.eligible for row in student_progress(student).rows)


def _person(user: User | None) -> str:
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()


@transaction.atomic
def registration_create(
    student: Student, program: str, *, user: User | None, today: date | None = None
) -> RegistrationEntry:
    """Register the student in a program in the open window (登記修讀), in their record's `programs` (the one
    store of registrations; imports write the same). A live registration in another program (without a
    certificate) makes this a change: the old one is withdrawn in this term. After the latest point, only with
    an exception staff recorded: the registration then carries it (reason, who, when) for the audit to show.
    Courses taken before registering count (the audit reads the whole transcript)."""
    today = today or _today()
    student = Student.objects.select_for_update().get(pk=student.pk)  # one change at a time per student
    window, allowed = registration_check(student, program, today)
    certified = set(
        Application.objects.filter(student=student, state=Application.State.ISSUED).values_list("program", flat=True)
    )
    entries = []
    for registration in registrations_of(student):
        if registration.active and registration.program not in certified:
            if Application.objects.filter(student=student, program=registration.program, state="review").exists():
                raise ProgramError(
                    _("Your application for %(code)s is under review: it must be decided before you change program.")
                    % {"code": registration.program}
                )
            registration = replace(registration, withdrawn_term=window.term)
        entries.append(registration)
    found = program_get(student.institution, program)
    code = registration_code(found) if found is not None else program
    exception = None
    if allowed is not None:
        exception = {
            "id": f"program-exception-{allowed.pk}",
            "reason": allowed.reason,
            "approved_by": _person(allowed.granted_by),
            "approved_on": timezone.localdate(allowed.granted_at).isoformat(),
        }
        allowed.used_term = window.term
        allowed.save(update_fields=["used_term"])
    created = RegistrationEntry(code, window.term, exception=exception)
    student_programs_save(student, [entry.as_record() for entry in [*entries, created]])
    return created


def registration_exception_grant(
    user: User, institution: Institution, student_id: str, program: str, reason: str
) -> RegistrationException:
    """Staff allow a student's late registration in a program (the program's contact or head, or the registrar),
    with the reason; who and when are kept. The student then registers in an open window as usual."""
    if not may_grant_exception(user, institution, program):
        raise PermissionDenied(_("Only the program's contact or head, or the registrar, may allow an exception."))
    reason = reason.strip()
    if not reason:
        raise ProgramError(_("Say why: an exception needs a reason."))
    student = Student.objects.filter(institution=institution, student_id=student_id.strip()).first()
    if student is None:
        raise ProgramError(_("There is no student %(id)s.") % {"id": student_id})
    if live_registration(student, program) is not None:
        raise ProgramError(_("%(id)s is already registered in %(code)s.") % {"id": student_id, "code": program})
    if exception_open(student, program) is not None:
        raise ProgramError(
            _("An exception for %(id)s in %(code)s is waiting already.") % {"id": student_id, "code": program}
        )
    return RegistrationException.objects.create(student=student, program=program, reason=reason, granted_by=user)


# --------------------------------------------------------------------------------------------------- applications


def _application_term(student: Student, today: date) -> ProgramTerm:
    weeks = application_weeks(student.institution)
    if weeks is None:
        raise ProgramError(_("This institution takes no micro-program certificate applications."))
    first, last = weeks
    term = term_current(student.institution, today)
    if term is None:
        raise ProgramError(
            _("Applications are taken in weeks %(first)s–%(last)s of a semester; no semester is under way.")
            % {"first": first, "last": last}
        )
    week = application_week(term, today)
    if not first <= week <= last:
        starts, ends = application_weeks_dates(term, weeks)
        shown = {"first": first, "last": last, "term": term.term, "starts": _day(starts), "ends": _day(ends)}
        raise ProgramError(
            _(
                "Applications are taken in weeks %(first)s–%(last)s of the semester (%(term)s: %(starts)s to "
                "%(ends)s); today is in week %(week)s."
            )
            % {**shown, "week": week}
        )
    return term


def audit_as_of(student: Student, term: str) -> dict[str, Any]:
    """The student's audit as of `term` (or the last term of their record, if later), as a `menkan.audit/1`
    document. A registration made this term counts only in an audit as of this term, and a record may end
    with the last graded term, so the stored audit (as of the record's last term) may not show it yet."""
    from menkan.engine import latest_term, student_from_dict

    version = policy_current(student.institution)
    if version is None:
        raise ProgramError(_("No policy is published for your institution."))
    try:
        record = student_from_dict(student_document(student), source=f"student {student.student_id}")
    except InputError as exc:
        raise ProgramError(_("Your record could not be audited; ask the registrar.")) from exc
    as_of = max(latest_term(record), Term.parse(term))
    return runtime_of(version).audit(record, as_of=as_of).as_dict()


# The parts of a program a review step judges rather than the audit: the cross-domain rule (若仍有學生修習跨領域
# 專業課程認定疑慮，則轉由學生所屬系/班之教學單位審核). An application unmet only there is taken, for the judgement.
JUDGED_PARTS = ("cross-domain",)
JUDGEMENT_KINDS = ("recognise", "exclude")


def awaits_judgement(node: dict[str, Any]) -> bool:
    """Is the program node not met only in parts a review step judges (JUDGED_PARTS)?"""
    unmet = {str(child.get("id", "")) for child in node.get("children", []) if child.get("status") != "met"}
    judged = {f"{node.get('id')}.{part}" for part in JUDGED_PARTS}
    return bool(unmet) and unmet <= judged


def _met_audit(student: Student, program: str, term: str) -> dict[str, Any]:
    """The student's audit, which must show the program met (or met but for the parts a review step judges);
    ProgramError says what is missing."""
    document = audit_as_of(student, term)
    found = program_get(student.institution, program)
    node = program_nodes(document).get(found.full_id) if found is not None else None
    if node is None:
        raise ProgramError(_("Your audit has no result for %(code)s.") % {"code": program})
    if node.get("status") != "met" and not awaits_judgement(node):
        missing = node.get("missing") or {}
        lang_missing = missing.get("en") if (get_language() or "").startswith("en") else missing.get("zh-TW")
        raise ProgramError(
            _("%(code)s is not met yet: %(missing)s") % {"code": program, "missing": lang_missing or node["status"]}
        )
    return document


@transaction.atomic
def application_submit(student: Student, program: str, *, user: User | None, today: date | None = None) -> Application:
    """File a certificate application in the application weeks, with the audit that shows the program met attached."""
    today = today or _today()
    student = Student.objects.select_for_update().get(pk=student.pk)  # one filing at a time per student
    if live_registration(student, program) is None:
        raise ProgramError(_("You are not registered in %(code)s: register first.") % {"code": program})
    existing = Application.objects.filter(student=student, program=program).exclude(state="rejected").first()
    if existing is not None:
        if existing.state == Application.State.ISSUED:
            raise ProgramError(_("Your certificate for %(code)s has been issued already.") % {"code": program})
        raise ProgramError(_("You have an application for %(code)s already.") % {"code": program})
    term = _application_term(student, today)
    document = _met_audit(student, program, term.term)
    application = Application.objects.create(student=student, program=program, term=term.term, audit=document)
    Event.objects.create(application=application, action=Event.Action.SUBMIT, actor=user)
    return application


@transaction.atomic
def application_resubmit(application: Application, *, user: User | None) -> Application:
    """A returned application goes back to step 1 with a fresh audit (the record may have changed since).
    It was filed in the application weeks already, so resubmitting is not bound to them."""
    application = Application.objects.select_for_update().select_related("student__institution").get(pk=application.pk)
    if application.state != Application.State.RETURNED:
        raise ProgramError(_("Only a returned application can be resubmitted."))
    application.audit = _met_audit(application.student, application.program, application.term)
    application.state = Application.State.REVIEW
    application.step = 1
    application.save(update_fields=["audit", "state", "step", "updated_at"])
    Event.objects.create(application=application, action=Event.Action.RESUBMIT, actor=user)
    return application


DECISIONS = ("approve", "return", "reject")


def application_decide(
    application_pk: int, *, user: User, expected_step: int, decision: str, reason: str = ""
) -> Application:
    """One reviewer's decision at the application's current step of the policy's review steps: approve (on to the
    next step; after the last, the certificate is issued), return to the student, or reject (final). Return and
    reject need a reason.

    The application row is locked for the decision, and `expected_step` (the step the reviewer's form showed)
    must still be the current one: two reviewers acting at once make one decision, the other is told it moved
    on (StaleStep), and no application is approved twice or issued two certificates."""
    if decision not in DECISIONS:
        raise ProgramError(_("Unknown decision."))
    reason = reason.strip()
    if decision in ("return", "reject") and not reason:
        raise ProgramError(_("Say why: a return or a rejection needs a reason."))
    with transaction.atomic():
        application = (
            Application.objects.select_for_update().select_related("student__institution").get(pk=application_pk)
        )
        if application.state != Application.State.REVIEW or application.step != expected_step:
            raise StaleStep(
                _(
                    "This application has moved on since your page was shown (now: %(state)s, step %(step)s); "
                    "nothing was changed."
                )
                % {"state": application.get_state_display(), "step": application.step}
            )
        steps = review_steps(application.student.institution)
        if not may_review(user, application, application.step):
            current = steps[application.step - 1].title if application.step <= len(steps) else None
            label = (current.en if (get_language() or "").startswith("en") else current.zh_tw) if current else "-"
            raise PermissionDenied(
                _("Step %(step)s (%(label)s) is not yours to decide.") % {"step": application.step, "label": label}
            )
        action = {"approve": Event.Action.APPROVE, "return": Event.Action.RETURN, "reject": Event.Action.REJECT}
        Event.objects.create(
            application=application, step=application.step, action=action[decision], actor=user, reason=reason
        )
        if decision == "return":
            application.state = Application.State.RETURNED
        elif decision == "reject":
            application.state = Application.State.REJECTED
        elif application.step < len(steps):
            application.step += 1
        else:
            node = application.program_result  # filed with it (submit checks); a judgement may still be awaited
            if node is not None and node.get("status") != "met":
                raise ProgramError(
                    _("The attached audit does not show %(code)s met: record the judgement it awaits first.")
                    % {"code": application.program}
                )
            application.state = Application.State.ISSUED
            _certificate_issue(application, user)
        application.save(update_fields=["state", "step", "updated_at"])
        return application


def application_judgement_record(
    application_pk: int, *, user: User, expected_step: int, fields: dict[str, Any]
) -> Application:
    """The reviewer at a judging step (the program contact at step 1, the student's department officer at step 3)
    records a judgement on a course as an exception of the student's record: `recognise` (e.g. `as: cross-domain`)
    or `exclude`, for the program or one of its parts. It is approved as it is recorded (the step is the
    decision), so the audit, the certificate and every later audit reflect it; the attached audit is refreshed.
    Under the application's row lock, at the step the reviewer's form showed (StaleStep otherwise)."""
    if fields.get("kind") not in JUDGEMENT_KINDS:
        raise ProgramError(_("A review step records a recognition or an exclusion."))
    with transaction.atomic():
        application = (
            Application.objects.select_for_update().select_related("student__institution").get(pk=application_pk)
        )
        if application.state != Application.State.REVIEW or application.step != expected_step:
            raise StaleStep(_("This application has moved on since your page was shown; nothing was changed."))
        if not step_judges(application) or not may_review(user, application, application.step):
            raise PermissionDenied(_("Step %(step)s records no judgement of yours.") % {"step": application.step})
        found = program_get(application.student.institution, application.program)
        requirement = str(fields.get("requirement") or "")
        if found is None or not (requirement == found.full_id or requirement.startswith(found.full_id + ".")):
            raise ProgramError(_("A judgement here is about %(code)s only.") % {"code": application.program})
        try:
            exception = exception_record_judgement(user, application.student, fields)
        except ExceptionRefused as refused:
            raise ProgramError(str(refused)) from refused
        application.audit = audit_as_of(application.student, application.term)
        application.save(update_fields=["audit", "updated_at"])
        said = f"{exception.record_id} {exception.get_kind_display()} {exception.course} {exception.recognised_as}"
        Event.objects.create(
            application=application,
            step=application.step,
            action=Event.Action.JUDGE,
            actor=user,
            reason=f"{' '.join(said.split())}: {exception.reason}",
        )
        return application


def verification_code() -> str:
    """A random, unguessable code (128 bits) for the public verification page."""
    return secrets.token_urlsafe(16)


def _certificate_issue(application: Application, user: User) -> IssuedCertificate:
    found = program_get(application.student.institution, application.program)
    title = found.title if found is not None else {"zh-TW": application.program, "en": application.program}
    certificate = IssuedCertificate.objects.create(
        application=application,
        code=verification_code(),
        student_name=application.student.name or application.student.student_id,
        program_name=title.get("zh-TW", application.program),
        program_name_en=title.get("en", ""),
        issued_on=_today(),
    )
    Event.objects.create(application=application, action=Event.Action.ISSUE, actor=user)
    return certificate
