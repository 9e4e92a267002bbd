"""The issue #15 targets beside the measured figures: runs the engine benchmark and the database benchmark
(both with --json), or reads their JSON output from files, and says which targets are short.

    python bench/targets.py [--students 30000] [--pg-database menkan_bench] [--workers 2]
    python bench/targets.py --engine-json engine.json --db-json db.jsonl     # figures measured before

The parsing is tolerant: a figure missing from the output (a benchmark that was skipped, or that names it
otherwise) is reported as not measured, never as met.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

ENGINE_AUDITS_PER_SECOND = 4000
ENGINE_P99_MS = 1.0
BATCH_SECONDS = {"sqlite": 15.0, "postgresql": 20.0}  # two Celery workers, 30,000 students
INCREMENTAL_SECONDS = 2.0  # 1 % of the 30,000 changed
RSS_MB = 400.0
TARGET_STUDENTS = 30000


def main() -> int:
    parser = argparse.ArgumentParser(description="The performance targets beside the measured figures.")
    parser.add_argument("--students", type=int, default=TARGET_STUDENTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-database", default=None, help="passed to db_bench.py")
    parser.add_argument("--engine-json", type=Path, help="audit_bench.py --json output (instead of running it)")
    parser.add_argument("--db-json", type=Path, help="db_bench.py --json output (instead of running it)")
    args = parser.parse_args()

    if args.engine_json:
        engine_text = args.engine_json.read_text(encoding="utf-8")
    else:
        engine_text = _run([sys.executable, str(HERE / "audit_bench.py"), "--json"])
    if args.db_json:
        db_text = args.db_json.read_text(encoding="utf-8")
    else:
        command = [sys.executable, str(HERE / "db_bench.py"), "--json", "--students", str(args.students)]
        command += ["--workers", str(args.workers), "--database", args.database]
        if args.pg_database:
            command += ["--pg-database", args.pg_database]
        db_text = _run(command)
    rows = summary(_json_objects(engine_text), _json_objects(db_text))
    print()
    print("Targets (issue #15)")
    width = max(len(row[0]) for row in rows)
    measured_width = max(len(row[2]) for row in rows)
    print(f"  {'target':<{width}}  {'limit':<22} {'measured':<{measured_width}}  verdict")
    for name, target, measured, verdict in rows:
        print(f"  {name:<{width}}  {target:<22} {measured:<{measured_width}}  {verdict}")
    short = [row[0] for row in rows if row[3] == "SHORT"]
    missing = [row[0] for row in rows if row[3] == "not measured"]
    print(f"  short: {'; '.join(short) or 'none'}")
    if missing:
        print(f"  not measured: {'; '.join(missing)}")
    return 0


def _run(command: list[str]) -> str:
    """A benchmark's standard output (its progress goes to the terminal); what it printed even if it failed."""
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ), check=False)
    if done.returncode != 0:
        print(f"targets: {' '.join(command[1:2])} exited {done.returncode}", file=sys.stderr)
    return done.stdout


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object printed on a line of its own (other lines are ignored)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def _number(record: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _verdict(value: float | None, ok: bool) -> str:
    return "not measured" if value is None else ("met" if ok else "SHORT")


def summary(engine: list[dict[str, Any]], db: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(target, what it asks, what was measured, met / SHORT / not measured) for each target."""
    rows = []
    report = next((r for r in engine if _number(r, "audits_per_second") is not None), {})
    rate = _number(report, "audits_per_second")
    p99 = _number(report, "p99_ms")
    rows.append(
        (
            "engine throughput",
            f">= {ENGINE_AUDITS_PER_SECOND:,} audits/s",
            "-" if rate is None else f"{rate:,.0f} audits/s on one core",
            _verdict(rate, rate is not None and rate >= ENGINE_AUDITS_PER_SECOND),
        )
    )
    rows.append(
        (
            "engine p99",
            f"<= {ENGINE_P99_MS:g} ms",
            "-" if p99 is None else f"{p99:g} ms",
            _verdict(p99, p99 is not None and p99 <= ENGINE_P99_MS),
        )
    )
    by = {(r.get("database"), r.get("mode")): r for r in db}
    for database, limit in BATCH_SECONDS.items():
        for mode, allowed, what in (
            ("celery", limit, "2 Celery workers"),
            ("eager", 2 * limit, "one process, no broker"),
        ):
            rows.append(_seconds_row(by.get((database, mode)), f"batch {database}, {what}", allowed))
        rows.append(
            _seconds_row(by.get((database, "incremental")), f"incremental {database}, 1 % changed", INCREMENTAL_SECONDS)
        )
    peaks = [(r.get("database"), r.get("mode"), _number(r, "peak_rss_mb")) for r in db]
    measured = [(database, mode, peak) for database, mode, peak in peaks if peak is not None]
    worst = max(measured, key=lambda item: item[2]) if measured else None
    rows.append(
        (
            "worker peak RSS",
            f"< {RSS_MB:g} MB",
            "-" if worst is None else f"{worst[2]:,.0f} MB (largest: {worst[0]}, {worst[1]})",
            _verdict(None if worst is None else worst[2], worst is not None and worst[2] < RSS_MB),
        )
    )
    return rows


def _seconds_row(record: dict[str, Any] | None, name: str, allowed: float) -> tuple[str, str, str, str]:
    """A batch figure against its limit in seconds for 30,000 students (a smaller run is scaled and says so)."""
    if record is None:
        return name, f"<= {allowed:g} s", "-", "not measured"
    seconds, students = _number(record, "seconds"), _number(record, "students")
    if seconds is None or not students:
        return name, f"<= {allowed:g} s", "-", "not measured"
    scaled = seconds * TARGET_STUDENTS / students
    measured = f"{seconds:.1f} s for {students:,.0f}"
    if students != TARGET_STUDENTS:
        measured += f" (≈ {scaled:,.1f} s for 30,000)"
    return name, f"<= {allowed:g} s", measured, "met" if scaled <= allowed else "SHORT"


if __name__ == "__main__":
    raise SystemExit(main())
