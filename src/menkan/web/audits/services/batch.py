"""Batch runs: the whole student body (or one institution's) re-audited in chunks, through Celery tasks."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from menkan.web.audits.models import BatchChunk, BatchRun
from menkan.web.audits.services.audit_store import (
    PHASES,
    AuditedChunk,
    students_audit_prepare,
    students_audit_store,
    students_changed,
)
from menkan.web.dispatch import task_delay
from menkan.web.records.api import Institution, Student

log = logging.getLogger("menkan.audits")


def batch_audit_create(
    *, institution: Institution | None = None, user: Any = None, chunk: int | None = None, full: bool = False
) -> tuple[BatchRun, list[list[int]]]:
    """A new batch run over the whole student body (or one institution's), and its chunks of students.

    The run audits the students whose input changed since their stored audit (`audit_store.input_hash`:
    the student's revision, policy version, current term); with `full`, everyone (`--all`). The unchanged are
    found here, from one query of revisions and stored keys, and counted settled (`done`, `skipped`) at once:
    the chunks carry only the students to audit."""
    students = Student.objects.order_by("pk")
    if institution is not None:
        students = students.filter(institution=institution)
    if full:
        pks, unchanged = list(students.values_list("pk", flat=True)), []
    else:
        pks, unchanged = students_changed(students)
    run = BatchRun.objects.create(
        institution=institution,
        total=len(pks) + len(unchanged),
        done=len(unchanged),
        skipped=len(unchanged),
        full=full,
        state=BatchRun.State.RUNNING,
        started_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    size = max(1, chunk or settings.MENKAN_BATCH_CHUNK)
    chunks = [pks[start : start + size] for start in range(0, len(pks), size)]
    if not pks:
        batch_finish(run.pk)
    return run, chunks


def batch_audit_start(
    *, institution: Institution | None = None, user: Any = None, chunk: int | None = None, full: bool = False
) -> BatchRun:
    """Re-audit the whole student body (or one institution's) in chunks, through Celery tasks: the students
    whose input changed since their stored audit, or (`full`) every one.

    Without a broker the tasks run here, one after the other, and the run is finished on return; with one,
    workers pick the chunks up and the run's counters show their progress."""
    run, chunks = batch_audit_create(institution=institution, user=user, chunk=chunk, full=full)
    batch_dispatch(run, chunks)
    run.refresh_from_db()
    return run


def batch_dispatch(
    run: BatchRun, chunks: Sequence[Sequence[int]], progress: Callable[[BatchRun], None] | None = None
) -> None:
    """Send a run's chunks to Celery (run eagerly, in turn, without a broker); `progress` sees the run
    after each chunk is sent."""
    for pks in chunks:
        task_delay("menkan.batch_chunk", run.pk, list(pks), run.full)
        if progress is not None:
            run.refresh_from_db()
            progress(run)


MAX_ERRORS = 200


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one chunk. Auditing a chunk allocates millions of objects,
    nearly all freed by reference counting as they go; the collector's passes over those still alive (and
    over the long-lived objects they get promoted among) took a third of a chunk's time. The few cycles a
    chunk leaves (some ten objects a student) are collected once it is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def batch_chunk(run_pk: int, pks: Sequence[int], full: bool = False) -> None:
    """Audit one chunk of a batch run, store the results and count the chunk, in one short transaction.

    Unless the run is `full`, students whose stored audit has the key of their input now are counted as
    unchanged and left alone (found unchanged when the run was created, they are in no chunk; checked again
    here, which costs one query, for those audited since, on a page). Counters move by F() updates, so chunks
    finishing at once on several workers all count; the run is marked done by whichever chunk brings done +
    failed to the total, exactly once. A chunk is counted once however often it is delivered (a `BatchChunk`
    row, written in the same transaction: a worker lost after its commit, the chunk delivered again, finds it
    and stops). A student whose record is invalid is counted as failed with its reason; a chunk that cannot be
    stored at all is counted as failed as a whole (the run still finishes, and says why)."""
    if not pks:
        return
    first = min(pks)
    try:
        with collector_paused():
            chunk = students_audit_prepare(pks, skip_unchanged=not full)
            _test_pause(run_pk, first)
            with transaction.atomic():
                if not _chunk_claim(run_pk, first):
                    log.info("batch %s: the chunk from student %s was counted before, not again", run_pk, first)
                    return
                students_audit_store(chunk)
                _batch_count(run_pk, chunk, missing=len(pks) - chunk.found)
    except Exception as exc:
        log.exception("batch %s: chunk of %d students failed", run_pk, len(pks))
        with transaction.atomic():
            if _chunk_claim(run_pk, first):
                failed = (len(pks), f"{type(exc).__name__}: {exc}")
                _batch_count(run_pk, AuditedChunk(), missing=0, failed_chunk=failed)
        return
    log.debug(
        "batch %s chunk: %d students, %d failed, %d unchanged; %s",
        run_pk,
        chunk.found,
        len(chunk.failures),
        len(chunk.unchanged),
        " ".join(f"{phase} {chunk.seconds[phase]:.4f} s" for phase in PHASES),
    )


def _chunk_claim(run_pk: int, first_student: int) -> bool:
    """Mark the chunk counted (inside the caller's transaction); False if it already was."""
    try:
        with transaction.atomic():
            BatchChunk.objects.create(run_id=run_pk, first_student=first_student)
    except IntegrityError:
        return False
    return True


def _test_pause(run_pk: int, first_student: int) -> None:
    """Tests only: with MENKAN_BATCH_TEST_PAUSE=seconds, a chunk waits between its audit and its store, and
    says so in the log with its process id, so that a test can kill the worker process in the middle of it."""
    pause = float(os.environ.get("MENKAN_BATCH_TEST_PAUSE") or 0)
    if pause > 0:
        log.warning("batch %s: chunk from student %s paused in process %d", run_pk, first_student, os.getpid())
        time.sleep(pause)


def _batch_count(
    run_pk: int, chunk: AuditedChunk, *, missing: int, failed_chunk: tuple[int, str] | None = None
) -> None:
    """Count a chunk into its run (inside the caller's transaction) and finish the run if it was the last."""
    done, failed, unchanged = len(chunk.audited) + len(chunk.unchanged), len(chunk.failures), len(chunk.unchanged)
    errors = [f"{student_id}: {reason}" for _, student_id, reason in chunk.failures]
    if failed_chunk is not None:
        failed += failed_chunk[0]
        errors.append(f"{failed_chunk[0]} students not audited: {failed_chunk[1]}")
    # students deleted since the run was created are no longer part of it
    BatchRun.objects.filter(pk=run_pk).update(
        done=F("done") + done, skipped=F("skipped") + unchanged, failed=F("failed") + failed, total=F("total") - missing
    )
    if errors:
        run = BatchRun.objects.select_for_update().only("errors").get(pk=run_pk)
        if len(run.errors) < MAX_ERRORS:
            run.errors = (run.errors + errors)[:MAX_ERRORS]
            run.save(update_fields=["errors"])
    batch_finish(run_pk)


def batch_finish(run_pk: int) -> bool:
    """Mark the run done if every student is counted; True for the one call that does it."""
    finished = (
        BatchRun.objects.filter(pk=run_pk, state=BatchRun.State.RUNNING, total__lte=F("done") + F("failed")).update(
            state=BatchRun.State.DONE, finished_at=timezone.now()
        )
        == 1
    )
    if finished:
        log.debug("batch %s finished", run_pk)
    return finished
