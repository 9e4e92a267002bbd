"""The portal's policy impact preview, end to end: a synthetic NTUT student body in a fresh SQLite or PostgreSQL
database, then the registrar's upload of changed policy files timed from the upload to the finished preview.

    python bench/impact_bench.py --database sqlite --students 20000

The database is set up as bench/db_bench.py sets it up (a child process per database, Django reading
DATABASE_URL at start-up; the shipped NTUT policy published; the students bulk-loaded, not timed). The upload is
the shipped NTUT folder with department 340's professional-elective minimum lowered from 11 to 9 credits (the
change of the acceptance test); the preview runs in-process (Celery eager), as without a broker: the files read
and validated, every stored student read and audited under the current and the new policies, compared, the
report kept with the draft.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import db_bench  # noqa: E402  (a sibling script: the cohort, the loading and the PostgreSQL helpers)

RESULT = "RESULT "
OLD_OVERRIDE = "          - '340'\n          - '831'\n        min: 11"
NEW_OVERRIDE = "          - '340'\n          - '831'\n        min: 9"


def main() -> int:
    parser = argparse.ArgumentParser(description="The policy impact preview of the portal over a stored student body.")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=115)
    parser.add_argument(
        "--pg-database",
        default=os.environ.get("MENKAN_BENCH_PG_DATABASE", "menkan_bench_impact"),
        help="the PostgreSQL database to drop and create (default: menkan_bench_impact)",
    )
    parser.add_argument("--json", action="store_true", help="print the figure as one JSON line only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.database == "postgresql" and (problem := db_bench._pg_unreachable()):
        print(f"impact_bench: {problem}", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="menkan-impact-bench-"))
    try:
        return run_child(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.database == "postgresql":
            db_bench._pg_execute(f"DROP DATABASE IF EXISTS {args.pg_database} WITH (FORCE)")


def run_child(args: argparse.Namespace, work: Path) -> int:
    var = work / "var"
    var.mkdir()
    env = dict(os.environ, MENKAN_VAR=str(var), MENKAN_SECRET_KEY="bench")
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)  # the preview runs in-process, as without a broker
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    if args.database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    else:
        db_bench._pg_execute(f"DROP DATABASE IF EXISTS {args.pg_database} WITH (FORCE)")
        db_bench._pg_execute(f"CREATE DATABASE {args.pg_database}")
        env["DATABASE_URL"] = f"{db_bench.PG_SERVER}/{args.pg_database}"
    command = [sys.executable, __file__, "--child", "--database", args.database, "--students", str(args.students)]
    command += ["--seed", str(args.seed), "--work", str(work)]
    result: dict[str, Any] | None = None
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(RESULT):
                result = json.loads(line[len(RESULT) :])
            elif not args.json:
                print(line, end="", flush=True)
    if process.returncode != 0 or result is None:
        print(f"impact_bench: the {args.database} run failed (exit {process.returncode})", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
        return 0
    print()
    print(f"Policy impact preview, {result['students']:,} stored NTUT students, upload to finished preview,")
    print(f"{os.cpu_count()} CPUs, {result['database']}, in-process (no broker):")
    print(f"  {result['students_per_second']:,.0f} students/s  {result['seconds']:.1f} s")
    print(f"  {result['changed']:,} students would change, {result['failed']} could not be audited")
    return 0


def _changed_folder(target: Path) -> Path:
    from menkan.engine import SHIPPED_POLICIES

    folder = target / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    graduation = folder / "graduation.yaml"
    text = graduation.read_text(encoding="utf-8")
    if text.count(OLD_OVERRIDE) != 1:
        raise SystemExit("impact_bench: department 340's professional-elective minimum is no longer where it was")
    graduation.write_text(text.replace(OLD_OVERRIDE, NEW_OVERRIDE), encoding="utf-8")
    return folder


def child(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "menkan.web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from menkan.web.audits.models import PolicyDraft
    from menkan.web.audits.services import policy_draft_create, policy_files_read, policy_publish_shipped
    from menkan.web.records.models import Institution

    work = Path(args.work)
    say(f"== {args.database}: {args.students:,} students ==")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    version = policy_publish_shipped("ntut", reaudit=False)
    say(f"  migrated and published {version} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    documents = db_bench.make_cohort(args.students, args.seed, work / "cohort.jsonl")
    courses = db_bench.load_students(documents)
    del documents
    say(
        f"  generated and loaded {args.students:,} students, {courses:,} course records in "
        f"{time.perf_counter() - started:.1f} s (not part of the figure)"
    )
    folder = _changed_folder(work)
    institution = Institution.objects.get(code="ntut")

    started = time.perf_counter()
    uploads = [(path.name, path.open("rb")) for path in sorted(folder.glob("*.yaml"))]
    try:
        files = policy_files_read(uploads)
    finally:
        for _, handle in uploads:
            handle.close()
    draft = policy_draft_create(institution, files, note="bench")  # eager: the preview runs here, now
    seconds = time.perf_counter() - started

    draft = PolicyDraft.objects.get(pk=draft.pk)
    if draft.state != PolicyDraft.State.READY:
        say(f"  the preview did not finish: {draft.state} {draft.error}")
        return 1
    totals = draft.report["totals"]
    result = {
        "database": args.database,
        "students": totals["audited"] + totals["failed"],
        "changed": totals["changed"],
        "failed": totals["failed"],
        "seconds": round(seconds, 3),
        "students_per_second": round((totals["audited"] + totals["failed"]) / seconds, 1) if seconds else 0.0,
    }
    print(RESULT + json.dumps(result), flush=True)
    return 0


def say(text: str) -> None:
    print(text, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
