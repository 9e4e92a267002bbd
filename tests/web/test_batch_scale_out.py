"""Scale out: real Celery worker processes on PostgreSQL and Redis, one killed (SIGKILL) in the middle of a chunk;
the run still finishes with every student counted once and one stored result each.

Only on PostgreSQL (a worker process cannot see the in-memory SQLite test database) with Redis reachable
(`MENKAN_TEST_REDIS_URL`, default redis://127.0.0.1:6379/15; each run uses a queue of its own)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu
import pytest
from django.db import connection

from menkan.web.audits.models import AuditResult, BatchChunk, BatchRun
from menkan.web.records.models import Student
from menkan.web.records.services import student_import_document

from .conftest import World
from .conftest import student_document as make_document

REDIS_URL = os.environ.get("MENKAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STUDENTS, CHUNK = 240, 30
_PAUSED = re.compile(r"batch (\d+): chunk from student (\d+) paused in process (\d+)")


def _redis_problem() -> str | None:
    try:
        with kombu.Connection(REDIS_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}): the killed-worker test needs it"
    return None


def _forget_queue(name: str) -> None:
    """Redis keeps a queue's bindings after the worker stops; delete them with the queue."""
    with kombu.Connection(REDIS_URL) as broker:
        bound = kombu.Queue(name, kombu.Exchange(name, type="direct"), routing_key=name)(broker.default_channel)
        bound.declare()
        bound.delete()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_chunk_loses_nothing_and_counts_nothing_twice(
    world: World, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL=postgresql://…): worker processes cannot see the SQLite test database"
        )
    if problem := _redis_problem():
        pytest.skip(problem)
    for index in range(STUDENTS - Student.objects.count()):
        student_import_document(world.institution, make_document(f"B11234{index + 1000:04d}", "340", "CE-112"))
    total = Student.objects.count()
    settings = connection.settings_dict
    server = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    worker_var = tmp_path / "worker-machine"  # the workers' own (empty) disk: policies come from the database
    worker_var.mkdir()
    env = dict(
        os.environ,
        DATABASE_URL=f"{server}/{settings['NAME']}",
        CELERY_BROKER_URL=REDIS_URL,
        MENKAN_VAR=str(worker_var),
        MENKAN_SECRET_KEY="test",
        MENKAN_BATCH_TEST_PAUSE="0.8",  # each chunk waits between its audit and its store: time to kill it there
    )
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    queue = f"menkan-test-kill-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    log = log_path.open("wb")
    celery = [sys.executable, "-m", "celery", "-A", "menkan.web", "worker", "-Q", queue, "-n", queue]
    celery += ["--concurrency=2", "--pool=prefork", "--prefetch-multiplier=1", "--loglevel=INFO"]
    worker = subprocess.Popen(
        [*celery, "--without-mingle", "--without-gossip"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    cli_env = dict(env, MENKAN_VAR=str(tmp_path / "cli"))
    cli = "import sys; from menkan.web import celery_app; celery_app.conf.task_default_queue = sys.argv[1]; "
    cli += "from menkan.cli import main; sys.exit(main(sys.argv[2:]))"
    killed: tuple[str, int] | None = None
    try:
        command = subprocess.Popen(
            [sys.executable, "-c", cli, queue, "batch-audit", "--all", "--chunk", str(CHUNK)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and command.poll() is None:
            # the second chunk to pause: the first pool processes have started, the run is under way
            paused = _PAUSED.findall(log_path.read_text(errors="replace"))
            if len(paused) >= 2:
                _, first_student, pid = paused[1]
                os.kill(int(pid), signal.SIGKILL)
                killed = (first_student, int(pid))
            time.sleep(0.05)
        try:
            stdout, stderr = command.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            command.kill()
            stdout, stderr = command.communicate()
            pytest.fail(f"the batch did not finish in 120 s\n{stderr}\nworker log:\n{log_path.read_text()}")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        _forget_queue(queue)
    worker_log = log_path.read_text(errors="replace")
    assert killed is not None, f"no chunk was seen pausing; worker log:\n{worker_log}"
    assert command.returncode == 0, stdout + stderr + worker_log
    run = BatchRun.objects.latest("pk")
    chunks = -(-total // CHUNK)
    assert (run.state, run.total, run.done, run.failed, run.skipped) == (BatchRun.State.DONE, total, total, 0, 0)
    assert BatchChunk.objects.filter(run=run).count() == chunks
    assert AuditResult.objects.filter(computed_at__gte=run.started_at).count() == total
    # the killed chunk was delivered again, to another process, and stored then
    again = [pid for _, student, pid in _PAUSED.findall(worker_log) if student == killed[0]]
    assert len(again) >= 2 and int(again[-1]) != killed[1], worker_log
    # the workers rebuilt the policy files they audit against from the database, on their own disk
    assert list((worker_var / "policies" / "ntut").iterdir())
