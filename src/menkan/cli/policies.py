"""The policy commands: check, publish, schema and impact, and the helpers that write a rendered report."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from menkan.cli.inputs import (
    EXIT_INPUT,
    Progress,
    audit_check,
    institution_check,
    no_input,
    parse_term,
    refused,
    runtime_for,
    validated,
)
from menkan.engine import (
    INSTITUTION_FILE,
    SHIPPED_POLICIES,
    InputError,
    InputProblem,
    Institution,
    Policy,
    Runtime,
    Student,
    compile,
    latest_term,
    load_policy_dir,
)


def _policy_folders(path: Path) -> Iterator[Path]:
    if (path / INSTITUTION_FILE).exists():
        yield path
        return
    for child in sorted(path.iterdir()):
        if child.is_dir() and (child / INSTITUTION_FILE).exists():
            yield child


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


def binary_refused(args: argparse.Namespace, out: TextIO, err: TextIO) -> bool:
    """--format xlsx to a terminal (or to a text-only stream) is refused: a workbook is written to a file."""
    if args.format == "xlsx" and not args.output and (not hasattr(out, "buffer") or out.isatty()):
        err.write("menkan: --format xlsx writes a binary workbook: give --output FILE or redirect the output\n")
        return True
    return False


def write_rendered(rendered: str | bytes, output: str | None, out: TextIO) -> None:
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

    if no_input(args.file, err):
        return EXIT_INPUT
    new_folder = Path(args.path)
    if not (new_folder / INSTITUTION_FILE).exists():
        err.write(f"menkan: {new_folder}: not a policy folder (no {INSTITUTION_FILE})\n")
        return EXIT_INPUT
    as_of = parse_term(args.as_of)
    if binary_refused(args, out, err):
        return EXIT_INPUT
    new = compile(load_policy_dir(new_folder))  # a policy error: every problem located, exit 2 (main)
    folder = Path(args.policies) if args.policies else None
    cache: dict[str, Runtime] = {}
    current_check = audit_check(folder, cache)
    new_check = institution_check(lambda student: new.policy_set.institution)

    def check(student: Student) -> list[InputProblem]:
        return current_check(student) or new_check(student)

    students, problems = validated(args.file, check)
    if refused(problems, args.keep_going, err):
        return EXIT_INPUT
    progress = Progress(len(students), err, args.progress or err.isatty())
    report = impact_report(
        lambda student: runtime_for(student, folder, cache),
        new,
        students,
        as_of if as_of is not None else latest_term,
        progress=lambda _: progress.step(),
    )
    write_rendered(render_impact(report, args.format), args.output, out)
    return EXIT_INPUT if problems else 0
