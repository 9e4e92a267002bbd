"""The commands that run the portal (demo, batch-audit, notices, serve) and the demo cohort's printout."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import TextIO

from menkan.cli.inputs import EXIT_INPUT, runtime_for
from menkan.engine import Runtime, iter_students, latest_term, render, summary_line

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def command_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.print:
        from menkan.web import portal

        if args.reset:
            portal.reset()
        command_demo_print(args, out, err)
        return portal.demo(serve=not args.no_serve, address=args.address, out=out)
    return command_demo_print(args, out, err)


def command_batch_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from menkan.web import portal

    return portal.batch_audit(args.institution, out, err, chunk=args.chunk, full=args.all)


def command_notices_send(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:

    from menkan.web.notices.commands import notices_send

    try:
        today = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        err.write(f"menkan: --date {args.date!r}: expected YYYY-MM-DD\n")
        return EXIT_INPUT
    return notices_send(today, args.dry_run, args.institution, out, err)


def command_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # The environment as given, before importing the portal (which sets DJANGO_SETTINGS_MODULE to its default).
    environment = dict(os.environ)
    from menkan.web.serve import ServeOptions, serve

    options = ServeOptions(
        bind=args.bind,
        demo=args.demo,
        web_workers=args.web_workers,
        concurrency=args.concurrency,
        create_database=args.create_database,
    )
    return serve(options, environment, out, err)


def command_demo_print(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    files = sorted(DEMO_DIR.glob("*.jsonl"))
    if not files:
        err.write("menkan: no demo cohort is shipped\n")
        return EXIT_INPUT
    cache: dict[str, Runtime] = {}
    for path in files:
        students = list(iter_students(path))
        out.write(f"\n== {path.stem}: {len(students)} students ==\n")
        results = [runtime_for(student, None, cache).audit(student, as_of=latest_term(student)) for student in students]
        for result in results:
            out.write(summary_line(result) + "\n")
        if results and args.print:
            out.write("\n" + render(results[0], lang=args.lang) + "\n")
    return 0
