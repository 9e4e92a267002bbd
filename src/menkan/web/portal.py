"""What the `menkan` command does with the portal: set up and serve the demo, run batch audits."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import django

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
# Apps that add their own demo data and accounts: each has `demo.py` with
# `demo_load(out) -> list[(username, role, one-time password)]`, run after the records and accounts above.
DEMO_APPS = ("activities", "notices", "reports", "programs", "microcredits", "fees", "certification")
DEMO_ACCOUNTS = [
    # username, role, scope (filled in from the demo data)
    ("student", "student"),
    ("mentor", "mentor"),
    ("dept-officer", "department-officer"),
    ("dept-head", "department-head"),
    ("program-contact", "program-contact"),
    ("program-head", "program-head"),
    ("unit-staff", "unit-staff"),
    ("registrar", "registrar"),
]


# runserver without its own static handler (which answers a path out of the static folder, `/static/..%2f..`, with
# a 500): the URL conf serves /static/ (menkan.web.static_serve), as it does under the test client.
DEMO_SERVE_ARGUMENTS = ("--noreload", "--nostatic")


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "menkan.web.settings")
    django.setup()


def migrate(out: TextIO) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0, stdout=out)


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    """Publish the shipped policies, load the demo cohort, create one account per role.

    Returns (username, role, one-time password) for accounts created now; accounts that exist already
    keep their password (it was printed when they were created).
    """
    from django.db import transaction

    from menkan.engine import iter_students, load_shipped, shipped_institutions, student_to_dict
    from menkan.web.accounts.api import Role, User, role_assign, user_create
    from menkan.web.audits.api import policy_publish_shipped
    from menkan.web.records.api import Institution, SchoolClass, Student, institution_sync, student_import_document

    for code in shipped_institutions():
        institution_sync(load_shipped(code))
        policy_publish_shipped(code, reaudit=False)
    with transaction.atomic():
        for path in sorted(DEMO_DIR.glob("*.jsonl")):
            for record in iter_students(path):
                institution = Institution.objects.get(code=record.institution)
                student_import_document(institution, student_to_dict(record))
    created: list[tuple[str, str, str]] = []
    # Staff accounts look after a student of the demo's institution: the program and unit roles are its own.
    looked_after = json.loads((DEMO_DIR / "accounts.json").read_text(encoding="utf-8"))
    students = Student.objects.select_related("institution", "department", "school_class").order_by("pk")
    first = students.filter(institution__code=looked_after["institution"]).first() or students.first()
    if first is None:
        return created
    scope = {
        Role.STUDENT: {},
        Role.MENTOR: {"school_class": first.school_class},
        Role.DEPARTMENT_OFFICER: {"department": first.department},
        Role.DEPARTMENT_HEAD: {"department": first.department},
        Role.PROGRAM_CONTACT: {"program": looked_after["program"]},
        Role.PROGRAM_HEAD: {"program": looked_after["program"]},
        Role.UNIT_STAFF: {"unit": looked_after["unit"]},
        Role.REGISTRAR: {},
    }
    for username, role_name in DEMO_ACCOUNTS:
        if User.objects.filter(username=username).exists():
            continue
        role = Role(role_name)
        user, password = user_create(username, first_name=role.label)
        created.append((username, role_name, password))
        institutions = Institution.objects.all() if role == Role.REGISTRAR else [first.institution]
        for institution in institutions:
            role_assign(user, role, institution.pk, **scope[role])
        if role == Role.STUDENT:
            first.user = user
            first.save(update_fields=["user"])
        if role == Role.MENTOR and first.school_class is not None:
            SchoolClass.objects.filter(pk=first.school_class.pk).update(mentor=user)
    for app in DEMO_APPS:
        module = f"menkan.web.{app}.demo"
        if importlib.util.find_spec(module) is not None:
            created += importlib.import_module(module).demo_load(out)
    return created


class ProgressBar:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.started = total, stream, time.monotonic()

    def show(self, done: int, failed: int = 0) -> None:
        width = 30
        counted = done + failed
        filled = width * counted // self.total if self.total else width
        rate = counted / max(time.monotonic() - self.started, 1e-9)
        failures = f", {failed} failed" if failed else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {counted}/{self.total}{failures}  {rate:,.0f} students/s"
        )
        self.stream.flush()


def institution_named(code: str, err: TextIO) -> Any:
    """The institution a command names (`--institution`), or None after saying on `err` that there is none."""
    from menkan.web.records.api import Institution

    institution = Institution.objects.filter(code=code).first()
    if institution is None:
        err.write(f"menkan: no institution {code!r} in the database\n")
    return institution


def batch_audit(
    institution: str | None,
    out: TextIO,
    err: TextIO,
    chunk: int | None = None,
    poll: float = 0.2,
    *,
    full: bool = False,
) -> int:
    """Re-audit the students (or one institution's) whose input changed since their stored audit (`full`:
    every one) through Celery tasks, with a progress bar on `err`.

    Without a broker the chunks run here, one after the other; with one (CELERY_BROKER_URL) they are
    queued for the workers and the bar follows the run's counters until every student is counted."""
    from django.apps import apps

    if not apps.ready:  # setting Django up again would reset the logging of a caller that has done it
        setup()
    from menkan.web.audits.api import BatchRun, batch_audit_create, batch_dispatch

    target = None
    if institution is not None:
        target = institution_named(institution, err)
        if target is None:
            return 2
    started = time.monotonic()
    run, chunks = batch_audit_create(institution=target, chunk=chunk, full=full)
    bar = ProgressBar(run.total, err)
    bar.show(0)
    batch_dispatch(run, chunks, progress=lambda current: bar.show(current.done, current.failed))
    run.refresh_from_db()
    waiting_since, last = time.monotonic(), -1
    hinted = False
    while run.state != BatchRun.State.DONE:  # with a broker, workers report as they go
        time.sleep(poll)
        run.refresh_from_db()
        bar.show(run.done, run.failed)
        if run.done + run.failed != last:
            waiting_since, last = time.monotonic(), run.done + run.failed
        elif not hinted and time.monotonic() - waiting_since > 30:
            hinted = True
            err.write("\nmenkan: no progress for 30 s; is a Celery worker running? (celery -A menkan.web worker)\n")
    elapsed = time.monotonic() - started
    err.write("\n")
    unchanged = f" ({run.skipped} unchanged since their last audit, not audited again)" if run.skipped else ""
    out.write(
        f"batch {run.pk}: {run.audited} audited, {run.failed} failed, {run.total} students{unchanged} "
        f"in {elapsed:.1f} s ({run.total / max(elapsed, 1e-9):,.0f} students/s)\n"
    )
    for line in run.errors[:20]:
        out.write(f"  {line}\n")
    if len(run.errors) > 20:
        out.write(f"  … and {len(run.errors) - 20} more (Audits › Batch runs in the admin)\n")
    return 0 if not run.failed else 1


