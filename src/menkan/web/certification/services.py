"""Writes for graduation certification: opening a review (candidates in their final study year), a student applying,
and the decisions of the department officer, the department head and the registrar (one decision per step however
many act at once), ending in the frozen certification."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from menkan.engine import Term
from menkan.web.accounts.api import User, is_registrar
from menkan.web.certification.models import Candidate, Certification, Decision, Review, Step
from menkan.web.certification.selectors import ACTING_STEP, final_year_students, live_audit, may_act
from menkan.web.records.api import Institution, Student


class CertificationError(Exception):
    """A request the rules refuse; the message (translated) says why, for the person who asked."""


class StaleStep(CertificationError):
    """The candidate is no longer at the step the form showed (someone acted first)."""


class NotYourStep(PermissionDenied):
    """The person asking does not decide the candidate's current step (another role or another department)."""


def review_open(user: User, institution: Institution, term: str) -> Review:
    """The registrar opens the graduation review of a term; the students in their final study year are listed."""
    if not is_registrar(user, institution.pk):
        raise NotYourStep(
            _("Only the registrar of %(institution)s opens its graduation reviews.") % {"institution": institution.code}
        )
    try:
        text = str(Term.parse(term.strip()))
    except ValueError as exc:
        raise CertificationError(_("Terms are like 114-2.")) from exc
    with transaction.atomic():
        if Review.objects.filter(institution=institution, term=text).exists():
            raise CertificationError(_("The review of %(term)s is open already.") % {"term": text})
        if Review.objects.filter(institution=institution, status=Review.Status.OPEN).exists():
            raise CertificationError(_("Another review is still open: close it first."))
        try:
            with transaction.atomic():
                review = Review.objects.create(institution=institution, term=text, opened_by=user)
        except IntegrityError as exc:
            raise CertificationError(_("The review of %(term)s is open already.") % {"term": text}) from exc
        for student in final_year_students(institution, text):
            candidate = Candidate.objects.create(review=review, student=student, source=Candidate.Source.FINAL_YEAR)
            Decision.objects.create(candidate=candidate, step=Step.OFFICER, action=Decision.Action.LISTED, actor=user)
    return review


def review_close(user: User, review: Review) -> Review:
    """The registrar closes a review: candidates still waiting stay as they are, and no one applies any more."""
    if not is_registrar(user, review.institution_id):
        raise NotYourStep(_("Only the registrar closes a graduation review."))
    Review.objects.filter(pk=review.pk).update(status=Review.Status.CLOSED)
    review.refresh_from_db()
    return review


@transaction.atomic
def candidate_apply(student: Student, *, user: User) -> Candidate:
    """A student asks to be reviewed in the open review of their institution (when not listed already)."""
    if student.user_id is None or student.user_id != user.pk:
        raise NotYourStep(_("Only the student applies for their own graduation review."))
    review = Review.objects.select_for_update().filter(institution_id=student.institution_id, status="open").first()
    if review is None:
        raise CertificationError(_("No graduation review is open now."))
    if Certification.objects.filter(student=student).exists():
        raise CertificationError(_("You have been certified already."))
    if Candidate.objects.filter(review=review, student=student).exists():
        raise CertificationError(_("You are a candidate of this review already."))
    candidate = Candidate.objects.create(review=review, student=student, source=Candidate.Source.APPLIED)
    Decision.objects.create(candidate=candidate, step=Step.OFFICER, action=Decision.Action.APPLIED, actor=user)
    return candidate


DECISIONS = ("approve", "return")
NEXT_STEP = {Step.OFFICER: Step.HEAD, Step.RETURNED: Step.HEAD, Step.HEAD: Step.REGISTRAR}


def _refusal(candidate: Candidate) -> str:
    """Why the person asking may not decide: who does decide the candidate's current step."""
    acting = ACTING_STEP[Step(candidate.step)]
    if acting == Step.REGISTRAR:
        return _("This candidate is at the registrar's step: only the registrar of %(institution)s certifies.") % {
            "institution": candidate.student.institution.code
        }
    shown = {"step": Step(candidate.step).label, "role": Step(acting).label, "department": candidate.student.department}
    return _("This candidate is at the %(step)s step: only the %(role)s of %(department)s decides it.") % shown


def candidate_decide(
    candidate_pk: int, *, user: User, expected_step: str, decision: str, reason: str = ""
) -> Candidate:
    """One decision at the candidate's current step, with the live audit attached: the department officer and head
    approve (on to the next step), the registrar certifies (approve: the certification is frozen); anyone of them
    may return the candidate with a reason. The registrar's certification is refused while the live audit is not
    met (approved exceptions are in the record, so the audit is met when they make it so).

    The candidate's row is locked for the decision, and `expected_step` (the step the form showed) must still be
    the current one: two people acting at once make one decision, the other is told it moved on (StaleStep).
    A person who does not decide the step is refused (NotYourStep) and nothing is written."""
    if decision not in DECISIONS:
        raise CertificationError(_("Unknown decision."))
    reason = reason.strip()
    if decision == "return" and not reason:
        raise CertificationError(_("Say why: a return needs a reason."))
    with transaction.atomic():
        candidate = (
            Candidate.objects.select_for_update(of=("self",))
            .select_related("review", "student__institution", "student__department")
            .get(pk=candidate_pk)
        )
        if candidate.step != expected_step or candidate.step == Step.CERTIFIED:
            raise StaleStep(
                _("This candidate has moved on since your page was shown (now: %(step)s); nothing was changed.")
                % {"step": Step(candidate.step).label}
            )
        if not may_act(user, candidate, candidate.step):
            raise NotYourStep(_refusal(candidate))
        if candidate.review.status != Review.Status.OPEN:
            raise CertificationError(_("This review is closed."))
        if candidate.step == Step.RETURNED and decision == "return":
            raise CertificationError(_("This candidate has been returned already."))
        live = live_audit(candidate.student, candidate.review.term)
        if live.document is None:
            raise CertificationError(_("The student's record could not be audited; nothing was changed."))
        acting = ACTING_STEP[candidate.step]
        if decision == "return":
            action, after = Decision.Action.RETURN, Step.RETURNED
        elif acting == Step.REGISTRAR:
            if live.status != "met":
                raise CertificationError(
                    _(
                        "Not certified: the audit is %(status)s. A candidate whose requirements are not met is "
                        "certified only with an approved exception that makes them met."
                    )
                    % {"status": live.status}
                )
            action, after = Decision.Action.CERTIFY, Step.CERTIFIED
        else:
            action, after = Decision.Action.APPROVE, NEXT_STEP[Step(candidate.step)]
        Decision.objects.create(
            candidate=candidate, step=acting, action=action, actor=user, reason=reason, audit=live.document
        )
        if after == Step.CERTIFIED:
            assert live.policy_version is not None
            Certification.objects.create(
                candidate=candidate,
                student=candidate.student,
                audit=live.document,
                audit_status=live.status,
                policy_version=live.policy_version,
                policy_checksum=live.policy_version.checksum,
                records_hash=live.records_hash,
                exceptions_hash=live.exceptions_hash,
                student_name=candidate.student.name,
                department_code=candidate.student.department.code,
                certified_by=user,
            )
        candidate.step = after
        candidate.audit = live.document
        candidate.save(update_fields=["step", "audit", "updated_at"])
        return candidate
