"""Reads of fees: the current fee policy, a student's statement and terms, fee runs and the differences between them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import FeePolicy, FeeStatement, InputError, Term, fee_policy_from, fee_statement
from menkan.web.accounts.api import User, is_registrar
from menkan.web.audits.api import PolicyVersion, policy_set_of
from menkan.web.errors import input_error_text
from menkan.web.fees.models import FeeLine, FeeRun, FeeTerm
from menkan.web.records.api import CourseRecord, Institution, Student, calendar, engine_students

# by checksum: the same files give the same schedules (primary keys are reused when tests roll back)
_FEE_POLICIES: dict[str, FeePolicy | None] = {}


def fee_policy_of(version: PolicyVersion) -> FeePolicy | None:
    """The fee schedules of a published policy version (None when it has none); loaded once per process.

    Done as `menkan fees --policies` does it: the version's policy set, then its institution's `workflows.fees`."""
    if version.checksum not in _FEE_POLICIES:
        policy_set = policy_set_of(version)
        if policy_set.institution.workflows.fees is None:
            _FEE_POLICIES[version.checksum] = None
        else:
            _FEE_POLICIES[version.checksum] = fee_policy_from(policy_set)
    return _FEE_POLICIES[version.checksum]


def policy_version_current(institution: Institution) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(institution=institution, is_current=True).first()


def fee_policy_current(institution: Institution) -> tuple[PolicyVersion | None, FeePolicy | None]:
    """The institution's current published policy version and its fee schedules (either may be None)."""
    version = policy_version_current(institution)
    return version, (fee_policy_of(version) if version is not None else None)


def institution_has_fees(institution: Institution) -> bool:
    try:
        return fee_policy_current(institution)[1] is not None
    except InputError:
        return True  # broken fee data: the fee page says so, rather than the link disappearing


def _term_key(text: str) -> tuple[int, Any]:
    try:
        return (1, Term.parse(text))
    except ValueError:
        return (0, text)


def terms_sorted(terms: set[str]) -> list[str]:
    """Terms, latest first (anything that is not a term last)."""
    return sorted(terms, key=_term_key, reverse=True)


def student_fee_terms(student: Student) -> list[str]:
    """The terms the student has enrolments in (courses of the term, or a status for it), latest first."""
    terms = set(student.courses.filter(transfer=False).values_list("term", flat=True).distinct())
    for entry in (student.standing or {}).get("enrollment", []):
        if isinstance(entry, dict) and entry.get("term"):
            terms.add(str(entry["term"]))
    return terms_sorted(terms)


@dataclass(frozen=True)
class StudentFees:
    """What the student fee page shows: the statement, or why there is none."""

    statement: FeeStatement | None
    problem: str = ""  # "no-policy", "no-fees", or an InputError's first line


def student_fee_statement(student: Student, term: Term) -> StudentFees:
    """The student's credit-fee statement for `term` under the current published policy."""
    try:
        _, fee_policy = fee_policy_current(student.institution)
    except InputError as exc:
        return StudentFees(None, input_error_text(exc))
    if fee_policy is None:
        return StudentFees(None, "no-fees")
    try:
        (_, record), *_ = engine_students([student])
        return StudentFees(fee_statement(record, fee_policy, term))
    except InputError as exc:
        return StudentFees(None, input_error_text(exc))


# --- fee runs ------------------------------------------------------------------------------------------------


def fee_run_get_for(user: User, run_id: int) -> FeeRun:
    run = get_object_or_404(FeeRun.objects.select_related("institution", "policy_version", "started_by"), pk=run_id)
    if not is_registrar(user, run.institution_id):
        raise PermissionDenied("not your institution")
    return run


def fee_runs_of(institution: Institution) -> QuerySet[FeeRun]:
    return FeeRun.objects.filter(institution=institution).select_related("started_by").order_by("-pk")


def fee_terms_of(institution: Institution) -> QuerySet[FeeTerm]:
    return FeeTerm.objects.filter(institution=institution)


def add_drop_closed(fee_term: FeeTerm | None, today: datetime.date | None = None) -> bool:
    """Whether the add/drop period is over: its last day has passed (in the portal's time zone)."""
    if fee_term is None:
        return False
    return (today or calendar.today()) > fee_term.add_drop_ends


def fee_terms_with_state(institution: Institution) -> list[tuple[FeeTerm, bool]]:
    """The institution's add/drop settings, latest term first, each with whether its add/drop has closed."""
    fee_terms = {ft.term: ft for ft in fee_terms_of(institution)}
    return [(fee_terms[t], add_drop_closed(fee_terms[t])) for t in terms_sorted(set(fee_terms))]


def institution_terms(institution: Institution) -> list[str]:
    """Terms a fee run could be for: those of the institution's course records and of its add/drop settings."""
    terms = set(
        CourseRecord.objects.filter(student__institution=institution, transfer=False)
        .values_list("term", flat=True)
        .distinct()
    )
    terms |= set(fee_terms_of(institution).values_list("term", flat=True))
    return terms_sorted(terms)


def fee_run_previous(run: FeeRun) -> FeeRun | None:
    """The finished run of the same institution and term just before this one (what a re-run is compared with)."""
    return (
        FeeRun.objects.filter(institution_id=run.institution_id, term=run.term, state=FeeRun.State.DONE, pk__lt=run.pk)
        .order_by("-pk")
        .first()
    )


def fee_lines_of(run: FeeRun) -> QuerySet[FeeLine]:
    return run.lines.order_by("student_code")


@dataclass(frozen=True)
class LineChange:
    student_code: str
    name: str
    old: Decimal | None
    new: Decimal | None
    old_billed: Decimal | None = None
    new_billed: Decimal | None = None


@dataclass
class FeeRunDiff:
    """How a run differs from the run before it: students added, removed, and with another bill."""

    previous: FeeRun | None
    added: list[LineChange] = field(default_factory=list)
    removed: list[LineChange] = field(default_factory=list)
    changed: list[LineChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def fee_run_diff(run: FeeRun, previous: FeeRun | None = None) -> FeeRunDiff:
    """The differences of `run` to `previous` (by default the finished run of the term before it)."""
    previous = previous if previous is not None else fee_run_previous(run)
    diff = FeeRunDiff(previous)
    if previous is None:
        return diff
    fields = ("student_code", "name", "amount", "billed_credits")
    old = {row[0]: row for row in previous.lines.values_list(*fields)}
    new = {row[0]: row for row in run.lines.values_list(*fields)}
    for code in sorted(new.keys() - old.keys()):
        _, name, amount, billed = new[code]
        diff.added.append(LineChange(code, name, None, amount, None, billed))
    for code in sorted(old.keys() - new.keys()):
        _, name, amount, billed = old[code]
        diff.removed.append(LineChange(code, name, amount, None, billed, None))
    for code in sorted(old.keys() & new.keys()):
        _, _, old_amount, old_billed = old[code]
        _, name, new_amount, new_billed = new[code]
        if old_amount != new_amount or old_billed != new_billed:
            diff.changed.append(LineChange(code, name, old_amount, new_amount, old_billed, new_billed))
    return diff
