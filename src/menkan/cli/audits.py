"""The commands over students' records: audit, forecast, fees and the pass-rates report."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TextIO

from menkan.cli.inputs import (
    EXIT_INPUT,
    Progress,
    audit_check,
    institution_check,
    institution_lookup,
    no_input,
    parse_day,
    parse_term,
    refused,
    runtime_for,
    validated,
)
from menkan.cli.policies import binary_refused, write_rendered
from menkan.engine import (
    INSTITUTION_FILE,
    FeePolicy,
    InputProblem,
    Runtime,
    Student,
    Term,
    fee_policy_from,
    fee_statement,
    grade_problems,
    latest_term,
    load_policy_dir,
    load_shipped,
    load_shipped_fees,
    render,
    render_statement,
)


def command_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if no_input(args.file, err):
        return EXIT_INPUT
    as_of = parse_term(args.as_of)
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    students, problems = validated(args.file, audit_check(folder, cache))
    if refused(problems, args.keep_going, err):
        return EXIT_INPUT
    progress = Progress(len(students), err, args.progress or err.isatty())
    first = True
    for student in students:
        result = runtime_for(student, folder, cache).audit(student, as_of=as_of or latest_term(student))
        if args.format == "json":
            out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        else:
            if not first:
                out.write("\n")
            out.write(render(result, lang=args.lang) + "\n")
        first = False
        progress.step()
    return EXIT_INPUT if problems else 0


FORECAST_COLUMNS = (
    "student_id",
    "institution",
    "department",
    "class_code",
    "as_of",
    "verdict",
    "terms_left",
    "credits_missing",
    "capacity",
    "reasons_zh",
    "reasons_en",
    "missing",
)


def command_forecast(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Each student's verdict (on-track, at-risk, cannot-finish) with its reasons, from their audit."""
    import csv

    from menkan.foresight.forecast import ForecastCounts, forecast, render_forecast

    if no_input(args.file, err):
        return EXIT_INPUT
    as_of = parse_term(args.as_of)
    assert as_of is not None
    today = parse_day(args.today, "--today") or date.today()
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    institution_of = institution_lookup(
        folder, lambda student: runtime_for(student, folder, cache).policy_set.institution
    )
    students, problems = validated(args.file, institution_check(institution_of))
    if refused(problems, args.keep_going, err):
        return EXIT_INPUT
    counts = ForecastCounts()
    writer = csv.writer(out) if args.format == "csv" else None
    if writer is not None:
        writer.writerow(FORECAST_COLUMNS)
    for number, student in enumerate(students):
        runtime = runtime_for(student, folder, cache)
        audit = runtime.audit(student, as_of=as_of).as_dict()
        item = forecast(runtime.policy_set.institution, student, audit, as_of=as_of, today=today)
        counts.add(item)
        if args.format == "json":
            out.write(json.dumps(item.as_dict(), ensure_ascii=False) + "\n")
        elif writer is not None:
            row = item.as_dict()
            writer.writerow(
                [
                    item.student_id,
                    item.institution,
                    item.department,
                    item.class_code or "",
                    row["as_of"],
                    item.verdict,
                    "" if item.terms_left is None else item.terms_left,
                    row["credits_missing"],
                    "" if item.capacity is None else row["capacity"],
                    "; ".join(reason.text["zh-TW"] for reason in item.reasons),
                    "; ".join(reason.text["en"] for reason in item.reasons),
                    " ".join(short.id for short in item.shortfalls if short.short > 0),
                ]
            )
        else:
            out.write(("\n" if number else "") + render_forecast(item, lang=args.lang) + "\n")
    if args.format == "text" and students:
        tally = ", ".join(f"{n} {verdict}" for verdict, n in counts.total.items())
        out.write(f"\n{len(students)} students: {tally}\n")
    return EXIT_INPUT if problems else 0


def command_fees(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if no_input(args.file, err):
        return EXIT_INPUT
    try:
        term = Term.parse(args.term)
    except ValueError as exc:
        err.write(f"menkan: --term: {exc}\n")
        return EXIT_INPUT
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, FeePolicy] = {}

    def fee_policy(student: Student) -> FeePolicy:
        key = student.institution
        if key not in cache:
            if folder is None:
                cache[key] = load_shipped_fees(key)
            else:
                cache[key] = fee_policy_from(load_policy_dir(folder), folder / INSTITUTION_FILE)
        return cache[key]

    institution_of = institution_lookup(folder, lambda student: fee_policy(student).institution)
    students, problems = validated(args.file, institution_check(institution_of))
    if refused(problems, args.keep_going, err):
        return EXIT_INPUT
    first = True
    for student in students:
        statement = fee_statement(student, fee_policy(student), term)
        if args.format == "json":
            out.write(json.dumps(statement.as_dict(), ensure_ascii=False) + "\n")
        else:
            out.write(("" if first else "\n") + render_statement(statement, lang=args.lang) + "\n")
        first = False
    return EXIT_INPUT if problems else 0


def command_report_pass_rates(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from menkan.reports import audit_pass_rates, render

    if no_input(args.file, err):
        return EXIT_INPUT
    as_of = parse_term(args.as_of)
    assert as_of is not None
    policy_set = load_policy_dir(Path(args.policies)) if args.policies else load_shipped(args.institution)
    if policy_set.id != args.institution:
        err.write(f"menkan: --policies: the folder is {policy_set.id!r}'s, not {args.institution!r}'s\n")
        return EXIT_INPUT
    if binary_refused(args, out, err):
        return EXIT_INPUT
    institution = policy_set.institution

    def check(student: Student) -> list[InputProblem]:
        # Students of other institutions are left out of the report (and counted), not refused.
        return grade_problems(student, institution) if student.institution == institution.id else []

    students, problems = validated(args.file, check)
    if refused(problems, args.keep_going, err):
        return EXIT_INPUT
    report, skipped = audit_pass_rates(students, policy_set, as_of)
    if skipped:
        err.write(f"menkan: skipped {skipped} students of other institutions than {args.institution}\n")
    write_rendered(render(report, args.format, args.lang), args.output, out)
    return EXIT_INPUT if problems else 0
