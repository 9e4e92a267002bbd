"""Database batch audits: a synthetic NTUT student body in a fresh SQLite or PostgreSQL database, re-audited
end to end (read the records, audit, store AuditResult + RequirementStatus) the way `menkan batch-audit`
does it: in-process (Celery eager, one process) and through a Redis broker with N Celery worker processes.

    python bench/db_bench.py --database both --students 30000 --workers 2 [--pg-database menkan_bench]

Each database is benchmarked in a child process of its own (Django reads DATABASE_URL at start-up):
a fresh database (SQLite file in a temporary directory; PostgreSQL database `menkan_bench`, dropped and
recreated), migrations, the shipped NTUT policy, the students bulk-loaded (timed, but not part of the
figure), then one timed batch run per mode: `eager` and `celery` from empty result tables (every student
audited), then `incremental`: 1 % of the students get a changed grade (a bulk update, as an import outside the
portal would make) and a batch that audits only what changed runs over the stored results, in-process.
Each run reports the peak resident memory of the processes that ran its chunks (VmHWM, from /proc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

PG_SERVER = os.environ.get("MENKAN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("MENKAN_BENCH_PG_DATABASE", "menkan_bench")  # --pg-database
REDIS_URL = os.environ.get("MENKAN_BENCH_REDIS", "redis://127.0.0.1:6379/14")
QUEUE = f"menkan-bench-{os.getpid()}"  # (in the child) a queue of its own: nothing else takes its chunks
RESULT = "RESULT "
RSS_TARGET_MB = 400  # issue #15: each worker process under 400 MB resident on the 30,000-student run
PHASES = ("read", "validate", "audit", "store")
# a chunk's line as menkan logs it (the worker's log has each line twice: bare, and again through Celery's logging)
# a chunk's timings as the batch service logs them (at DEBUG); anchored, because a worker's log has each line
# twice: bare from menkan's handler, and again behind Celery's prefix
_CHUNK_LINE = re.compile(
    r"^batch (\d+) chunk: (\d+) students, (\d+) failed(?:, (\d+) unchanged)?; "
    + r" ".join(rf"{p} (\S+) s" for p in PHASES)
)


# ---------------------------------------------------------------- parent: one child process per database


def main() -> int:
    global PG_DATABASE
    parser = argparse.ArgumentParser(description="Batch audits of a database student body (SQLite, PostgreSQL).")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--students", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes for the broker run")
    parser.add_argument(
        "--modes",
        default="eager,celery,incremental",
        help="eager (in-process), celery (Redis + workers), incremental (1 %% changed, in-process, after a full run)",
    )
    parser.add_argument("--changed", type=float, default=0.01, help="share of students changed for incremental")
    parser.add_argument("--chunk", type=int, default=None, help="students per task (default: MENKAN_BATCH_CHUNK)")
    parser.add_argument("--seed", type=int, default=115)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON lines only")
    parser.add_argument(
        "--pg-database", default=PG_DATABASE, help="PostgreSQL database to create, use and drop (default: %(default)s)"
    )
    parser.add_argument("--profile", help="eager runs: write a cProfile of the timed run to this file (.prof)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cohort", help=argparse.SUPPRESS)
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(modes) - {"eager", "celery", "incremental"}:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.pg_database):
        parser.error(f"--pg-database {args.pg_database!r}: lower-case letters, digits and _ only")
    PG_DATABASE = args.pg_database
    if args.child:
        return child(args, modes)

    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    skipped: list[str] = []
    if "postgresql" in databases and (problem := _pg_unreachable()):
        databases.remove("postgresql")
        skipped.append(f"postgresql: SKIPPED, {problem}")
    if "celery" in modes and (problem := _redis_unreachable()):
        modes.remove("celery")
        skipped.append(f"Celery runs: SKIPPED, {problem}")
    for line in skipped:
        print(f"db_bench: {line}", file=sys.stderr)
    results: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="menkan-bench-"))
    try:
        for database in databases:
            if modes and not run_child(database, args, modes, work, results):
                return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if "postgresql" in databases:
            _pg_drop()
    if args.json:
        for result in results:
            print(json.dumps(result))
        return 0
    print()
    print(f"Database batch audit, {args.students:,} NTUT students, end to end (read records, audit, store results),")
    print(f"{os.cpu_count()} CPUs; the phases are summed over the processes that ran the chunks:")
    print(f"  {'database':<11} {'mode':<34} {'students/s':>10} {'total s':>8}   " + "  ".join(PHASES) + "   peak RSS")
    for r in results:
        phases = "  ".join(f"{r['phases'][p]:>{len(p)}.1f}" for p in PHASES)
        figure = f"{r['students_per_second']:>10,.0f} {r['seconds']:>8.1f}"
        rss = f"{r['peak_rss_mb']:,.0f} MB" if r.get("peak_rss_mb") else "-"
        print(f"  {r['database']:<11} {r['mode_label']:<34} {figure}   {phases}   {rss} (target < {RSS_TARGET_MB} MB)")
    for line in skipped:
        print(f"  {line}")
    return 0


def _pg_unreachable() -> str | None:
    import psycopg

    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {PG_SERVER} ({str(exc).strip().splitlines()[0]})"
    return None


def _redis_unreachable() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL} ({exc})"
    return None


def run_child(database: str, args: argparse.Namespace, modes: list[str], work: Path, results: list[Any]) -> bool:
    """Benchmark one database in a child process (Django reads DATABASE_URL once, at start-up)."""
    var = work / database
    var.mkdir()
    env = dict(os.environ, MENKAN_VAR=str(var), MENKAN_SECRET_KEY="bench", CELERY_BROKER_URL=REDIS_URL)
    env.pop("CELERY_RESULT_BACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    else:
        _pg_drop()
        _pg_execute(f"CREATE DATABASE {PG_DATABASE}")
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    command = [sys.executable, __file__, "--child", "--database", database, "--students", str(args.students)]
    command += ["--workers", str(args.workers), "--modes", ",".join(modes), "--seed", str(args.seed)]
    command += ["--cohort", str(work / "cohort.jsonl"), "--changed", str(args.changed)]
    if args.chunk:
        command += ["--chunk", str(args.chunk)]
    if args.profile:
        command += ["--profile", f"{args.profile}.{database}"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(RESULT):
                results.append(json.loads(line[len(RESULT) :]))
            elif not args.json:
                print(line, end="", flush=True)
    if process.returncode != 0:
        print(f"db_bench: the {database} run failed (exit {process.returncode})", file=sys.stderr)
        return False
    return True


def _pg_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _pg_drop() -> None:
    _pg_execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


# ---------------------------------------------------------------- child: set up, load, run


def child(args: argparse.Namespace, modes: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "menkan.web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from menkan.web import celery_app

    celery_app.conf.task_default_queue = QUEUE

    from menkan.web.audits.services import policy_publish_shipped

    database = args.database
    say(f"== {database}: {args.students:,} students ==")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    version = policy_publish_shipped("ntut", reaudit=False)
    say(f"  migrated and published {version} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    documents = make_cohort(args.students, args.seed, Path(args.cohort))
    say(f"  {len(documents):,} students generated (or read back) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    courses = load_students(documents)
    del documents
    say(f"  loaded {args.students:,} students, {courses:,} course records in {time.perf_counter() - started:.1f} s")
    say("  (generating and loading are not part of the figures)")
    for mode in modes:
        result = run_mode(database, mode, args)
        print(RESULT + json.dumps(result), flush=True)
    return 0


def change_some(share: float, seed: int) -> int:
    """Change one course grade of `share` of the students, by a bulk update (no signal: the way grades imported
    outside the portal arrive; the database's triggers bump those students' revisions, as they would for an
    import's SQL), so that an incremental batch has these to audit. Returns how many changed."""
    from django.db import transaction

    from menkan.web.records.models import CourseRecord, Student

    pks = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(seed).sample(pks, max(1, round(len(pks) * share)))
    with transaction.atomic():
        firsts = CourseRecord.objects.filter(student_id__in=chosen).order_by("student_id", "pk")
        course_pks = {student: pk for student, pk in reversed(firsts.values_list("student_id", "pk"))}
        CourseRecord.objects.filter(pk__in=list(course_pks.values())).update(grade="59")
    return len(chosen)


def say(text: str) -> None:
    print(text, flush=True)


def make_cohort(count: int, seed: int, path: Path) -> list[dict[str, Any]]:
    """`count` NTUT seniors from bench/cohort.py (the real curriculum standards and catalog), kept in `path`
    so that the second database loads the same students without generating them again."""
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]
    import cohort

    from menkan.engine import load_shipped

    policy_set = load_shipped("ntut")
    walked = cohort._walk_all(policy_set)
    cohort._walk_all = lambda _policy_set: walked  # the generator walks the policies once per student otherwise
    rng = random.Random(seed)
    standards, catalog = cohort.load_standards(), cohort.load_catalog()
    documents = [
        cohort.make_student(i, policy_set, standards, catalog, rng, overlap=rng.random() < 0.25, admission_year=112)
        for i in range(count)
    ]
    with path.open("w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json.dumps(document, ensure_ascii=False) + "\n")
    return documents


_COURSE_COLUMNS = ("student_id", "code", "title", "credits", "term", "grade", "offered_by", "category", "tags")
_COURSE_COLUMNS += ("delivery", "transfer", "level")


def load_students(documents: list[dict[str, Any]]) -> int:
    """Bulk-load the students (ORM bulk_create) and their course records (COPY on PostgreSQL, executemany on
    SQLite: a million rows through the ORM would take minutes). Returns the number of course records."""
    from django.db import connection, transaction

    from menkan.web.records.models import CourseRecord, Department, Institution, Student

    institution = Institution.objects.get(code="ntut")
    departments = {d.code: d for d in Department.objects.filter(institution=institution)}
    table = CourseRecord._meta.db_table
    total = 0
    batch = 2000
    for start in range(0, len(documents), batch):
        part = documents[start : start + batch]
        with transaction.atomic():
            for document in part:
                if document["department"] not in departments:
                    departments[document["department"]] = Department.objects.create(
                        institution=institution, code=document["department"], name_zh=document["department"]
                    )
            students = Student.objects.bulk_create(
                [
                    Student(
                        institution=institution,
                        student_id=document["student_id"],
                        department=departments[document["department"]],
                        division=document["division"],
                        degree=document["degree"],
                        admission_term=document["admission_term"],
                    )
                    for document in part
                ]
            )
            rows = []
            for student, document in zip(students, part, strict=True):
                seen = set()
                for course in document["courses"]:
                    key = (course["code"], course["term"])
                    if key in seen:  # the generator can pick the same course twice in a term
                        continue
                    seen.add(key)
                    tags = list(course.get("tags") or [])
                    rows.append(
                        (
                            student.pk,
                            course["code"],
                            course["title"],
                            Decimal(str(course["credits"])),
                            course["term"],
                            course.get("grade"),
                            course.get("offered_by") or "",
                            course.get("category") or "",
                            tags,
                            "in-person",
                            False,
                            "",
                        )
                    )
            total += len(rows)
            if connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                with connection.cursor() as cursor:
                    columns = ", ".join(_COURSE_COLUMNS)
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row((*row[:8], Jsonb(row[8]), *row[9:]))
            else:
                placeholders = ", ".join(["%s"] * len(_COURSE_COLUMNS))
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(_COURSE_COLUMNS)}) VALUES ({placeholders})",
                        [(*row[:8], json.dumps(row[8]), *row[9:]) for row in rows],
                    )
    _analyze()
    return total


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _clear_results() -> None:
    from django.db import connection, transaction

    from menkan.web.audits.models import AuditResult, BatchRun, RequirementStatus

    with transaction.atomic():
        RequirementStatus.objects.all()._raw_delete(RequirementStatus.objects.db)
        AuditResult.objects.all()._raw_delete(AuditResult.objects.db)
        BatchRun.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audits_auditresult")
            cursor.execute("VACUUM ANALYZE audits_requirementstatus")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _ChunkLog(logging.Handler):
    """Collects the per-chunk phase timings the batch service logs (in-process runs)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _phases(lines: list[str], run_pk: int) -> tuple[dict[str, float], int]:
    totals: dict[str, float] = defaultdict(float)
    chunks = 0
    for line in lines:
        match = _CHUNK_LINE.match(line)
        if match and int(match.group(1)) == run_pk:
            chunks += 1
            for index, phase in enumerate(PHASES):
                totals[phase] += float(match.group(5 + index))
    return {p: round(totals[p], 3) for p in PHASES}, chunks


def run_mode(database: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """One timed batch run, as `menkan batch-audit` runs it: eager and celery from empty result tables (every
    student audited, `--all`), incremental over the stored results after changing some students."""
    from django.conf import settings

    from menkan.web import celery_app
    from menkan.web.audits.models import AuditResult, BatchRun, RequirementStatus
    from menkan.web.portal import batch_audit

    changed = None
    if mode == "incremental":
        if not AuditResult.objects.exists():  # (run alone: audit everyone first, untimed)
            celery_app.conf.task_always_eager = True  # in-process: the broker has no worker for the bench's queue
            batch_audit(None, _Quiet(), _Quiet(), chunk=args.chunk, full=True)
        changed = change_some(args.changed, args.seed)
        _analyze()
    else:
        _clear_results()
    workers: subprocess.Popen[bytes] | None = None
    log_path = Path(os.environ["MENKAN_VAR"]) / f"worker-{mode}.log"
    handler = _ChunkLog()
    logger = logging.getLogger("menkan.audits")
    if mode in ("eager", "incremental"):
        celery_app.conf.task_always_eager = True
        label = "eager, in-process (1)"
        if mode == "incremental":
            label = f"incremental, {changed:,} changed, in-process"
        logger.addHandler(handler)
        previous_level = logger.level
        logger.setLevel(logging.DEBUG)
    else:
        celery_app.conf.task_always_eager = False
        label = f"Celery + Redis, {args.workers} workers"
        workers = _start_workers(args.workers, log_path)
    say(f"-- {database}, {label}")
    try:
        out = _Tee()
        tree = os.getpid() if workers is None else workers.pid
        machine, own = _cpu_busy(), _process_tree_cpu(tree) + time.process_time()
        profiler = None
        if args.profile and mode == "eager":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        _peak_rss_reset()
        code = batch_audit(None, out, sys.stderr, chunk=args.chunk, full=mode != "incremental")
        peak_rss = _peak_rss_mb(workers.pid if workers is not None else os.getpid())
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        machine_busy = _cpu_busy() - machine
        own_busy = _process_tree_cpu(tree) + time.process_time() - own
    finally:
        if workers is not None:
            _stop_workers(workers)
        if mode != "celery":
            logger.removeHandler(handler)
            logger.setLevel(previous_level)
    cores = os.cpu_count() or 1
    say(
        f"   the machine's {cores} cores were {machine_busy / seconds / cores:.0%} busy: "
        f"{own_busy / seconds / cores:.0%} this benchmark's Python processes, the rest the database server, "
        "Redis and anything else running"
    )
    run = BatchRun.objects.latest("pk")
    lines = handler.lines if mode != "celery" else log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    phases, chunks = _phases(lines, run.pk)
    stored = AuditResult.objects.count()
    if code != 0 or run.done != args.students or stored != args.students or run.state != BatchRun.State.DONE:
        raise SystemExit(f"batch run incomplete: exit {code}, {run}, {stored} results stored")
    if changed is not None and run.audited != changed:
        raise SystemExit(f"the incremental run audited {run.audited} students, {changed} were changed")
    # an incremental run's chunks carry only the students to audit (the unchanged are counted when it is created)
    expected_chunks = -(-(changed or args.students) // (args.chunk or settings.MENKAN_BATCH_CHUNK))
    if chunks and chunks != expected_chunks:  # (none at all: a version of menkan that does not log them)
        raise SystemExit(f"{chunks} chunk timings found for {expected_chunks} chunks")
    return {
        "database": database,
        "mode": mode,
        "mode_label": label,
        "workers": args.workers if mode == "celery" else 1,
        "audited": run.audited,
        "skipped": run.skipped,
        "peak_rss_mb": peak_rss,
        "rss_target_mb": RSS_TARGET_MB,
        "students": args.students,
        "seconds": round(seconds, 2),
        "students_per_second": round(args.students / seconds),
        "phases": phases,
        "chunks": chunks,
        "requirement_rows": RequirementStatus.objects.count(),
        "cpus": cores,
        "cpu_busy_seconds": round(machine_busy, 1),
        "benchmark_cpu_seconds": round(own_busy, 1),
    }


def _cpu_busy() -> float:
    """CPU seconds the whole machine has been busy (all processes: this benchmark, the database server, and
    anything else running), from /proc/stat; 0 where there is none."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> set[int]:
    """`root` and its descendants, from /proc (just `root` where there is none)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree = {root}
    changed = True
    while changed:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        changed = bool(children)
        tree |= children
    return tree


def _process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by the Celery worker `root` and its pool processes, from /proc (0 where there
    is none). With root = this process: its children only (nothing, in-process; process_time() adds ours)."""
    ticks = os.sysconf("SC_CLK_TCK")
    tree = _process_tree(root)
    if root == os.getpid():
        tree.discard(root)
    used = 0.0
    for pid in tree:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used += (int(fields[11]) + int(fields[12])) / ticks
    return used


