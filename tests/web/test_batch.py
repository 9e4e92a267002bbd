"""Batch audits: chunks counted with F() updates, a run finished exactly once, failing students counted with
their reason, the engine documents read from the database, `menkan batch-audit`, the admin, and (when Redis
and PostgreSQL are reachable) a real Celery worker."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import kombu
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from menkan.engine import Runtime, student_from_dict
from menkan.web import portal
from menkan.web.audits import services
from menkan.web.audits.models import AuditResult, BatchRun, RequirementStatus
from menkan.web.audits.services import batch, batch_audit_create, batch_audit_start, batch_chunk, batch_finish
from menkan.web.records.models import CourseRecord, Department, Institution, Student
from menkan.web.records.selectors import engine_inputs, student_document
from menkan.web.records.services import student_import_document

from .conftest import World, course
from .conftest import student_document as make_document
from .processes import process_stop

ROOT = Path(__file__).resolve().parents[2]


def _students(count: int, world: World, prefix: str = "B1123400") -> list[Student]:
    students = []
    for index in range(count):
        document = make_document(f"{prefix}{index + 10:02d}", "340", "CE-112")
        students.append(student_import_document(world.institution, document)[0])
    return students


def _break(student: Student) -> None:
    """Make the stored record invalid (negative credits), as a bad direct database edit would."""
    CourseRecord.objects.filter(student=student).update(credits=Decimal("-1"))


# --- runs, chunks and counters ---------------------------------------------------------------------------------


def test_a_batch_audits_every_student_stores_results_and_summary_rows_and_finishes(world: World) -> None:
    extra = _students(3, world)
    AuditResult.objects.all().delete()
    run = batch_audit_start(chunk=2)
    total = Student.objects.count()
    assert (run.state, run.total, run.done, run.failed) == (BatchRun.State.DONE, total, total, 0)
    assert run.finished_at is not None and run.progress == 1.0
    assert AuditResult.objects.count() == total
    for student in [world.own, world.foreign, *extra]:
        stored = AuditResult.objects.get(student=student)
        assert stored.document["student_id"] == student.student_id
        assert stored.document["schema"] == "menkan.audit/1"
        top = {r["id"] for r in stored.document["requirements"]}
        rows = set(RequirementStatus.objects.filter(student=student).values_list("requirement_id", flat=True))
        assert top <= rows


def test_a_batch_of_one_institution_audits_only_its_students(world: World) -> None:
    AuditResult.objects.all().delete()
    run = batch_audit_start(institution=world.institution)
    assert run.total == Student.objects.filter(institution=world.institution).count()
    assert not AuditResult.objects.filter(student=world.foreign).exists()
    assert AuditResult.objects.filter(student=world.own).exists()


def test_re_auditing_replaces_the_stored_results_and_rows(world: World) -> None:
    batch_audit_start()
    rows = RequirementStatus.objects.count()
    results = AuditResult.objects.count()
    run = batch_audit_start()
    assert run.done == run.total
    assert (AuditResult.objects.count(), RequirementStatus.objects.count()) == (results, rows)


def test_chunks_counted_in_any_order_add_up_and_the_last_one_finishes_the_run(world: World) -> None:
    _students(3, world)
    run, chunks = batch_audit_create(chunk=2)
    assert len(chunks) == 3
    for pks in reversed(chunks):
        assert BatchRun.objects.get(pk=run.pk).state == BatchRun.State.RUNNING
        batch_chunk(run.pk, pks)
    run.refresh_from_db()
    assert (run.state, run.done, run.failed, run.total) == (BatchRun.State.DONE, 6, 0, 6)


def test_a_run_finishes_exactly_once(world: World) -> None:
    run, chunks = batch_audit_create(chunk=10)
    batch_chunk(run.pk, chunks[0])
    run.refresh_from_db()
    finished_at = run.finished_at
    assert run.state == BatchRun.State.DONE and finished_at is not None
    assert batch_finish(run.pk) is False  # a chunk delivered twice, or a late caller, finishes nothing again
    run.refresh_from_db()
    assert run.finished_at == finished_at


def test_only_the_chunk_that_completes_the_count_finishes_the_run(world: World) -> None:
    run, _ = batch_audit_create(chunk=1)
    assert batch_finish(run.pk) is False  # nothing counted yet
    BatchRun.objects.filter(pk=run.pk).update(done=run.total)
    assert [batch_finish(run.pk) for _ in range(3)] == [True, False, False]


def test_an_empty_student_body_gives_a_finished_run(world: World) -> None:
    empty = Institution.objects.create(code="empty", name_zh="空", name_en="Empty")
    run = batch_audit_start(institution=empty)
    assert (run.state, run.total, run.done) == (BatchRun.State.DONE, 0, 0)


def test_an_invalid_record_is_counted_as_failed_with_its_reason_and_the_chunk_goes_on(world: World) -> None:
    students = _students(3, world)
    _break(students[1])
    AuditResult.objects.all().delete()
    run = batch_audit_start(chunk=100)  # everyone in one chunk
    assert (run.state, run.total) == (BatchRun.State.DONE, Student.objects.count())
    assert (run.done, run.failed) == (run.total - 1, 1)
    assert len(run.errors) == 1
    assert run.errors[0].startswith(f"{students[1].student_id}: student {students[1].student_id} $.courses[0].credits")
    assert "must be ≥ 0" in run.errors[0]
    assert not AuditResult.objects.filter(student=students[1]).exists()
    assert AuditResult.objects.filter(student__in=[students[0], students[2]]).count() == 2


def test_a_student_without_a_published_policy_is_counted_as_failed(world: World) -> None:
    lone = Institution.objects.create(code="lone", name_zh="無", name_en="No policy")
    department = Department.objects.create(institution=lone, code="X", name_zh="X")
    Student.objects.create(institution=lone, student_id="L1", department=department, admission_term="112-1")
    run = batch_audit_start()
    assert run.failed == 1 and run.done == run.total - 1
    assert run.errors == ["L1: no published policy"]


def test_an_engine_fault_fails_that_student_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    real_audit = Runtime.audit

    def faulty(runtime: Runtime, record: Any, *, as_of: Any) -> Any:
        if record.student_id == world.other.student_id:
            raise ZeroDivisionError("boom")
        return real_audit(runtime, record, as_of=as_of)

    monkeypatch.setattr(Runtime, "audit", faulty)
    run = batch_audit_start()
    assert (run.state, run.done, run.failed) == (BatchRun.State.DONE, run.total - 1, 1)
    assert run.errors == [f"{world.other.student_id}: internal error: ZeroDivisionError: boom"]


def test_a_chunk_that_cannot_be_stored_is_counted_as_failed_and_the_run_still_finishes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(chunk: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "students_audit_store", broken)
    run = batch_audit_start(chunk=100)
    assert (run.state, run.done, run.failed) == (BatchRun.State.DONE, 0, run.total)
    assert run.errors == [f"{run.total} students not audited: RuntimeError: disk full"]


def test_students_deleted_after_the_run_started_leave_its_total(world: World) -> None:
    extra = _students(2, world)
    run, chunks = batch_audit_create(chunk=100)
    extra[0].delete()
    batch_chunk(run.pk, chunks[0])
    run.refresh_from_db()
    assert (run.state, run.total, run.done, run.failed) == (BatchRun.State.DONE, Student.objects.count(), 4, 0)


def test_the_error_list_is_kept_short(world: World) -> None:
    students = _students(4, world)
    for student in students:
        _break(student)
    original = batch.MAX_ERRORS
    batch.MAX_ERRORS = 2
    try:
        run = batch_audit_start(chunk=1)
    finally:
        batch.MAX_ERRORS = original
    assert run.failed == 4 and len(run.errors) == 2


# --- reading records: few queries, the same engine records as the JSON documents --------------------------------


def test_a_chunk_reads_and_writes_in_a_fixed_number_of_queries(world: World) -> None:
    few = [s.pk for s in _students(2, world, prefix="B11234001")]
    many = [s.pk for s in _students(12, world, prefix="B11234002")]
    run, _ = batch_audit_create()
    counts = []
    for pks in (few, many):
        with CaptureQueriesContext(connection) as queries:
            batch_chunk(run.pk, pks)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with CaptureQueriesContext(connection) as queries:
        engine_inputs(many)
    assert len(queries) == 5  # students, courses, activities, certificates, approved exceptions


def test_engine_records_from_the_database_equal_those_validated_from_the_json_document(world: World) -> None:
    document = make_document(
        "B112340099",
        "340",
        "CE-112",
        flags=["exchange"],
        courses=[
            course("1401032", "微積分", 3, "112-1", category="professional-required"),
            course("1404006", "國文", 2.5, "112-2", category="common-required", tags=["gen-ed:人文"]),
            course("3401004", "工程靜力學", 3, "113-1", grade=None, delivery="remote", transfer=True),
            course("X1", "研究所課程", 0.5, "113-S", grade="P", level="graduate", offered_by="EE"),
        ],
        activities=[
            {"item": "social", "hours": 8, "term": "113-1", "title": "淨灘志工", "unit": "學務處"},
            {"item": "lecture", "hours": 1.5, "term": "113-2", "title": "講座", "date": "2025-03-01"},
        ],
        certificates=[{"code": "TQC-OA", "title": "TQC 電腦應用 乙級", "term": "113-2", "level": "乙"}],
        enrollment=[
            {"term": "112-1", "status": "enrolled"},
            {"term": "112-2", "status": "leave", "reason": "military"},
        ],
        programs=[{"program": "AVM", "registered_term": "113-1"}],
    )
    student, _ = student_import_document(world.institution, document)
    student = Student.objects.select_related("institution", "department", "school_class").get(pk=student.pk)
    from_json = student_from_dict(json.loads(json.dumps(student_document(student))), source="json")
    (item,) = engine_inputs([student.pk])
    assert repr(item.record()) == repr(from_json)  # repr tells Decimal('3') from Decimal('3.0')
    assert item.record().courses[1].tags == ("gen-ed:人文",)


def test_an_invalid_term_is_reported_as_validation_reports_it(world: World) -> None:
    CourseRecord.objects.filter(student=world.own).update(term="11x-1")
    (item,) = engine_inputs([world.own.pk])
    with pytest.raises(Exception) as from_db:
        item.record()
    with pytest.raises(Exception) as from_json:
        student_from_dict(json.loads(json.dumps(student_document(world.own))), source=f"student {world.own.student_id}")
    assert str(from_db.value) == str(from_json.value)
    assert "not a term" in str(from_db.value)


def test_stored_documents_are_compact_utf8_json(world: World) -> None:
    services.student_audit(world.own)
    with connection.cursor() as cursor:
        cursor.execute("SELECT document FROM audits_auditresult WHERE student_id = %s", [world.own.pk])
        raw = cursor.fetchone()[0]
    # the store's own compact text, on PostgreSQL too (a text column: fields.DocumentField)
    assert raw == json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    stored = AuditResult.objects.get(student=world.own).document
    assert stored["student_id"] == world.own.student_id
    assert any("學" in json.dumps(r, ensure_ascii=False) for r in stored["requirements"])


# --- concurrent chunks (PostgreSQL: the SQLite test database lives in memory, one writer at a time) -------------


@pytest.mark.django_db(transaction=True)
def test_chunks_counted_concurrently_lose_no_update_and_finish_once(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database cannot take concurrent writers")
    _students(6, world)
    # everyone (the imports committed, so their audits are stored and a run would find them unchanged)
    run, chunks = batch_audit_create(chunk=1, full=True)
    finished: list[bool] = []
    real_finish = batch.batch_finish

    def counting_finish(run_pk: int) -> bool:
        result = real_finish(run_pk)
        finished.append(result)
        return result

    barrier = threading.Barrier(len(chunks))

    def work(pks: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            batch_chunk(run.pk, pks, True)
        finally:
            connections.close_all()

    batch.batch_finish = counting_finish  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=work, args=(pks,)) for pks in chunks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        batch.batch_finish = real_finish  # type: ignore[assignment]
    run.refresh_from_db()
    assert (run.state, run.done, run.failed) == (BatchRun.State.DONE, run.total, 0)
    assert finished.count(True) == 1 and len(finished) == len(chunks)


# --- the command and the admin ---------------------------------------------------------------------------------


def test_menkan_batch_audit_shows_progress_and_a_result_line(world: World) -> None:
    _students(2, world)
    out, err = io.StringIO(), io.StringIO()
    code = portal.batch_audit(None, out, err, chunk=2)
    total = Student.objects.count()
    assert code == 0
    assert f"[{'#' * 30}] {total}/{total}" in err.getvalue()
    assert "[" + "." * 30 + f"] 0/{total}" in err.getvalue()  # the bar starts empty and fills chunk by chunk
    run = BatchRun.objects.latest("pk")
    assert out.getvalue().startswith(f"batch {run.pk}: {total} audited, 0 failed, {total} students in ")
    assert "students/s" in out.getvalue()


def test_menkan_batch_audit_lists_failures_and_exits_1(world: World) -> None:
    _break(world.other)
    out, err = io.StringIO(), io.StringIO()
    assert portal.batch_audit("ntut", out, err) == 1
    assert "1 failed" in out.getvalue()
    assert f"  {world.other.student_id}: student {world.other.student_id} $.courses[0].credits" in out.getvalue()
    assert ", 1 failed" in err.getvalue()


def test_menkan_batch_audit_rejects_an_unknown_institution(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert portal.batch_audit("nowhere", out, err) == 2
    assert "no institution 'nowhere'" in err.getvalue()


def _staff_client(**flags: bool) -> Client:
    user = get_user_model().objects.create_user("root", password="correct-Horse-battery-9", is_staff=True, **flags)
    user.must_change_password = False
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _admin_client() -> Client:
    return _staff_client(is_superuser=True)


def test_the_admin_re_audit_action_starts_a_run_and_the_changelist_shows_its_progress(world: World) -> None:
    client = _admin_client()
    response = client.post(
        "/admin/records/institution/",
        {"action": "reaudit", "_selected_action": [world.institution.pk]},
        follow=True,
    )
    assert response.status_code == 200
    run = BatchRun.objects.get(institution=world.institution)
    assert run.state == BatchRun.State.DONE and run.done == run.total
    assert f"Batch {run.pk} (ntut) done: {run.total} audited, 0 failed" in response.content.decode()
    page = client.get("/admin/audits/batchrun/").content.decode()
    assert '<progress max="100" value="100"' in page
    assert f"100% ({run.total}/{run.total})" in page
    assert "Re-audit every student" in page
    assert 'http-equiv="refresh"' not in page  # nothing is running


def test_the_admin_button_re_audits_everyone_and_a_running_run_refreshes_the_list(world: World) -> None:
    client = _admin_client()
    assert client.get("/admin/audits/batchrun/reaudit/").status_code == 405  # POST only
    response = client.post("/admin/audits/batchrun/reaudit/", follow=True)
    assert response.status_code == 200
    run = BatchRun.objects.get()
    assert run.institution is None and run.total == Student.objects.count() and run.done == run.total
    assert f"Batch {run.pk} (every student) done" in response.content.decode()
    BatchRun.objects.create(total=10, done=4, failed=1, state=BatchRun.State.RUNNING)
    page = client.get("/admin/audits/batchrun/").content.decode()
    assert '<progress max="100" value="50"' in page and "1 failed" in page
    assert 'http-equiv="refresh"' in page


def test_staff_without_the_permission_cannot_re_audit(world: World) -> None:
    client = _staff_client()
    assert client.post("/admin/audits/batchrun/reaudit/").status_code == 403
    assert not BatchRun.objects.exists()


# --- a real worker on Redis ------------------------------------------------------------------------------------

REDIS = ("127.0.0.1", 6379)
QUIET = ("--without-mingle", "--without-gossip")


def _redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_batch_completes_through_a_celery_worker_on_redis(world: World, tmp_path: Path) -> None:
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}: the Celery worker test needs it")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): a worker process cannot see the in-memory SQLite test database")
    _students(4, world)
    _break(world.other)
    settings = connection.settings_dict
    database_url = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    env = dict(
        os.environ,
        DATABASE_URL=f"{database_url}/{settings['NAME']}",
        CELERY_BROKER_URL=os.environ.get("MENKAN_TEST_REDIS_URL", f"redis://{REDIS[0]}:{REDIS[1]}/15"),
        MENKAN_VAR=str(tmp_path),
        MENKAN_SECRET_KEY="test",
    )
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    # A queue of its own: other test runs may share this Redis database, and must not take these chunks.
    queue = f"menkan-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    celery = [sys.executable, "-m", "celery", "-A", "menkan.web"]
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [*celery, "worker", "-Q", queue, "--concurrency=2", "--pool=prefork", "--loglevel=INFO", *QUIET, "-n", queue],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # `menkan batch-audit`, sending its chunks to that queue
    cli = "import sys; from menkan.web import celery_app; celery_app.conf.task_default_queue = sys.argv[1]; "
    cli += "from menkan.cli import main; sys.exit(main(sys.argv[2:]))"
    try:
        try:
            command = subprocess.run(
                [sys.executable, "-c", cli, queue, "batch-audit", "--all", "--chunk", "2"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            log.flush()
            pytest.fail("the batch did not complete in 120 s; worker log:\n" + (tmp_path / "worker.log").read_text())
    finally:
        process_stop(worker)
        log.close()
        with kombu.Connection(env["CELERY_BROKER_URL"]) as broker:  # Redis would keep the queue's bindings
            bound = kombu.Queue(queue, kombu.Exchange(queue, type="direct"), routing_key=queue)(broker.default_channel)
            bound.declare()
            bound.delete()
    worker_log = (tmp_path / "worker.log").read_text(errors="replace")
    assert command.returncode == 1, command.stdout + command.stderr + worker_log  # one student fails
    run = BatchRun.objects.latest("pk")
    total = Student.objects.count()
    assert (run.state, run.total, run.done, run.failed) == (BatchRun.State.DONE, total, total - 1, 1)
    assert f"batch {run.pk}: {total - 1} audited, 1 failed, {total} students" in command.stdout
    assert f"{total}/{total}" in command.stderr
    assert "menkan.batch_chunk" in worker_log and "succeeded" in worker_log  # the chunks ran in the worker
    assert AuditResult.objects.filter(computed_at__gte=run.started_at).count() == total - 1
