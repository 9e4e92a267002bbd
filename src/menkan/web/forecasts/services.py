"""Writes of forecasts: the snapshot of an institution's forecasts, made from the stored audits (no audit is run)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from menkan.engine import InputError, Term
from menkan.foresight.forecast import forecast
from menkan.web.audits.api import AuditResult, policy_set_of
from menkan.web.dispatch import task_delay
from menkan.web.forecasts.models import StudentForecast
from menkan.web.records.api import Institution, calendar, engine_inputs

CHUNK = 500  # students read, forecast and written together: a bounded memory and one upsert per chunk
_UPDATED = ("institution", "as_of", "verdict", "terms_left", "credits_missing", "document", "audit_computed_at")


def forecasts_compute(institution: Institution, today: date | None = None) -> int:
    """Forecast every student of the institution who has a stored audit, from that audit (as of its term, under
    the policy version it was made with) and store the snapshot; returns how many were forecast. Students
    without an audit are left out (a batch audit makes theirs); a record that is no longer valid is skipped."""
    today = today or calendar.today()
    pks = list(
        AuditResult.objects.filter(student__institution=institution)
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )
    done = 0
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        audits = {
            audit.student_id: audit
            for audit in AuditResult.objects.filter(student_id__in=chunk).select_related("policy_version")
        }
        now = timezone.now()
        rows = []
        for item in engine_inputs(chunk):
            try:
                record = item.record()
            except InputError:
                continue
            audit = audits[item.pk]
            settings = policy_set_of(audit.policy_version).institution
            result = forecast(settings, record, audit.document, as_of=Term.parse(audit.as_of), today=today)
            rows.append(
                StudentForecast(
                    student_id=item.pk,
                    institution=institution,
                    as_of=audit.as_of,
                    verdict=result.verdict,
                    terms_left=result.terms_left,
                    credits_missing=result.credits_missing,
                    document=result.as_dict(),
                    audit_computed_at=audit.computed_at,
                    computed_at=now,
                )
            )
        with transaction.atomic():
            StudentForecast.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["student"], update_fields=[*_UPDATED, "computed_at"]
            )
        done += len(rows)
    StudentForecast.objects.filter(institution=institution).exclude(student_id__in=pks).delete()
    return done


def forecasts_compute_pk(institution_pk: int, today: str | None = None) -> int:
    """The task's entry: the institution by key, the day as ISO text (tasks take plain values)."""
    institution = Institution.objects.get(pk=institution_pk)
    return forecasts_compute(institution, date.fromisoformat(today) if today else None)


def forecasts_refresh_start(institution: Institution) -> None:
    """Compute the institution's snapshot in the background (in-process, now, without a broker)."""
    task_delay("menkan.forecasts_compute", institution.pk)