def _peak_rss_reset() -> None:
    """Forget this process's peak resident size so far (loading the cohort is not part of the run): Linux
    resets VmHWM when "5" is written to /proc/self/clear_refs."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb(root: int) -> float | None:
    """The largest peak resident size (VmHWM) of `root` and its child processes, in MB (a Celery worker: its
    main process and its pool processes, read before they stop); None where /proc has none."""
    tree = _process_tree(root)
    peaks = []
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return round(max(peaks), 1) if peaks else None


class _Quiet:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class _Tee:
    """Passes the batch command's result line through to stdout."""

    def write(self, text: str) -> int:
        sys.stdout.write(text)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _start_workers(concurrency: int, log_path: Path) -> subprocess.Popen[bytes]:
    """A Celery worker (prefork, `concurrency` processes) on this run's own queue; returns once it answers."""
    from menkan.web import celery_app

    name = f"bench-{os.getpid()}@{socket.gethostname()}"
    env = dict(os.environ, MENKAN_LOG_LEVEL="DEBUG")  # the chunks' phase timings are logged at DEBUG
    command = [sys.executable, "-m", "celery", "-A", "menkan.web", "worker", f"--concurrency={concurrency}"]
    command += ["--pool=prefork", "--prefetch-multiplier=1", "--without-gossip", "--without-mingle"]
    command += ["-Q", QUEUE, "--loglevel=WARNING", "-n", name]
    log = log_path.open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180  # a loaded machine takes its time to set Django up and load the policies
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the Celery worker exited at start-up:\n{log_path.read_text(errors='replace')}")
        if celery_app.control.ping(destination=[name], timeout=0.5):
            return process
    process.kill()
    raise SystemExit("the Celery worker did not answer within 180 s")


def _stop_workers(process: subprocess.Popen[bytes]) -> None:
    from menkan.web import celery_app

    process.terminate()  # warm shutdown: finishes the task in hand
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with celery_app.connection_for_write() as connection:
        _forget_queue(connection, QUEUE)


def _forget_queue(connection: Any, name: str) -> None:
    """Delete a queue and its bindings from the broker (Redis keeps a queue's bindings otherwise; kombu
    deletes them only for a queue declared on the same channel)."""
    import kombu

    queue = kombu.Queue(name, kombu.Exchange(name, type="direct"), routing_key=name)(connection.default_channel)
    queue.declare()
    queue.delete()


if __name__ == "__main__":
    raise SystemExit(main())
