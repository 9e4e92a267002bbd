"""`menkan serve`: the production stack in the foreground — migrate, collect the static files, (the demo data), then
gunicorn, a Celery worker and Celery beat, their output prefixed with their names, until Ctrl-C stops them all."""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

PRODUCTION_SETTINGS = "menkan.web.settings_production"
STOP_TIMEOUT = 30  # seconds each service gets to finish what it is doing after SIGTERM, before it is killed
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C


@dataclass(frozen=True)
class ServeOptions:
    bind: str = "127.0.0.1:8000"
    demo: bool = False
    web_workers: int | None = None  # gunicorn's own default (menkan.web.gunicorn_conf) when None
    concurrency: int | None = None  # Celery's (one pool process per core) when None
    create_database: bool = False


class _Stop(Exception):
    """SIGTERM: stop the stack as Ctrl-C does."""


def _on_loopback(bind: str) -> bool:
    host = bind.rsplit(":", 1)[0].strip("[]") if ":" in bind else bind
    return host in {"localhost", "::1"} or host.startswith("127.")


def environment(options: ServeOptions, base: dict[str, str], out: TextIO) -> dict[str, str]:
    """The services' environment: the production settings and, on this machine only (a loopback address), the
    defaults of a local trial — plain HTTP, the loopback host names, a secret key kept in VAR — each said on `out`.
    On any other address nothing is made up: the production settings refuse to start without what they need."""
    env = dict(base)
    env.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION_SETTINGS)
    var = Path(env.get("MENKAN_VAR") or Path.cwd() / "var").resolve()
    env["MENKAN_VAR"] = str(var)  # every service agrees on it, whatever its working directory
    env["PYTHONUNBUFFERED"] = "1"  # lines appear as they are written
    if not _on_loopback(options.bind):
        return env
    trial = []
    if "MENKAN_HTTPS" not in env:
        env["MENKAN_HTTPS"] = "0"
        trial.append("plain HTTP (MENKAN_HTTPS=0)")
    if not env.get("MENKAN_ALLOWED_HOSTS"):
        env["MENKAN_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        trial.append("hosts 127.0.0.1 and localhost")
    if not (env.get("MENKAN_SECRET_KEY") or env.get("MENKAN_SECRET_KEY_FILE")):
        key = var / "secret_key"
        if not key.exists():
            var.mkdir(parents=True, exist_ok=True)
            key.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            key.chmod(0o600)
        env["MENKAN_SECRET_KEY_FILE"] = str(key)
        trial.append(f"the secret key in {key}")
    if trial:
        out.write(f"menkan serve: a trial on this machine ({options.bind}): {', '.join(trial)}\n")
    return env


def database_create_missing(url: str, out: TextIO) -> None:
    """Create the PostgreSQL database `url` names if it is not there (a local trial's first start)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    database = dj_database_url.parse(url)
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    server = {"host": database["HOST"] or None, "port": database["PORT"] or None, "user": database["USER"] or None}
    server["password"] = database["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server) as connection:
        name = database["NAME"]
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            out.write(f"menkan serve: created the database {name}\n")


def prepare(options: ServeOptions, out: TextIO) -> None:
    """Migrate, collect the static files and, with --demo on an empty database, load the demo (in this process)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    out.write("menkan serve: database migrated\n")
    collected = io.StringIO()
    call_command("collectstatic", interactive=False, verbosity=1, stdout=collected)
    out.write(f"menkan serve: {collected.getvalue().strip().splitlines()[-1]}\n")

    from menkan.web.records.api import Institution, Student

    if options.demo:
        if Student.objects.exists():
            out.write("menkan serve: the database has students already: no demo data loaded\n")
        else:
            from menkan.web import portal
            from menkan.web.audits.api import batch_audit_start

            created = portal.demo_load(out)
            run = batch_audit_start()
            out.write(f"menkan serve: demo loaded, {run.total} students; their audits are queued (batch {run.pk})\n")
            if created:
                portal.demo_accounts_write(created, out)
    elif not Institution.objects.exists():
        out.write(
            "menkan serve: no institution in the database yet: publish your policies "
            "(menkan policy publish src/menkan/policies/<institution>) or start with --demo\n"
        )
    from django.db import connections

    connections.close_all()  # the services open their own


def commands(options: ServeOptions) -> dict[str, list[str]]:
    """The three services, as their systemd units and compose file run them (docs/deploy.md)."""
    python = sys.executable
    web = [python, "-m", "gunicorn", "-c", "python:menkan.web.gunicorn_conf", "--bind", options.bind]
    if options.web_workers:
        web += ["--workers", str(options.web_workers)]
    worker = [python, "-m", "celery", "-A", "menkan.web", "worker", "--loglevel=INFO", "-n", f"menkan-{os.getpid()}@%h"]
    if options.concurrency:
        worker += ["--concurrency", str(options.concurrency)]
    beat = [python, "-m", "celery", "-A", "menkan.web", "beat", "--loglevel=INFO"]
    return {"web": web, "worker": worker, "beat": beat}


def _relay(name: str, stream: IO[bytes], out: TextIO, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        with lock:
            out.write(f"{name:<6}| {raw.decode(errors='replace').rstrip()}\n")
            out.flush()


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGTERM stops the stack as Ctrl-C does; and Ctrl-C does even where it was ignored when the command started
    (a shell's background job)."""

    def stop(signum: int, frame: Any) -> None:
        raise _Stop

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, stop)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stop_all(processes: dict[str, subprocess.Popen[bytes]], out: TextIO) -> None:
    """SIGTERM to each service (gunicorn and the worker finish their requests and tasks), then wait; a service still
    running after STOP_TIMEOUT seconds, or a second Ctrl-C, kills what is left."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    try:
        for name, process in processes.items():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                out.write(f"menkan serve: {name} did not stop in {STOP_TIMEOUT} s: killed\n")
    except KeyboardInterrupt:
        out.write("menkan serve: stopping at once\n")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()


def run(processes_of: dict[str, list[str]], env: dict[str, str], out: TextIO) -> int:
    """Start the services and watch them: Ctrl-C or SIGTERM stops all (exit 0); one that stops by itself stops
    the others (exit 1)."""
    lock = threading.Lock()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    relays = []
    stopped_by: str | None = None
    try:
        with _signals_stop():
            for name, command in processes_of.items():
                process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                processes[name] = process
                assert process.stdout is not None
                relay = threading.Thread(target=_relay, args=(name, process.stdout, out, lock), daemon=True)
                relay.start()
                relays.append(relay)
            out.write(f"menkan serve: {', '.join(processes)} started (Ctrl-C stops them)\n")
            out.flush()
            while stopped_by is None:
                time.sleep(0.5)
                stopped_by = next((name for name, process in processes.items() if process.poll() is not None), None)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        if stopped_by is not None:
            code = processes[stopped_by].returncode
            out.write(f"menkan serve: {stopped_by} stopped by itself (exit status {code}); stopping the others\n")
        else:
            out.write("menkan serve: stopping\n")
        out.flush()
        _stop_all(processes, out)
        for relay in relays:
            relay.join(timeout=5)
    out.write("menkan serve: stopped\n")
    return 1 if stopped_by is not None else 0


def serve(options: ServeOptions, given: dict[str, str], out: TextIO, err: TextIO) -> int:
    """`menkan serve`: check the environment (`given`: as the command was started with), prepare the database and
    the static files, run the three services."""
    env = environment(options, given, out)
    missing = [name for name in ("DATABASE_URL", "CELERY_BROKER_URL") if not env.get(name)]
    if missing:
        err.write(
            f"menkan serve: set {' and '.join(missing)}: the stack runs on PostgreSQL "
            "(DATABASE_URL=postgresql://user@host:5432/menkan) and Redis (CELERY_BROKER_URL=redis://host:6379/0)\n"
        )
        return EXIT_CONFIG
    os.environ.update(env)  # this process prepares the database under the same settings as the services
    out.write(f"menkan serve: settings {env['DJANGO_SETTINGS_MODULE']}\n")
    from django.core.exceptions import ImproperlyConfigured

    try:
        if options.create_database:
            database_create_missing(env["DATABASE_URL"], out)
        prepare(options, out)
    except ImproperlyConfigured as exc:
        err.write(f"menkan serve: {exc}\n")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        err.write("menkan serve: interrupted before the services started\n")
        return EXIT_INTERRUPTED
    out.flush()
    return run(commands(options), env, out)
