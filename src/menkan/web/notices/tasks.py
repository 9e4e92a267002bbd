"""Celery tasks of the notices (thin: they call services). Celery beat runs `menkan.notices_send_due` daily."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from menkan.web.notices import services
from menkan.web.records.api import Institution

log = logging.getLogger("menkan.notices")


@shared_task(name="menkan.notices_send_due")
def notices_send_due_task(today: str | None = None, institution_id: int | None = None) -> dict[str, int]:
    """Send the notices due on `today` (ISO date; default today). Returns the counts of outcomes."""
    institution = Institution.objects.get(pk=institution_id) if institution_id is not None else None
    report = services.notices_send_due(date.fromisoformat(today) if today else None, institution=institution)
    log.info("notices: %s", report.summary())
    return report.counts
