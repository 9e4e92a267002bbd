"""Celery tasks of forecasts (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

from menkan.web.forecasts import services


@shared_task(name="menkan.forecasts_compute")
def forecasts_compute_task(institution_pk: int, today: str | None = None) -> int:
    return services.forecasts_compute_pk(institution_pk, today)
