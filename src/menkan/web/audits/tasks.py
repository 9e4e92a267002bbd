"""Celery tasks (thin: they call services)."""

from __future__ import annotations

import gc
import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_init

from menkan.web.audits import services

log = logging.getLogger("menkan.audits")


# Audits are idempotent (a student audited twice stores the same result; a batch chunk is counted once), so
# their messages are acknowledged only once the task has run, and a task whose worker process died (killed,
# out of memory, its machine gone) goes back to the queue for another worker instead of being lost.
_REDELIVERED_IF_LOST = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="menkan.audit_students", **_REDELIVERED_IF_LOST)
def audit_students_task(pks: list[int]) -> None:
    services.students_audit_pks(pks)


@shared_task(name="menkan.batch_chunk", **_REDELIVERED_IF_LOST)
def batch_chunk_task(run_pk: int, pks: list[int], full: bool = False) -> None:
    services.batch_chunk(run_pk, pks, full)


@shared_task(name="menkan.policy_impact")
def policy_impact_task(draft_pk: int) -> None:
    services.policy_draft_preview(draft_pk)


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
