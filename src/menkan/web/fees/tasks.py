"""Celery tasks of fees (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

from menkan.web.fees import services


@shared_task(name="menkan.fee_run")
def fee_run_task(run_pk: int) -> None:
    services.fee_run_execute(run_pk)
