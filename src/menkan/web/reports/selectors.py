"""Reads for reports: who may run them, the seniors of a report, their records up to a cut-off date, and the
pass-rate report itself, computed by `menkan.reports` exactly as `menkan report pass-rates` computes it."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from menkan.engine import InputError, PolicySet, Term, student_from_dict
from menkan.engine import Student as EngineStudent
from menkan.reports import PassRateReport, PassRateSpec, audit_pass_rates, pass_rate_spec
from menkan.web.audits.api import AuditResult, policy_current, policy_set_of
from menkan.web.errors import input_error_text
from menkan.web.records.api import Institution, Student, engine_inputs, student_documents, student_study_year

# Students read per batch: engine_inputs and student_documents read a batch in a handful of queries.
CHUNK = 500


class ReportUnavailable(Exception):
    """The report cannot be computed (e.g. the institution has no published policy)."""


def latest_audit_term(institution: Institution) -> Term | None:
    """The latest term the institution's stored audits are as of (a sensible default for a report's term)."""
    terms = []
    for text in AuditResult.objects.filter(student__institution=institution).values_list("as_of", flat=True).distinct():
        try:
            terms.append(Term.parse(text))
        except ValueError:
            continue
    return max(terms, default=None)


# --- the cut-off date ---------------------------------------------------------------------------------------------
#
# A report "as of mid-December" counts what was on record on that date. Activities may carry the date they took
# place; such an activity counts when its date is on or before the cut-off. A record with only a term (a course,
# a certificate, an undated activity) counts when its term had begun by the cut-off: the first semester of ROC
# year Y begins on 1 August of Y + 1911, the second on 1 February of the next year, the summer term on 1 July.


def term_start(term: Term) -> date:
    """The first day of an academic term (ROC year Y: 1st semester 1 Aug, 2nd 1 Feb, summer 1 Jul)."""
    year = term.year + 1911
    if term.semester == "1":
        return date(year, 8, 1)
    return date(year + 1, 2, 1) if term.semester == "2" else date(year + 1, 7, 1)


def _term_of(value: Any) -> Term | None:
    if isinstance(value, Term):
        return value
    try:
        return Term.parse(str(value))
    except ValueError:
        return None  # left for validation to report


def _on_record(record: dict[str, Any], cutoff: date) -> bool:
    dated = record.get("date")
    if dated:
        try:
            return date.fromisoformat(str(dated)) <= cutoff
        except ValueError:
            pass  # a malformed date: judged by its term, as an undated record
    term = _term_of(record.get("term"))
    return term is None or term_start(term) <= cutoff


def document_until(document: dict[str, Any], cutoff: date | None) -> dict[str, Any]:
    """A `menkan.student/1` document with the records not yet on record at `cutoff` left out (None: all)."""
    if cutoff is None:
        return document
    kept = dict(document)
    for block in ("courses", "activities", "certificates"):
        kept[block] = [record for record in document.get(block, []) if _on_record(record, cutoff)]
    return kept


# --- the seniors and the report ----------------------------------------------------------------------------------


def report_policy_set(institution: Institution) -> PolicySet:
    """The policies of the institution's current published version."""
    version = policy_current(institution)
    if version is None:
        raise ReportUnavailable(f"{institution.code} has no published policy")
    return policy_set_of(version)


def report_seniors(institution: Institution, as_of: Term, senior_year: int) -> QuerySet[Student]:
    """The institution's students in their `senior_year`-th study year as of `as_of`, by the engine's one rule
    (`menkan.engine.study_year`: enrolled semesters from admission; leave does not advance the year). The report
    counts only them, so the others need not be read nor audited. Leave only lowers a study year, so only the
    students whose calendar year (as_of year − admission year + admitted_into_year) reaches `senior_year` are
    read. A student whose admission term does not parse is kept (validation reports them)."""
    students = Student.objects.filter(institution=institution)
    scope = Q(pk__in=[])
    pairs = students.values_list("admission_term", "admitted_into_year").distinct()
    for admission, into_year in pairs:
        term = _term_of(admission)
        if term is None or as_of.year - term.year + into_year >= senior_year:
            scope |= Q(admission_term=admission, admitted_into_year=into_year)
    seniors = [
        student.pk
        for student in students.filter(scope).only(
            "pk", "student_id", "admission_term", "admitted_into_year", "standing"
        )
        if student_study_year(student, as_of) in (None, senior_year)
    ]
    return students.filter(pk__in=seniors).order_by("pk")


def _chunks(pks: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(pks), CHUNK):
        yield pks[start : start + CHUNK]


@dataclass
class PassRateOutcome:
    """A computed report, the seniors whose records were read, those left out (and why), and the time taken."""

    report: PassRateReport
    spec: PassRateSpec
    read: int
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (student id, reason)
    seconds: float = 0.0


def _records(
    institution: Institution, as_of: Term, cutoff: date | None, spec: PassRateSpec
) -> tuple[list[EngineStudent], list[tuple[str, str]]]:
    records, excluded = [], []
    pks = list(report_seniors(institution, as_of, spec.senior_year).values_list("pk", flat=True))
    for chunk in _chunks(pks):
        for item in engine_inputs(chunk):
            try:
                document = document_until(item.document, cutoff)
                records.append(student_from_dict(document))
            except InputError as exc:
                excluded.append((item.student_id, input_error_text(exc)))
    return records, excluded


def pass_rate_report(institution: Institution, as_of: Term, cutoff: date | None = None) -> PassRateOutcome:
    """The pass-rate report of the institution's seniors as of `as_of`, counting the records on record at
    `cutoff` (None: every record up to the term), audited against the current published policies by
    `menkan.reports.audit_pass_rates` — the CLI's code. Students whose stored records do not validate are left
    out and listed (the CLI would refuse the whole file). Raises ReportUnavailable, or InputError when an audit
    fails."""
    began = time.perf_counter()
    policy_set = report_policy_set(institution)
    spec = pass_rate_spec(policy_set)
    records, excluded = _records(institution, as_of, cutoff, spec)
    report, _ = audit_pass_rates(records, policy_set, as_of, spec)
    return PassRateOutcome(report, spec, len(records), excluded, time.perf_counter() - began)


def pass_rate_documents(institution: Institution, as_of: Term, cutoff: date | None = None) -> Iterator[dict[str, Any]]:
    """The records the report counts, as `menkan.student/1` documents (a JSONL of them given to
    `menkan report pass-rates` yields the same report): the seniors' records up to the cut-off, without those
    that do not validate (the report leaves them out too)."""
    spec = pass_rate_spec(report_policy_set(institution))
    students = report_seniors(institution, as_of, spec.senior_year).select_related(
        "institution", "department", "school_class"
    )
    pks = list(students.values_list("pk", flat=True))
    for chunk in _chunks(pks):
        for _, document in student_documents(students.filter(pk__in=chunk)):
            kept = document_until(document, cutoff)
            try:
                student_from_dict(kept, source=f"student {document['student_id']}")
            except InputError:
                continue
            yield kept
