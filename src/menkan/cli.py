"""The `menkan` command: a thin layer that parses arguments and calls the engine (or, later, the portal)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from menkan.engine import (
    INSTITUTION_FILE,
    SHIPPED_POLICIES,
    FeePolicy,
    GradeScale,
    InputError,
    InputProblem,
    Institution,
    Policy,
    Runtime,
    Student,
    StudentRead,
    Term,
    compile,
    exception_problems,
    fee_policy_from,
    fee_statement,
    grade_problems,
    iter_students,
    latest_term,
    load_policy_dir,
    load_shipped,
    load_shipped_fees,
    problem,
    read_students,
    read_students_text,
    render,
    render_statement,
    shipped_institutions,
    summary_line,
)

EXIT_INPUT = 2
LISTED_PROBLEMS = 20  # located errors printed before the rest are only counted ("… and N more")
STDIN = "-"
DEMO_DIR = Path(__file__).resolve().parent / "demo"


class Progress:
    """A one-line progress bar on stderr, shown only where a person is watching (a terminal) or asked for."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled, self.done = total, stream, enabled and total > 0, 0

    def step(self) -> None:
        self.done += 1
        if self.enabled and (self.done % 50 == 0 or self.done == self.total):
            width = 30
            filled = width * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def _runtime_for(student: Student, folder: Path | None, cache: dict[str, Runtime]) -> Runtime:
    """The compiled policies that apply to the student (of the --policies folder, or the shipped ones of the
    student's institution), compiled once per command for all the students they apply to."""
    key = student.institution
    if key not in cache:
        cache[key] = compile(load_policy_dir(folder) if folder is not None else load_shipped(key))
    return cache[key]


Check = Callable[[Student], list[InputProblem]]
"""What a command finds wrong with a well-formed record (grades off the scale, another institution): located
by path only; the reading locates them in the file."""


def _read(file: str) -> Iterator[StudentRead]:
    """The records of FILE (`-`: standard input), each with its problems."""
    if file == STDIN:
        return read_students_text(sys.stdin.read(), "<stdin>")
    return read_students(file)


def _validated(file: str, check: Check) -> tuple[list[Student], list[InputProblem]]:
    """Every record of the file checked before anything is computed: the good students, and every located
    problem of the others, in file order."""
    students: list[Student] = []
    problems: list[InputProblem] = []
    for read in _read(file):
        if read.student is None:
            problems.extend(read.problems)
            continue
        found = check(read.student)
        if found:
            problems.extend(read.locate(found))
        else:
            students.append(read.student)
    return students, problems


def _write_problems(problems: Sequence[InputProblem], err: TextIO) -> None:
    """Each problem on its own line, `file:line $.path: reason`; past LISTED_PROBLEMS only their count."""
    for item in problems[:LISTED_PROBLEMS]:
        err.write(f"menkan: {item.render()}\n")
    if len(problems) > LISTED_PROBLEMS:
        err.write(f"menkan: … and {len(problems) - LISTED_PROBLEMS} more\n")


def _no_input(file: str, err: TextIO) -> bool:
    """Whether FILE is missing (said on stderr)."""
    if file == STDIN or Path(file).exists():
        return False
    err.write(f"menkan: {file}: no such file\n")
    return True


def _refused(problems: Sequence[InputProblem], keep_going: bool, err: TextIO) -> bool:
    """Report the bad records; whether the command must stop before computing anything (no --keep-going)."""
    _write_problems(problems, err)
    return bool(problems) and not keep_going


def _institution_check(institution_of: Callable[[Student], Institution | None]) -> Check:
    """A record is checked against its institution's settings: policies exist for it, its grades are grades."""

    scales: dict[str, GradeScale] = {}

    def check(student: Student) -> list[InputProblem]:
        institution = institution_of(student)
        if institution is None:
            known = ", ".join(sorted(shipped_institutions())) or "none"
            return [problem(("institution",), "no-policies", institution=student.institution, known=known)]
        if institution.id != student.institution:
            return [
                problem(("institution",), "other-institution", institution=student.institution, policies=institution.id)
            ]
        scale = scales.get(institution.id)
        if scale is None or scale.grading is not institution.grading:
            scale = scales[institution.id] = GradeScale(institution.grading)
        return grade_problems(student, institution, scale)

    return check


