"""What records asks of the apps above it without importing them: set by those apps' `ready()`, sent from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

from menkan.engine import PolicySet, Runtime, Term
from menkan.web.records.models import Institution, Student

# Sent (with `student_pk`) when a student or any of their records is saved or deleted; audits re-audits on it.
student_records_changed = Signal()

PolicySource = Callable[[Institution], PolicySet | None]
RuntimeSource = Callable[[Institution], Runtime | None]
TermStartsSource = Callable[[Institution], dict[Term, dt.date]]
AuditSource = Callable[[Student], dict[str, Any] | None]
# (student, person asking) -> the link's (address, label, element id), or None where the app has none for them.
StudentLink = Callable[[Student, Any], tuple[str, str, str] | None]

_policy_source: list[PolicySource] = []
_runtime_source: list[RuntimeSource] = []
_term_starts_sources: list[TermStartsSource] = []
_audit_source: list[AuditSource] = []
_student_links: list[StudentLink] = []


def policy_source_set(source: PolicySource) -> None:
    """Name where the institution's current policy set is read (audits keeps the published versions)."""
    _policy_source[:] = [source]


def policy_set_current(institution: Institution) -> PolicySet | None:
    """The institution's current policy set, None when it has none published (or nobody keeps policies)."""
    return _policy_source[0](institution) if _policy_source else None


def runtime_source_set(source: RuntimeSource) -> None:
    """Name where the institution's current policies are read compiled (audits compiles each version once)."""
    _runtime_source[:] = [source]


def runtime_current(institution: Institution) -> Runtime | None:
    """The institution's current policies compiled for auditing, None when it has none published."""
    return _runtime_source[0](institution) if _runtime_source else None


def term_starts_source_add(source: TermStartsSource) -> None:
    """Add a calendar of semester starts kept by another app (programs: the registrar's micro-program calendar);
    the calendars added later override the earlier ones and the policy's `workflows.calendar`."""
    if source not in _term_starts_sources:
        _term_starts_sources.append(source)


def term_starts_kept(institution: Institution) -> dict[Term, dt.date]:
    """The semester starts every added calendar keeps for the institution, later calendars overriding."""
    starts: dict[Term, dt.date] = {}
    for source in _term_starts_sources:
        starts.update(source(institution))
    return starts


def audit_source_set(source: AuditSource) -> None:
    """Name where a student's audit document is read, refreshed first if stale (audits keeps the audits)."""
    _audit_source[:] = [source]


def audit_document_fresh(student: Student) -> dict[str, Any] | None:
    """The student's audit document for their home page (None before one can be made, or nobody audits)."""
    return _audit_source[0](student) if _audit_source else None


def student_link_add(link: StudentLink) -> None:
    """Add a link to the student's page from an app above records (plans: the student's study plan); the links
    are shown in the order the apps are installed."""
    if link not in _student_links:
        _student_links.append(link)


def student_links(student: Student, user: Any) -> list[tuple[str, str, str]]:
    """The links the apps above records give the student's page for `user`: (address, label, element id)."""
    return [found for link in _student_links if (found := link(student, user)) is not None]
