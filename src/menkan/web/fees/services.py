"""Writes of fees: a term's add/drop close date, starting a fee run (refused before add/drop closes), computing it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from menkan.engine import FeeStatement, InputError, Term, fee_statement
from menkan.web.dispatch import task_delay
from menkan.web.errors import input_error_text
from menkan.web.fees.models import FeeLine, FeeRun, FeeTerm
from menkan.web.fees.selectors import add_drop_closed, fee_policy_of, policy_version_current
from menkan.web.records.api import CourseRecord, Institution, Student, engine_inputs

CHUNK = 500
MAX_ERRORS = 200
# The explanation that says what kind of bill it is (the add/drop basis is on every statement).
_BASIS = "add-drop"


class FeeRunRefused(Exception):
    """A fee run that may not start now; the message (in the active language) says why."""


def _user_or_none(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def fee_term_set(institution: Institution, term: str, add_drop_ends: datetime.date, *, user: Any = None) -> FeeTerm:
    """Set (or change) the last day of a term's add/drop period. ValueError if `term` is not a term."""
    canonical = str(Term.parse(term))
    fee_term, _created = FeeTerm.objects.update_or_create(
        institution=institution,
        term=canonical,
        defaults={"add_drop_ends": add_drop_ends, "updated_by": _user_or_none(user)},
    )
    return fee_term


def fee_run_check(institution: Institution, term: str, today: datetime.date | None = None) -> str:
    """Why a fee run of `term` may not start now ("" when it may)."""
    try:
        canonical = str(Term.parse(term))
    except ValueError:
        return _("Not a term: write it as 114-1, 114-2 or 114-S.")
    fee_term = FeeTerm.objects.filter(institution=institution, term=canonical).first()
    if fee_term is None:
        return _("The add/drop period of this term has no closing date yet: set it first.")
    if not add_drop_closed(fee_term, today):
        return _("The add/drop period of this term ends on %(date)s: credit fees are computed after it closes.") % {
            "date": fee_term.add_drop_ends.isoformat()
        }
    version = policy_version_current(institution)
    if version is None:
        return _("No policy has been published for this institution.")
    try:
        if fee_policy_of(version) is None:
            return _("The institution's published policy has no fee schedules.")
    except InputError as exc:
        return input_error_text(exc)
    if FeeRun.objects.filter(
        institution=institution, term=canonical, state__in=(FeeRun.State.QUEUED, FeeRun.State.RUNNING)
    ).exists():
        return _("A fee run of this term is still in progress.")
    return ""


def fee_run_start(
    institution: Institution, term: str, *, user: Any = None, note: str = "", today: datetime.date | None = None
) -> FeeRun:
    """Start the term's fee run (a Celery task; eager without a broker, so then it is done on return).

    Raises FeeRunRefused with the reason when the add/drop period has not closed (or no fee policy applies).
    Earlier runs of the term are kept: the new one is compared with the last of them."""
    with transaction.atomic():
        # one start at a time per institution and term (the check for a run in progress must see the others)
        list(Institution.objects.select_for_update().filter(pk=institution.pk))
        reason = fee_run_check(institution, term, today)
        if reason:
            raise FeeRunRefused(reason)
        run = FeeRun.objects.create(
            institution=institution,
            term=str(Term.parse(term)),
            policy_version=policy_version_current(institution),
            started_by=_user_or_none(user),
            note=note[:256],
        )
    task_delay("menkan.fee_run", run.pk)
    run.refresh_from_db()
    return run


def _students_of_term(institution: Institution, term: str) -> list[int]:
    """The students with courses of the term (transferred credits aside) or an enrollment status for it."""
    pks = set(
        CourseRecord.objects.filter(student__institution=institution, term=term, transfer=False)
        .values_list("student_id", flat=True)
        .distinct()
    )
    for pk, standing in (
        Student.objects.filter(institution=institution).exclude(standing={}).values_list("pk", "standing")
    ):
        entries = (standing or {}).get("enrollment", []) if isinstance(standing, dict) else []
        if any(isinstance(e, dict) and str(e.get("term")) == term for e in entries):
            pks.add(pk)
    return sorted(pks)


def main_explanation(statement: FeeStatement) -> str:
    codes = [e.code for e in statement.explanations if e.code != _BASIS]
    return codes[0] if codes else _BASIS


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fee_run_execute(run_pk: int) -> FeeRun:
    """Compute every student's statement of the run's term and store one line per student a schedule applies to.

    Students no schedule applies to (e.g. undergraduates in their regular study period) get no line: they
    have no credit-fee bill. A student whose stored record does not validate is counted as failed, with the
    reason, and the run goes on."""
    run = FeeRun.objects.select_related("institution", "policy_version").get(pk=run_pk)
    if run.state not in (FeeRun.State.QUEUED, FeeRun.State.RUNNING):
        return run  # a task delivered twice does not compute the run twice
    FeeRun.objects.filter(pk=run.pk).update(state=FeeRun.State.RUNNING)
    try:
        if run.policy_version is None:
            raise FeeRunRefused("the run has no policy version")
        fee_policy = fee_policy_of(run.policy_version)
        if fee_policy is None:
            raise FeeRunRefused("the policy version has no fee schedules")
        term = Term.parse(run.term)
        pks = _students_of_term(run.institution, run.term)
        names = dict(Student.objects.filter(pk__in=pks).values_list("pk", "name"))
        total, billed, failed = Decimal(0), 0, 0
        errors: list[dict[str, str]] = []
        for chunk in _chunks(pks, CHUNK):
            lines = []
            for item in engine_inputs(chunk):
                try:
                    statement = fee_statement(item.record(), fee_policy, term)
                except InputError as exc:
                    failed += 1
                    if len(errors) < MAX_ERRORS:
                        errors.append({"student_id": item.student_id, "reason": exc.first_line})
                    continue
                if statement.schedule is None:
                    continue
                lines.append(
                    FeeLine(
                        run=run,
                        student_id=item.pk,
                        student_code=item.student_id,
                        name=names.get(item.pk, ""),
                        schedule=statement.schedule,
                        amount=statement.total,
                        enrolled_credits=statement.enrolled_credits,
                        billed_credits=statement.billed_credits,
                        exempt_credits=statement.exempt_credits,
                        explanation=main_explanation(statement),
                        statement=statement.as_dict(),
                    )
                )
                total += statement.total
            FeeLine.objects.bulk_create(lines)
            billed += len(lines)
        FeeRun.objects.filter(pk=run.pk).update(
            state=FeeRun.State.DONE,
            considered=len(pks),
            billed_students=billed,
            failed=failed,
            errors=errors,
            total_amount=total,
            finished_at=timezone.now(),
        )
    except Exception as exc:
        FeeRun.objects.filter(pk=run.pk).update(
            state=FeeRun.State.FAILED, errors=[{"student_id": "", "reason": str(exc)[:500]}], finished_at=timezone.now()
        )
        if not isinstance(exc, FeeRunRefused | InputError):
            raise
    run.refresh_from_db()
    return run
