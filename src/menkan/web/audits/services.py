"""Writes of audits: publishing policy versions, auditing students and storing results, batch runs."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.db.models import F
from django.utils import timezone

from menkan.engine import InputError, PolicySet, Runtime, Term, compile, latest_term, load_policy_dir
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.engine.records import Student as EngineStudent
from menkan.engine.result import AuditResult as EngineResult
from menkan.engine.result import RequirementResult
from menkan.web.audits.models import AuditResult, BatchRun, PolicyVersion, RequirementStatus
from menkan.web.records.calendar import term_current
from menkan.web.records.models import Institution, Student
from menkan.web.records.selectors import engine_inputs
from menkan.web.records.services import institution_sync

log = logging.getLogger("menkan.audits")


def _policy_root() -> Path:
    return Path(settings.VAR_DIR) / "policies"


def _folder_of(version: PolicyVersion) -> Path:
    """The version's files on disk (written once from the database, which stays the source of truth)."""
    folder = _policy_root() / version.institution.code / f"v{version.version}-{version.checksum[:12]}"
    if not folder.exists():
        # several worker processes may get here at once: each writes its own staging folder, one wins
        staging = folder.with_name(f"{folder.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        for relative, text in version.files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            if not folder.exists():
                raise
            shutil.rmtree(staging, ignore_errors=True)
    return folder


# The compiled policies of each version, once per process: by version and by the checksum of its files (a
# version published again, or a folder validated before it was published, is not loaded twice).
_RUNTIMES: dict[int, Runtime] = {}
_RUNTIMES_BY_CHECKSUM: dict[str, Runtime] = {}


def _compiled(checksum: str, folder: Callable[[], Path]) -> Runtime:
    runtime = _RUNTIMES_BY_CHECKSUM.get(checksum)
    if runtime is None:
        runtime = _RUNTIMES_BY_CHECKSUM[checksum] = compile(load_policy_dir(folder()))
    return runtime


def runtime_of(version: PolicyVersion) -> Runtime:
    """The version's policies compiled for auditing (loaded and compiled once per process): every audit the
    portal makes against this version goes through it, `runtime_of(version).audit(record, as_of=term)`."""
    cached = _RUNTIMES.get(version.pk)
    if cached is None or cached.policy_set.institution.id != version.institution.code:
        cached = _RUNTIMES[version.pk] = _compiled(version.checksum, lambda: _folder_of(version))
    return cached


def policy_set_of(version: PolicyVersion) -> PolicySet:
    """The loaded policies of a version (loaded once per process)."""
    return runtime_of(version).policy_set


def policy_sets_warm() -> int:
    """Load every institution's current policies into this process (a worker does it once at start-up,
    so its first chunks do not pay for it). Returns how many were loaded."""
    versions = PolicyVersion.objects.filter(is_current=True).select_related("institution")
    return sum(1 for version in versions if policy_set_of(version) is not None)


def files_of_folder(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))}


def _checksum(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def policy_publish(files: dict[str, str], *, user: Any = None, note: str = "", reaudit: bool = True) -> PolicyVersion:
    """Validate a policy folder's files and make them the institution's current version (the old one is kept).

    Raises InputError (with every problem located) and changes nothing if the files do not validate.
    Publishing the same files again changes nothing. Students are re-audited after the commit.
    """
    staging = _policy_root() / ".staging" / _checksum(files)
    if not staging.exists():
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    checksum = _checksum(files)
    institution = institution_sync(_compiled(checksum, lambda: staging).policy_set)
    current = PolicyVersion.objects.select_for_update().filter(institution=institution, is_current=True).first()
    if current is not None and current.checksum == checksum:
        return current
    last = PolicyVersion.objects.filter(institution=institution).order_by("-version").first()
    PolicyVersion.objects.filter(institution=institution, is_current=True).update(is_current=False)
    version = PolicyVersion.objects.create(
        institution=institution,
        version=(last.version + 1) if last else 1,
        files=files,
        checksum=checksum,
        is_current=True,
        note=note,
        published_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    if reaudit:
        transaction.on_commit(lambda: batch_audit_start(institution=institution))
    return version


def policy_publish_shipped(code: str, *, reaudit: bool = True) -> PolicyVersion:
    return policy_publish(files_of_folder(SHIPPED_POLICIES / code), note="shipped with menkan", reaudit=reaudit)


def policy_current(institution: Institution) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(institution=institution, is_current=True).first()


def audit_as_of(record: EngineStudent, current: Term) -> Term:
    """The term the portal audits a student as of: the latest their records mention, but never a term that has
    not begun (courses pre-registered for next semester do not make the audit read "as of" next semester), and
    never before admission."""
    return max(record.admission_term, min(latest_term(record), current))


def _bounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


PHASES = ("read", "validate", "audit", "store")


@dataclass
class AuditedChunk:
    """Students audited in memory, ready to store: results, summary rows, failures, and where the time went."""

    results: list[tuple[Any, ...]] = field(default_factory=list)  # (student pk, version pk, as_of, status, JSON)
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # RequirementStatus columns, see _ROW_FIELDS
    audited: list[int] = field(default_factory=list)
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # (pk, student id, reason)
    found: int = 0  # students found in the database
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))


