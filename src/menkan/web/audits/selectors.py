"""Reads of audits: the stored result to show (kept current), what-if programs, batch runs, policy drafts, versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from menkan.engine import Term, Tiered, walk
from menkan.web.accounts.api import User, registrar_institutions
from menkan.web.audits.models import AuditResult, BatchRun, PolicyDraft, PolicyVersion
from menkan.web.records.api import Student, term_current


def _made_in_another_term(stored: AuditResult) -> bool:
    """Was the result computed in an earlier term than today's, or as of a term that has not begun? (A new
    term changes what "as of now" means, so the result is computed again.)"""
    institution = stored.student.institution
    today_term = term_current(institution)
    try:
        if Term.parse(stored.as_of) > today_term and stored.as_of != stored.student.admission_term:
            return True
    except ValueError:
        return True
    return term_current(institution, timezone.localtime(stored.computed_at).date()) != today_term


def audit_is_stale(student: Student) -> bool:
    """Is the student's stored audit missing, made under an older policy or in another term than today's?"""
    current = PolicyVersion.objects.filter(institution=student.institution, is_current=True).first()
    stored = AuditResult.objects.filter(student=student).select_related("student__institution").first()
    return (
        stored is None
        or (current is not None and stored.policy_version_id != current.pk)
        or _made_in_another_term(stored)
    )


def audit_document(student: Student) -> dict[str, Any] | None:
    """The student's stored audit document (None before one is made). It is only read: a page that shows it
    calls `services.audit_refresh_if_stale` first."""
    stored = AuditResult.objects.filter(student=student).only("document").first()
    return stored.document if stored is not None else None


def what_if_programs(version: PolicyVersion) -> list[tuple[str, str, str]]:
    """(full id, zh title, en title) of the tiered programs (micro-programs) a what-if can add."""
    from menkan.web.audits.services import policy_set_of

    found = []
    for policy in policy_set_of(version).policies:
        for _, node in walk(policy.requirements):
            if isinstance(node, Tiered):
                found.append((node.id, node.title.zh_tw, node.title.en))
    return found


def batch_runs_visible_to(user: User) -> QuerySet[BatchRun]:
    """Batch runs a registrar follows: those of their institutions (a superuser: every run, the whole student
    body's too), latest first."""
    runs = BatchRun.objects.select_related("institution", "started_by").order_by("-started_at", "-pk")
    if user.is_superuser:
        return runs
    return runs.filter(institution__in=registrar_institutions(user))


def batch_run_get_for(user: User, pk: int) -> BatchRun:
    """One batch run, if `user` follows it; 404 otherwise (another institution's runs are not shown to exist)."""
    return get_object_or_404(batch_runs_visible_to(user), pk=pk)


def policy_drafts_visible_to(user: User) -> QuerySet[PolicyDraft]:
    """The policy drafts of the institutions `user` is the registrar of (a superuser: every one), latest first."""
    drafts = PolicyDraft.objects.select_related("institution", "created_by", "base_version", "published_version")
    if user.is_superuser:
        return drafts
    return drafts.filter(institution__in=registrar_institutions(user))


def policy_draft_get_for(user: User, pk: int) -> PolicyDraft:
    """One policy draft, if `user` is its institution's registrar; 404 otherwise (another's is not shown to exist)."""
    return get_object_or_404(policy_drafts_visible_to(user), pk=pk)


def policy_versions_of(institutions: Any) -> QuerySet[PolicyVersion]:
    """The published versions of these institutions, latest first."""
    return (
        PolicyVersion.objects.filter(institution__in=institutions)
        .select_related("institution", "published_by")
        .order_by("institution__code", "-version")
    )