def account_institutions(username: str) -> str:
    """The institutions an account works in (its roles' and its student record's), as codes joined by commas
    (every code for the registrar of every one)."""
    from menkan.web.accounts.api import RoleAssignment
    from menkan.web.records.api import Student

    codes = set(RoleAssignment.objects.filter(user__username=username).values_list("institution__code", flat=True))
    codes |= set(Student.objects.filter(user__username=username).values_list("institution__code", flat=True))
    return ", ".join(sorted(codes)) or "-"


def demo_accounts_write(created: list[tuple[str, str, str]], out: TextIO) -> None:
    """The demo accounts made now, each with its role, the institution(s) it belongs to and its password."""
    rows = [(username, role, account_institutions(username), password) for username, role, password in created]
    out.write("\nDemo accounts (shown once; each must choose a new password at first login):\n")
    name_width = max(len("account"), *(len(row[0]) for row in rows))
    role_width = max(len("role"), *(len(row[1]) for row in rows))
    place_width = max(len("institution"), *(len(row[2]) for row in rows))
    out.write(f"  {'account':<{name_width}}  {'role':<{role_width}}  {'institution':<{place_width}}  password\n")
    for username, role, place, password in rows:
        out.write(f"  {username:<{name_width}}  {role:<{role_width}}  {place:<{place_width}}  {password}\n")


def demo(serve: bool, address: str, out: TextIO) -> int:
    """Migrate, load the demo data and accounts, audit everyone, and serve the portal."""
    setup()
    migrate(out)
    created = demo_load(out)
    from menkan.web.audits.api import batch_audit_start
    from menkan.web.records.api import Student

    run = batch_audit_start()
    out.write(f"demo: {Student.objects.count()} students audited ({run.done} ok, {run.failed} failed)\n")
    # By task name (the workflow apps import this module: it may not import them); no broker: it runs now.
    from menkan.web.dispatch import task_delay
    from menkan.web.records.api import Institution

    for institution in Institution.objects.all():
        task_delay("menkan.forecasts_compute", institution.pk)
    out.write("demo: forecasts made from the stored audits (early warning, /forecasts/)\n")
    if created:
        demo_accounts_write(created, out)
    else:
        out.write("\nDemo accounts exist already (their one-time passwords were printed when they were created;\n")
        out.write("`menkan demo --reset` deletes var/ data so they are made again).\n")
    if not serve:
        return 0
    from django.core.management import call_command

    out.write(f"\nServing http://{address}/  (Ctrl-C to stop)\n")
    out.flush()
    call_command("runserver", *DEMO_SERVE_ARGUMENTS, address)
    return 0


def reset() -> None:
    """Delete the embedded demo database (SQLite) so the next demo starts afresh."""
    from django.conf import settings

    setup()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(database["NAME"]) + suffix)
            if path.exists():
                path.unlink()
    else:
        sys.stderr.write("menkan: --reset only deletes the embedded SQLite database\n")


def policy_publish_folder(folder: Path, note: str, out: TextIO) -> int:
    """Publish an institution's policy folder as its new current version (validated first; old versions kept)."""
    setup()
    from menkan.web.audits.api import files_of_folder, policy_publish

    version = policy_publish(files_of_folder(folder), note=note)
    out.write(
        f"{version.institution.code}: version {version.version} is current "
        f"({len(version.files)} files); its students are being re-audited\n"
    )
    return 0