def _current_versions(institution_ids: Iterable[int]) -> dict[int, PolicyVersion]:
    versions = PolicyVersion.objects.filter(institution_id__in=set(institution_ids), is_current=True)
    return {version.institution_id: version for version in versions.select_related("institution")}


def compact_json(value: Any) -> str:
    """JSON as stored for audit documents: compact UTF-8 (a JSONField's own encoding escapes every Chinese
    character as \\uXXXX and adds blanks, which makes the text half as large again)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _summary_rows(student_pk: int, result: EngineResult) -> list[tuple[Any, ...]]:
    """The top two levels of the result tree, as RequirementStatus rows (see _ROW_FIELDS)."""
    rows = []

    def add(node: RequirementResult, depth: int) -> None:
        rows.append(
            (student_pk, node.id, node.status, node.unit, _bounded(node.earned), _bounded(node.required), node.advisory)
        )
        if depth < 1:
            for child in node.children:
                add(child, depth + 1)

    for requirement in result.requirements:
        add(requirement, 0)
    return rows


def students_audit_prepare(pks: Sequence[int]) -> AuditedChunk:
    """Read these students' records (four queries), validate and audit each against the current policies of
    their institution. A student whose record is invalid or cannot be audited becomes a failure with its
    reason; the others are unaffected. Nothing is written."""
    chunk = AuditedChunk()
    clock = time.perf_counter
    began = clock()
    inputs = engine_inputs(pks)
    versions = _current_versions(item.institution_id for item in inputs)
    chunk.found = len(inputs)
    read = clock()
    records = []
    for item in inputs:
        try:
            records.append((item, item.record()))
        except InputError as exc:
            chunk.failures.append((item.pk, item.student_id, exc.first_line))
    validated = clock()
    audited = []
    internal_errors = 0
    current_terms: dict[int, Term] = {}
    for item, record in records:
        version = versions.get(item.institution_id)
        if version is None:
            chunk.failures.append((item.pk, item.student_id, "no published policy"))
            continue
        if item.institution_id not in current_terms:
            current_terms[item.institution_id] = term_current(version.institution)
        try:
            as_of = audit_as_of(record, current_terms[item.institution_id])
            result = runtime_of(version).audit(record, as_of=as_of)
        except InputError as exc:
            chunk.failures.append((item.pk, item.student_id, exc.first_line))
            continue
        except Exception as exc:  # an engine fault must not stop the other students of the chunk
            if not internal_errors:
                log.exception("audit of %s failed", item.student_id)
            internal_errors += 1
            chunk.failures.append((item.pk, item.student_id, f"internal error: {type(exc).__name__}: {exc}"))
            continue
        audited.append((item.pk, version.pk, result))
    done = clock()
    for pk, version_pk, result in audited:
        chunk.audited.append(pk)
        chunk.results.append((pk, version_pk, str(result.as_of), result.status, compact_json(result.as_dict())))
        chunk.rows.extend(_summary_rows(pk, result))
    chunk.seconds.update(read=read - began, validate=validated - read, audit=done - validated)
    chunk.seconds["store"] = clock() - done  # the documents and rows; students_audit_store adds the writes
    return chunk


# The store writes with plain SQL (one statement, executed for many rows): the ORM's bulk_create builds a
# model instance and compiles every value of every row, and with psycopg it quotes each 14 kB document into
# the SQL text for the server to parse again; here the documents go to the server as bound parameters.
_RESULT_FIELDS = ("student", "policy_version", "as_of", "status", "document", "computed_at")
_ROW_FIELDS = ("student", "requirement_id", "status", "unit", "earned", "required", "advisory")


def _columns(model: Any, names: Sequence[str]) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


def _results_upsert_sql() -> str:
    table = connection.ops.quote_name(AuditResult._meta.db_table)
    columns = _columns(AuditResult, _RESULT_FIELDS)
    document = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES (%s, %s, %s, %s, {document}, %s) "
        f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}"
    )


def _rows_sql() -> tuple[str, str]:
    table = connection.ops.quote_name(RequirementStatus._meta.db_table)
    columns = _columns(RequirementStatus, _ROW_FIELDS)
    placeholders = ", ".join(["%s"] * len(columns))
    if connection.vendor == "postgresql":
        students = "(SELECT unnest(%s::bigint[]))"
    else:
        students = "(SELECT value FROM json_each(%s))"
    return (
        f"DELETE FROM {table} WHERE {columns[0]} IN {students}",
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
    )


@contextmanager
def _bound_cursor() -> Iterator[Any]:
    """A cursor that sends parameters apart from the SQL (PostgreSQL: a server-side binding cursor on the
    same connection and transaction; SQLite always binds)."""
    if connection.vendor == "postgresql" and is_psycopg3:
        import psycopg

        connection.ensure_connection()
        raw = psycopg.Cursor(connection.connection)
        cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    else:
        cursor = connection.cursor()
    with cursor:
        yield cursor


_LZ4: dict[str, bool] = {}


def _fast_toast(cursor: Any) -> None:
    """PostgreSQL: compress this transaction's audit documents with lz4 where the server has it.

    A stored audit document is some 14 kB of JSON; PostgreSQL compresses it out of line (TOAST), by default
    with pglz, which costs the server about twice the CPU time of lz4 for each document, for tables a few per
    cent smaller. Values compressed either way are read alike, and the setting ends with the transaction."""
    if connection.vendor != "postgresql":
        return
    alias = connection.alias
    if alias not in _LZ4:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        _LZ4[alias] = bool(row and row[0])
    if _LZ4[alias]:
        cursor.execute("SET LOCAL default_toast_compression = lz4")


def students_audit_store(chunk: AuditedChunk) -> None:
    """Write an audited chunk: the results upserted, the students' summary rows deleted and inserted again,
    in one transaction (readers see each student's old or new audit, never half of one)."""
    began = time.perf_counter()
    if chunk.audited:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        delete_rows, insert_rows = _rows_sql()
        students = chunk.audited if connection.vendor == "postgresql" else json.dumps(chunk.audited)
        with transaction.atomic(savepoint=False), _bound_cursor() as cursor:
            _fast_toast(cursor)
            cursor.executemany(_results_upsert_sql(), [(*result, now) for result in chunk.results])
            cursor.execute(delete_rows, [students])
            if chunk.rows:
                cursor.executemany(insert_rows, chunk.rows)
    chunk.seconds["store"] += time.perf_counter() - began


def students_audit_pks(pks: Sequence[int]) -> list[tuple[int, str, str]]:
    """Audit these students and store the results; returns the failures as (pk, student id, reason)."""
    chunk = students_audit_prepare(pks)
    students_audit_store(chunk)
    for _, student_id, reason in chunk.failures:
        log.warning("audit of %s failed: %s", student_id, reason)
    return chunk.failures


def students_audit(students: Sequence[Student]) -> list[tuple[Student, str]]:
    """Audit students against their institution's current policies and store the results (one write per
    table for the whole batch). Returns the failures: (student, reason) — bad records do not stop the rest."""
    by_pk = {student.pk: student for student in students}
    chunk = students_audit_prepare(list(by_pk))
    students_audit_store(chunk)
    return [(by_pk[pk], reason) for pk, _, reason in chunk.failures]


def student_audit(student: Student) -> AuditResult | None:
    """Audit one student now and return the stored result (None if it could not be audited)."""
    failures = students_audit([student])
    if failures:
        log.warning("audit of %s failed: %s", student.student_id, failures[0][1])
        return None
    return AuditResult.objects.get(student_id=student.pk)


_pending = threading.local()


def audit_schedule(student_pk: int) -> None:
    """Re-audit this student once the current transaction commits (once, however many records changed).

    Every call registers a commit callback; the first to run audits everyone waiting, the rest find
    nothing to do. A rolled-back transaction discards its callbacks, and its students are audited at
    the next commit (auditing again is harmless).
    """
    waiting: set[int] = _pending.__dict__.setdefault("students", set())
    waiting.add(student_pk)
    transaction.on_commit(_flush_scheduled)


def _flush_scheduled() -> None:
    waiting: set[int] = _pending.__dict__.setdefault("students", set())
    if not waiting:
        return
    pks = sorted(waiting)
    waiting.clear()
    from menkan.web.audits.tasks import audit_students_task

    audit_students_task.delay(pks)


def batch_audit_create(
    *, institution: Institution | None = None, user: Any = None, chunk: int | None = None
) -> tuple[BatchRun, list[list[int]]]:
    """A new batch run over the whole student body (or one institution's), and its chunks of students."""
    students = Student.objects.order_by("pk")
    if institution is not None:
        students = students.filter(institution=institution)
    pks = list(students.values_list("pk", flat=True))
    run = BatchRun.objects.create(
        institution=institution,
        total=len(pks),
        state=BatchRun.State.RUNNING,
        started_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    size = max(1, chunk or settings.MENKAN_BATCH_CHUNK)
    chunks = [pks[start : start + size] for start in range(0, len(pks), size)]
    if not pks:
        batch_finish(run.pk)
    return run, chunks


def batch_audit_start(
    *, institution: Institution | None = None, user: Any = None, chunk: int | None = None
) -> BatchRun:
    """Re-audit the whole student body (or one institution's) in chunks, through Celery tasks.

    Without a broker the tasks run here, one after the other, and the run is finished on return; with one,
    workers pick the chunks up and the run's counters show their progress."""
    run, chunks = batch_audit_create(institution=institution, user=user, chunk=chunk)
    batch_dispatch(run, chunks)
    run.refresh_from_db()
    return run


def batch_dispatch(
    run: BatchRun, chunks: Sequence[Sequence[int]], progress: Callable[[BatchRun], None] | None = None
) -> None:
    """Send a run's chunks to Celery (run eagerly, in turn, without a broker); `progress` sees the run
    after each chunk is sent."""
    from menkan.web.audits.tasks import batch_chunk_task

    for pks in chunks:
        batch_chunk_task.delay(run.pk, list(pks))
        if progress is not None:
            run.refresh_from_db()
            progress(run)


MAX_ERRORS = 200


@contextmanager
def _collector_paused() -> Iterator[None]:
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


def batch_chunk(run_pk: int, pks: Sequence[int]) -> None:
    """Audit one chunk of a batch run, store the results and count the chunk, in one short transaction.

    Counters move by F() updates, so chunks finishing at once on several workers all count; the run is
    marked done by whichever chunk brings done + failed to the total, exactly once. A student whose record
    is invalid is counted as failed with its reason; a chunk that cannot be stored at all is counted as
    failed as a whole (the run still finishes, and says why)."""
    try:
        with _collector_paused():
            chunk = students_audit_prepare(pks)
            with transaction.atomic():
                students_audit_store(chunk)
                _batch_count(run_pk, chunk, missing=len(pks) - chunk.found)
    except Exception as exc:
        log.exception("batch %s: chunk of %d students failed", run_pk, len(pks))
        with transaction.atomic():
            _batch_count(run_pk, AuditedChunk(), missing=0, failed_chunk=(len(pks), f"{type(exc).__name__}: {exc}"))
        return
    log.debug(
        "batch %s chunk: %d students, %d failed; %s",
        run_pk,
        chunk.found,
        len(chunk.failures),
        " ".join(f"{phase} {chunk.seconds[phase]:.4f} s" for phase in PHASES),
    )


def _batch_count(
    run_pk: int, chunk: AuditedChunk, *, missing: int, failed_chunk: tuple[int, str] | None = None
) -> None:
    """Count a chunk into its run (inside the caller's transaction) and finish the run if it was the last."""
    done, failed = len(chunk.audited), len(chunk.failures)
    errors = [f"{student_id}: {reason}" for _, student_id, reason in chunk.failures]
    if failed_chunk is not None:
        failed += failed_chunk[0]
        errors.append(f"{failed_chunk[0]} students not audited: {failed_chunk[1]}")
    # students deleted since the run was created are no longer part of it
    BatchRun.objects.filter(pk=run_pk).update(
        done=F("done") + done, failed=F("failed") + failed, total=F("total") - missing
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


class PlannedCourseError(ValueError):
    """A planned course line that cannot be read (line number and reason)."""


def planned_courses_parse(text: str, term: str) -> list[dict[str, Any]]:
    """Planned courses from lines of `code, title, credits[, category]` (commas or tabs)."""
    courses = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace("\t", ",").split(",")]
        if len(parts) < 3:
            raise PlannedCourseError(f"line {number}: expected code, title, credits[, category]")
        try:
            credits = Decimal(parts[2])
        except ArithmeticError:
            raise PlannedCourseError(f"line {number}: credits {parts[2]!r} is not a number") from None
        if credits < 0:
            raise PlannedCourseError(f"line {number}: credits must be ≥ 0")
        course: dict[str, Any] = {"code": parts[0], "title": parts[1], "credits": float(credits), "term": term}
        if len(parts) > 3 and parts[3]:
            course["category"] = parts[3]
        courses.append(course)
    return courses


def what_if_audit(student: Student, *, planned: list[dict[str, Any]], programs: list[str]) -> EngineResult:
    """The audit as if the planned courses were taken (in progress) and the programs registered.

    Nothing is stored: the student's record is read, changed in memory, and audited.
    """
    from menkan.engine import student_from_dict
    from menkan.web.records.selectors import student_document

    version = policy_current(student.institution)
    if version is None:
        raise InputError([])
    document = student_document(student)
    document["courses"] = [*document.get("courses", []), *planned]
    registered = {entry["program"] for entry in document.get("programs", [])}
    term = planned[0]["term"] if planned else document["admission_term"]
    for program in programs:
        if program not in registered:
            document.setdefault("programs", []).append({"program": program, "registered_term": term})
    record = student_from_dict(document, source=f"what-if {student.student_id}")
    return runtime_of(version).audit(record, as_of=audit_as_of(record, term_current(student.institution)))
