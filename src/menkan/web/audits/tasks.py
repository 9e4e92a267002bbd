"""Celery tasks (thin: they call services)."""

from __future__ import annotations

import gc
import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_init

from menkan.web.audits import services

log = logging.getLogger("menkan.audits")


@shared_task(name="menkan.audit_students")
def audit_students_task(pks: list[int]) -> None:
    services.students_audit_pks(pks)


@shared_task(name="menkan.batch_chunk")
def batch_chunk_task(run_pk: int, pks: list[int]) -> None:
    services.batch_chunk(run_pk, pks)


@shared_task(name="menkan.batch_audit_all")
def batch_audit_all_task() -> int:
    """Re-audit every student (Celery beat runs it nightly): the run's chunks go to the workers. Returns its id."""
    run = services.batch_audit_start()
    log.info("nightly batch %d: %d students queued", run.pk, run.total)
    return run.pk


@worker_init.connect
def _warm_policies(**_: Any) -> None:
    """Load the current policies once in the worker's main process, before it forks its pool: every
    worker process starts with them (the database connection is closed again before the fork)."""
    from django.db import connections

    try:
        loaded = services.policy_sets_warm()
    except Exception:  # a worker must start even if the database is not reachable yet
        log.warning("could not load the current policies at worker start-up", exc_info=True)
    else:
        log.info("worker start-up: %d current policy sets loaded", loaded)
    finally:
        connections.close_all()
    # What is loaded now lives as long as the worker: keep it out of the garbage collector's passes (and the
    # pool's processes from copying the pages the collector would otherwise write to).
    gc.collect()
    gc.freeze()
