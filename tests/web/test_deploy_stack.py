"""Issue 16 item 1: `menkan serve --demo` starts the production stack — gunicorn, a Celery worker and Celery beat on
PostgreSQL and Redis — as subprocesses; the demo registrar logs in and starts a batch audit that the worker does,
beat sends its scheduled task to the worker, and Ctrl-C stops every process of the stack."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kombu
import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.redis

# The server and the database of this test's own (created and dropped here), and a Redis database of its own.
PG_SERVER = os.environ.get("MENKAN_STACK_PG", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("MENKAN_STACK_DATABASE", "menkan_stack_test")
REDIS_URL = os.environ.get("MENKAN_STACK_REDIS", "redis://127.0.0.1:6379/13")
NEW_PASSWORD = "Stack-test-passw0rd-9"
WAIT = 900  # seconds: the demo's set-up on a busy two-core machine takes minutes; a stack that never comes up fails


def _pg_reachable() -> bool:
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _redis_reachable() -> bool:
    parsed = urllib.parse.urlsplit(REDIS_URL)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _maintenance(statement: sql.Composable) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(what: str, check: Callable[[], Any], serve: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            pytest.fail(f"menkan serve stopped (exit {serve.returncode}) before {what}:\n{_tail(log)}")
        found = check()
        if found:
            return found
        time.sleep(1)
    pytest.fail(f"no {what} in {WAIT} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class Browser:
    """A person's session: cookies kept, redirects followed, the CSRF token read from each form as a browser
    submits it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode(errors="replace")

    def submit(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """GET the page with the form, then POST `fields` with the page's CSRF token."""
        _, url, page = self.open(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"no form with a CSRF token on {url}"
        return self.open(urllib.parse.urlsplit(url).path, {**fields, "csrfmiddlewaretoken": token.group(1)})


def _health(base: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            return dict(json.loads(response.read()))
    except (OSError, ValueError):
        return None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_menkan_serve_runs_the_stack_audits_through_the_worker_and_stops(tmp_path: Path) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # the stack runs on its own PostgreSQL database whatever the suite's database is: once per `make test`
        pytest.skip("runs in the PostgreSQL pass of the tests (DATABASE_URL=postgresql://…), which `make test` makes")
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {PG_SERVER}: the production-stack test needs it")
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: the production-stack test needs it")
    _maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
    _maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    database_url = f"{PG_SERVER}/{DATABASE}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    queue = f"menkan-stack-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # other runs on this Redis never take its tasks
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MENKAN_", "CELERY_", "DJANGO_")) and name != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=REDIS_URL,
        MENKAN_VAR=str(tmp_path / "var"),
        MENKAN_QUEUE=queue,
        # beat sends the notices every 3 seconds instead of daily at 08:00, so the test sees it send
        MENKAN_SCHEDULE='{"notices-send-due": 3, "batch-audit-nightly": "off"}',
    )
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "menkan.cli", "serve", "--bind", f"127.0.0.1:{port}", "--demo"]
    command += ["--web-workers", "1", "--concurrency", "1"]
    with log.open("wb") as output:
        # a session of its own: the test stops the stack as a terminal's Ctrl-C does, by signalling its process group
        serve = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    pgid = serve.pid
    try:
        health = _wait_for("healthy /healthz", lambda: _health(base), serve, log)
        assert health == {"status": "ok", "database": "ok", "broker": "ok"}
        password = re.search(r"^\s+registrar\s+registrar\s+.*\s(\S+)$", log.read_text(), re.MULTILINE)
        assert password, "the demo's registrar account was not printed:\n" + _tail(log)

        browser = Browser(base)
        status, url, page = browser.submit("/accounts/login/", {"username": "registrar", "password": password[1]})
        assert status == 200 and "/accounts/password/" in url, (status, url)  # the one-time password is changed first
        fields = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        status, url, page = browser.submit("/accounts/password/", fields)
        assert status == 200 and "/accounts/" not in url, (status, url, page[:500])
        # everyone, also the students whose audit input is unchanged since the demo audited them (skipped otherwise)
        status, url, page = browser.submit("/audits/batch/", {"institution": "ntut", "all": "1"})
        started = re.search(r"/audits/batch/(\d+)/$", url)
        assert status == 200 and started, (status, url)
        run_pk = int(started[1])

        def finished() -> tuple[Any, ...] | None:
            with psycopg.connect(database_url, connect_timeout=5) as connection:
                row = connection.execute(
                    "SELECT state, total, done, failed, started_at FROM audits_batchrun WHERE id = %s", [run_pk]
                ).fetchone()
            return row if row is not None and row[0] == "done" else None

        _, total, done, failed, started_at = _wait_for(f"finished batch {run_pk}", finished, serve, log)
        with psycopg.connect(database_url, connect_timeout=5) as connection:
            ntut = connection.execute(
                "SELECT count(*) FROM records_student s JOIN records_institution i ON i.id = s.institution_id "
                "WHERE i.code = 'ntut'"
            ).fetchone()
            stored = connection.execute(
                "SELECT count(*) FROM audits_auditresult r JOIN records_student s ON s.id = r.student_id "
                "JOIN records_institution i ON i.id = s.institution_id WHERE i.code = 'ntut' AND r.computed_at >= %s",
                [started_at],
            ).fetchone()
        assert ntut is not None and stored is not None
        assert (total, done, failed) == (ntut[0], ntut[0], 0) and total > 0
        assert stored[0] == total  # every student's audit stored again by this run
        status, _, detail = browser.open(f"/audits/batch/{run_pk}/")
        assert status == 200 and f"{total} / {total}" in detail
        # the chunks ran in the worker (the web process only queued them), and beat's entry reached the worker
        worker_lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("worker")]
        assert any("Task menkan.batch_chunk[" in line and "succeeded" in line for line in worker_lines)
        _wait_for(
            "notices sent by beat and done by the worker",
            lambda: re.search(r"^worker.*Task menkan\.notices_send_due\[.*succeeded", log.read_text(), re.MULTILINE),
            serve,
            log,
        )
        assert re.search(r"^beat.*Sending due task notices-send-due", log.read_text(), re.MULTILINE)
        # the hashed stylesheet comes from WhiteNoise, cached for ever
        stylesheet = re.search(r'href="(/static/menkan/menkan\.[0-9a-f]{12}\.css)"', detail)
        assert stylesheet, "the page does not link the hashed stylesheet"
        with urllib.request.urlopen(base + stylesheet[1], timeout=30) as response:
            assert response.status == 200 and "immutable" in response.headers["Cache-Control"]

        os.killpg(pgid, signal.SIGINT)  # Ctrl-C
        assert serve.wait(timeout=120) == 0, _tail(log)
        assert "menkan serve: stopped" in log.read_text()
        assert not _group_alive(pgid), "processes of the stack still running after it stopped"
        assert _health(base) is None  # nothing listens any more
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        serve.wait()
        with kombu.Connection(REDIS_URL) as broker:  # Redis would keep the queue's messages and bindings
            bound = kombu.Queue(queue, kombu.Exchange(queue, type="direct"), routing_key=queue)(broker.default_channel)
            bound.declare()
            bound.delete()
        _maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