def _parse_term(text: str | None) -> Term | None:
    if text is None:
        return None
    try:
        return Term.parse(text)
    except ValueError as exc:
        raise SystemExit(f"menkan: --as-of: {exc}") from None


def _institution_of(
    folder: Path | None, settings: Callable[[Student], Institution]
) -> Callable[[Student], Institution | None]:
    """The settings of the institution whose policies apply to a student: those of the --policies folder, or
    the shipped ones of the student's institution (None when menkan ships none for it)."""
    shipped = frozenset(shipped_institutions()) if folder is None else None

    def institution_of(student: Student) -> Institution | None:
        if shipped is not None and student.institution not in shipped:
            return None
        return settings(student)

    return institution_of


def _audit_check(folder: Path | None, cache: dict[str, Runtime]) -> Check:
    """What `audit` refuses in a record: no policies for its institution (shipped, or the --policies folder's
    institution is another), grades off the scale, exceptions naming what the policies do not have."""
    institution_of = _institution_of(
        folder, lambda student: _runtime_for(student, folder, cache).policy_set.institution
    )
    institution_check = _institution_check(institution_of)

    def check(student: Student) -> list[InputProblem]:
        # Exceptions naming what the policies do not have are refused here, before anything is audited; an
        # audit of an already-accepted record lists them as orphaned instead (docs/exceptions.md).
        found = institution_check(student)
        if found or not student.exceptions:
            return found
        return exception_problems(student, _runtime_for(student, folder, cache).nodes)

    return check


def command_audit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if _no_input(args.file, err):
        return EXIT_INPUT
    as_of = _parse_term(args.as_of)
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    students, problems = _validated(args.file, _audit_check(folder, cache))
    if _refused(problems, args.keep_going, err):
        return EXIT_INPUT
    progress = Progress(len(students), err, args.progress or err.isatty())
    first = True
    for student in students:
        result = _runtime_for(student, folder, cache).audit(student, as_of=as_of or latest_term(student))
        if args.format == "json":
            out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        else:
            if not first:
                out.write("\n")
            out.write(render(result, lang=args.lang) + "\n")
        first = False
        progress.step()
    return EXIT_INPUT if problems else 0


def _parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"menkan: {option}: {text!r} is not a day (YYYY-MM-DD)") from None


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

    if _no_input(args.file, err):
        return EXIT_INPUT
    as_of = _parse_term(args.as_of)
    assert as_of is not None
    today = _parse_day(args.today, "--today") or date.today()
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    institution_of = _institution_of(
        folder, lambda student: _runtime_for(student, folder, cache).policy_set.institution
    )
    students, problems = _validated(args.file, _institution_check(institution_of))
    if _refused(problems, args.keep_going, err):
        return EXIT_INPUT
    counts = ForecastCounts()
    writer = csv.writer(out) if args.format == "csv" else None
    if writer is not None:
        writer.writerow(FORECAST_COLUMNS)
    for number, student in enumerate(students):
        runtime = _runtime_for(student, folder, cache)
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


def _policy_folders(path: Path) -> Iterator[Path]:
    if (path / INSTITUTION_FILE).exists():
        yield path
        return
    for child in sorted(path.iterdir()):
        if child.is_dir() and (child / INSTITUTION_FILE).exists():
            yield child


