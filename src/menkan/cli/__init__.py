"""The `menkan` command: a thin layer that parses arguments and calls the engine (or, later, the portal)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from menkan.cli.audits import command_audit, command_fees, command_forecast, command_report_pass_rates
from menkan.cli.inputs import EXIT_INPUT, write_problems
from menkan.cli.policies import (
    command_policy_check,
    command_policy_impact,
    command_policy_publish,
    command_policy_schema,
)
from menkan.cli.portal import command_batch_audit, command_demo, command_notices_send, command_serve
from menkan.engine import InputError


def _keep_going(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=f"{verb} the good records even if some are bad (the bad ones are listed on stderr; exit status 2)",
    )


def _student_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="one student JSON, or JSONL with one student per line (- : stdin)")


def _policies_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", help="a policy folder to use instead of the shipped policies")


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progress", action="store_true", help="show progress on stderr even when not a terminal")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="menkan", description="Graduation-requirements audits (門檻).")
    commands = parser.add_subparsers(dest="command", required=True)

    audit_parser = commands.add_parser("audit", help="audit students from a JSON or JSONL file")
    _student_file(audit_parser)
    audit_parser.add_argument("--as-of", help="audit as of this term (e.g. 114-1); default: the latest in the records")
    audit_parser.add_argument("--format", choices=["text", "json"], default="text")
    audit_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both")
    _policies_option(audit_parser)
    _progress_option(audit_parser)
    _keep_going(audit_parser, "audit")
    audit_parser.set_defaults(handler=command_audit)

    fees_parser = commands.add_parser("fees", help="credit-fee statements of students for one term")
    _student_file(fees_parser)
    fees_parser.add_argument("--term", required=True, help="the term billed (e.g. 114-1)")
    fees_parser.add_argument("--format", choices=["text", "json"], default="text")
    fees_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both")
    _policies_option(fees_parser)
    _keep_going(fees_parser, "bill")
    fees_parser.set_defaults(handler=command_fees)

    forecast_parser = commands.add_parser(
        "forecast", help="who can still finish in the study period: on-track, at-risk, cannot-finish, with reasons"
    )
    _student_file(forecast_parser)
    forecast_parser.add_argument("--as-of", required=True, help="the term of the forecast (e.g. 114-1)")
    forecast_parser.add_argument("--today", help="the day deadlines are judged on (YYYY-MM-DD; default: today)")
    forecast_parser.add_argument("--format", choices=["text", "json", "csv"], default="text")
    forecast_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both", help="text output")
    _policies_option(forecast_parser)
    _keep_going(forecast_parser, "forecast")
    forecast_parser.set_defaults(handler=command_forecast)

    policy_parser = commands.add_parser("policy", help="policy files: check, publish, preview their impact, schema")
    policy_commands = policy_parser.add_subparsers(dest="policy_command", required=True)
    check_parser = policy_commands.add_parser("check", help="validate policy folders (default: the shipped ones)")
    check_parser.add_argument("path", nargs="?", help="an institution folder, or a folder of them")
    check_parser.set_defaults(handler=command_policy_check)
    publish_parser = policy_commands.add_parser(
        "publish", help="make a policy folder its institution's current version in the database (re-audits)"
    )
    publish_parser.add_argument("path", help="an institution folder (institution.yaml + policy files)")
    publish_parser.add_argument("--note", default="", help="why this version (kept with it)")
    publish_parser.set_defaults(handler=command_policy_publish)
    impact_parser = policy_commands.add_parser(
        "impact",
        help="who a new policy folder would change: every student audited under the current and the new policies",
        description="Audits every student under the current policies (the shipped ones of their institution, or "
        "--policies) and under NEW_POLICY_PATH, and lists each student whose overall status or any requirement's "
        "status or earned amount changes (requirement id, old -> new), with counts by department and by status. "
        "Nothing is stored.",
    )
    impact_parser.add_argument("path", metavar="NEW_POLICY_PATH", help="the new institution folder")
    impact_parser.add_argument("file", help="JSONL with one student record per line (- : stdin)")
    impact_parser.add_argument("--as-of", help="audit as of this term (e.g. 114-1); default: each student's latest")
    impact_parser.add_argument("--format", choices=["text", "json", "csv", "xlsx"], default="text")
    impact_parser.add_argument("--output", "-o", help="write to this file instead of standard output")
    impact_parser.add_argument("--policies", help="the current policy folder instead of the shipped policies")
    _progress_option(impact_parser)
    _keep_going(impact_parser, "compare")
    impact_parser.set_defaults(handler=command_policy_impact)
    schema_parser = policy_commands.add_parser("schema", help="print the JSON Schema of the policy language")
    schema_parser.add_argument("--institution", action="store_true", help="the schema of institution.yaml instead")
    schema_parser.set_defaults(handler=command_policy_schema)

    report_parser = commands.add_parser("report", help="reports over students' audits")
    report_commands = report_parser.add_subparsers(dest="report_command", required=True)
    rates_parser = report_commands.add_parser(
        "pass-rates",
        help="pass rates of seniors per item: the university, by college, by department",
        description="Seniors are students in their 4th study year as of --as-of (two enrolled semesters a year "
        "from admitted_into_year; semesters on leave do not count; the institution's policy may set another year).",
    )
    rates_parser.add_argument("file", help="JSONL with one student record per line (- : stdin)")
    rates_parser.add_argument("--institution", required=True, help="the institution whose policies apply (e.g. ncut)")
    rates_parser.add_argument("--as-of", required=True, help="the term of the report (e.g. 114-1)")
    rates_parser.add_argument("--format", choices=["text", "json", "csv", "xlsx"], default="text")
    rates_parser.add_argument("--lang", choices=["zh-TW", "en"], default="zh-TW", help="labels of text and xlsx")
    rates_parser.add_argument("--output", "-o", help="write to this file instead of standard output")
    _policies_option(rates_parser)
    _keep_going(rates_parser, "report on")
    rates_parser.set_defaults(handler=command_report_pass_rates)

    demo_parser = commands.add_parser("demo", help="the portal on its embedded database with the demo cohort")
    demo_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both")
    demo_parser.add_argument("--print", action="store_true", help="only print the demo cohort's audits (no portal)")
    demo_parser.add_argument("--no-serve", action="store_true", help="set everything up, but do not serve")
    demo_parser.add_argument("--reset", action="store_true", help="start from an empty embedded database")
    demo_parser.add_argument("--address", default="127.0.0.1:8000")
    demo_parser.set_defaults(handler=command_demo)

    serve_parser = commands.add_parser(
        "serve",
        help="the production stack in the foreground: gunicorn, a Celery worker and beat (PostgreSQL, Redis)",
        description="Migrates, collects the static files, then runs gunicorn, a Celery worker and Celery beat until "
        "Ctrl-C. Needs DATABASE_URL and CELERY_BROKER_URL; on a loopback address it is a local trial (plain HTTP, "
        "a secret key kept in MENKAN_VAR), elsewhere the production settings' variables (docs/deploy.md).",
    )
    serve_parser.add_argument("--bind", default=os.environ.get("MENKAN_BIND", "127.0.0.1:8000"), help="HOST:PORT")
    serve_parser.add_argument("--demo", action="store_true", help="load the demo data and accounts if no students")
    serve_parser.add_argument("--web-workers", type=int, help="gunicorn worker processes (default: WEB_CONCURRENCY)")
    serve_parser.add_argument("--concurrency", type=int, help="Celery pool processes (default: one per core)")
    serve_parser.add_argument(
        "--create-database", action="store_true", help="create the PostgreSQL database if it is not there"
    )
    serve_parser.set_defaults(handler=command_serve)

    batch_parser = commands.add_parser("batch-audit", help="re-audit the student body in the database")
    batch_parser.add_argument("--institution", help="only this institution's students")
    batch_parser.add_argument("--chunk", type=int, help="students per task (default: MENKAN_BATCH_CHUNK or 500)")
    batch_parser.add_argument(
        "--all",
        action="store_true",
        help="audit everyone again, also students whose records, exceptions, "
        "policy and term are unchanged since their stored audit (who are otherwise skipped)",
    )
    batch_parser.set_defaults(handler=command_batch_audit)

    notices_parser = commands.add_parser("notices", help="scheduled notices to seniors, mentors and department heads")
    notices_commands = notices_parser.add_subparsers(dest="notices_command", required=True)
    send_parser = notices_commands.add_parser("send", help="send the notices due today (each person gets one once)")
    send_parser.add_argument("--date", help="act as if today were this day (YYYY-MM-DD)")
    send_parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    send_parser.add_argument("--institution", help="only this institution's notices")
    send_parser.set_defaults(handler=command_notices_send)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args, out, err)
    except InputError as exc:
        out.flush()
        write_problems(exc.problems, err)
        return EXIT_INPUT
    except BrokenPipeError:
        return 0
    return code


__all__ = ["build_parser", "main"]