def command_fees(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if _no_input(args.file, err):
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

    institution_of = _institution_of(folder, lambda student: fee_policy(student).institution)
    students, problems = _validated(args.file, _institution_check(institution_of))
    if _refused(problems, args.keep_going, err):
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


def command_policy_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.path) if args.path else SHIPPED_POLICIES
    if root.is_file():
        root = root.parent
    folders = list(_policy_folders(root)) if root.is_dir() else []
    if not folders:
        err.write(f"menkan: {root}: no policy folder (a folder with {INSTITUTION_FILE}) found\n")
        return EXIT_INPUT
    failed = False
    for folder in folders:
        try:
            policy_set = load_policy_dir(folder)
        except InputError as exc:
            failed = True
            for problem in exc.problems:
                err.write(problem.render() + "\n")
            continue
        count = sum(_count_requirements(p) for p in policy_set.policies)
        out.write(f"ok  {policy_set.id}: {len(policy_set.policies)} policies, {count} requirements\n")
    return EXIT_INPUT if failed else 0


def _count_requirements(policy: Policy) -> int:
    from menkan.engine import walk

    return sum(1 for _ in walk(policy.requirements))


def command_policy_publish(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from menkan.web import portal

    folder = Path(args.path)
    if not (folder / INSTITUTION_FILE).exists():
        err.write(f"menkan: {folder}: not a policy folder (no {INSTITUTION_FILE})\n")
        return EXIT_INPUT
    return portal.policy_publish_folder(folder, args.note, out)


def command_policy_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    model = Institution if args.institution else Policy
    out.write(json.dumps(model.model_json_schema(by_alias=True), ensure_ascii=False, indent=2) + "\n")
    return 0


def command_report_pass_rates(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from menkan.reports import audit_pass_rates, render

    if _no_input(args.file, err):
        return EXIT_INPUT
    as_of = _parse_term(args.as_of)
    assert as_of is not None
    policy_set = load_policy_dir(Path(args.policies)) if args.policies else load_shipped(args.institution)
    if policy_set.id != args.institution:
        err.write(f"menkan: --policies: the folder is {policy_set.id!r}'s, not {args.institution!r}'s\n")
        return EXIT_INPUT
    if _binary_refused(args, out, err):
        return EXIT_INPUT
    institution = policy_set.institution

    def check(student: Student) -> list[InputProblem]:
        # Students of other institutions are left out of the report (and counted), not refused.
        return grade_problems(student, institution) if student.institution == institution.id else []

    students, problems = _validated(args.file, check)
    if _refused(problems, args.keep_going, err):
        return EXIT_INPUT
    report, skipped = audit_pass_rates(students, policy_set, as_of)
    if skipped:
        err.write(f"menkan: skipped {skipped} students of other institutions than {args.institution}\n")
    _write_rendered(render(report, args.format, args.lang), args.output, out)
    return EXIT_INPUT if problems else 0


def _binary_refused(args: argparse.Namespace, out: TextIO, err: TextIO) -> bool:
    """--format xlsx to a terminal (or to a text-only stream) is refused: a workbook is written to a file."""
    if args.format == "xlsx" and not args.output and (not hasattr(out, "buffer") or out.isatty()):
        err.write("menkan: --format xlsx writes a binary workbook: give --output FILE or redirect the output\n")
        return True
    return False


def _write_rendered(rendered: str | bytes, output: str | None, out: TextIO) -> None:
    """A rendered report to --output FILE, else to standard output (a workbook as bytes)."""
    if output:
        target = Path(output)
        if isinstance(rendered, bytes):
            target.write_bytes(rendered)
        else:
            target.write_text(rendered, encoding="utf-8")
    elif isinstance(rendered, bytes):
        out.flush()
        out.buffer.write(rendered)  # type: ignore[attr-defined]
        out.buffer.flush()  # type: ignore[attr-defined]
    else:
        out.write(rendered)


def command_policy_impact(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Who a new policy folder would change: every student audited under the current policies (the shipped
    ones of their institution, or --policies, as `audit` picks them) and under the new ones, compared."""
    from menkan.foresight.impact import impact_report
    from menkan.foresight.impact_render import render as render_impact

    if _no_input(args.file, err):
        return EXIT_INPUT
    new_folder = Path(args.path)
    if not (new_folder / INSTITUTION_FILE).exists():
        err.write(f"menkan: {new_folder}: not a policy folder (no {INSTITUTION_FILE})\n")
        return EXIT_INPUT
    as_of = _parse_term(args.as_of)
    if _binary_refused(args, out, err):
        return EXIT_INPUT
    new = compile(load_policy_dir(new_folder))  # a policy error: every problem located, exit 2 (main)
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    current_check = _audit_check(folder, cache)
    new_check = _institution_check(lambda student: new.policy_set.institution)

    def check(student: Student) -> list[InputProblem]:
        return current_check(student) or new_check(student)

    students, problems = _validated(args.file, check)
    if _refused(problems, args.keep_going, err):
        return EXIT_INPUT
    progress = Progress(len(students), err, args.progress or err.isatty())
    report = impact_report(
        lambda student: _runtime_for(student, folder, cache),
        new,
        students,
        as_of if as_of is not None else latest_term,
        progress=lambda _: progress.step(),
    )
    _write_rendered(render_impact(report, args.format), args.output, out)
    return EXIT_INPUT if problems else 0


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
    from datetime import date

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
        results = [
            _runtime_for(student, None, cache).audit(student, as_of=latest_term(student)) for student in students
        ]
        for result in results:
            out.write(summary_line(result) + "\n")
        if results and args.print:
            out.write("\n" + render(results[0], lang=args.lang) + "\n")
    return 0


def _keep_going(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=f"{verb} the good records even if some are bad (the bad ones are listed on stderr; exit status 2)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="menkan", description="Graduation-requirements audits (門檻).")
    commands = parser.add_subparsers(dest="command", required=True)

    audit_parser = commands.add_parser("audit", help="audit students from a JSON or JSONL file")
    audit_parser.add_argument("file", help="one student JSON, or JSONL with one student per line (- : stdin)")
    audit_parser.add_argument("--as-of", help="audit as of this term (e.g. 114-1); default: the latest in the records")
    audit_parser.add_argument("--format", choices=["text", "json"], default="text")
    audit_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both")
    audit_parser.add_argument("--policies", help="a policy folder to use instead of the shipped policies")
    audit_parser.add_argument(
        "--progress", action="store_true", help="show progress on stderr even when not a terminal"
    )
    _keep_going(audit_parser, "audit")
    audit_parser.set_defaults(handler=command_audit)

    fees_parser = commands.add_parser("fees", help="credit-fee statements of students for one term")
    fees_parser.add_argument("file", help="one student JSON, or JSONL with one student per line (- : stdin)")
    fees_parser.add_argument("--term", required=True, help="the term billed (e.g. 114-1)")
    fees_parser.add_argument("--format", choices=["text", "json"], default="text")
    fees_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both")
    fees_parser.add_argument("--policies", help="a policy folder to use instead of the shipped policies")
    _keep_going(fees_parser, "bill")
    fees_parser.set_defaults(handler=command_fees)

    forecast_parser = commands.add_parser(
        "forecast", help="who can still finish in the study period: on-track, at-risk, cannot-finish, with reasons"
    )
    forecast_parser.add_argument("file", help="one student JSON, or JSONL with one student per line (- : stdin)")
    forecast_parser.add_argument("--as-of", required=True, help="the term of the forecast (e.g. 114-1)")
    forecast_parser.add_argument("--today", help="the day deadlines are judged on (YYYY-MM-DD; default: today)")
    forecast_parser.add_argument("--format", choices=["text", "json", "csv"], default="text")
    forecast_parser.add_argument("--lang", choices=["zh-TW", "en", "both"], default="both", help="text output")
    forecast_parser.add_argument("--policies", help="a policy folder to use instead of the shipped policies")
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
    impact_parser.add_argument(
        "--progress", action="store_true", help="show progress on stderr even when not a terminal"
    )
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
    rates_parser.add_argument("--policies", help="a policy folder to use instead of the shipped policies")
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
        _write_problems(exc.problems, err)
        return EXIT_INPUT
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
