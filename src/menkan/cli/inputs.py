"""Reading the commands' input: student files validated before anything is computed, their problems, the
terms and days of options, the progress bar, and the compiled policies each student's records are audited by."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from menkan.engine import (
    GradeScale,
    InputProblem,
    Institution,
    Runtime,
    Student,
    StudentRead,
    Term,
    compile,
    exception_problems,
    grade_problems,
    load_policy_dir,
    load_shipped,
    problem,
    read_students,
    read_students_text,
    shipped_institutions,
)

EXIT_INPUT = 2
LISTED_PROBLEMS = 20  # located errors printed before the rest are only counted ("… and N more")
STDIN = "-"


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


def runtime_for(student: Student, folder: Path | None, cache: dict[str, Runtime]) -> Runtime:
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


def validated(file: str, check: Check) -> tuple[list[Student], list[InputProblem]]:
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


def write_problems(problems: Sequence[InputProblem], err: TextIO) -> None:
    """Each problem on its own line, `file:line $.path: reason`; past LISTED_PROBLEMS only their count."""
    for item in problems[:LISTED_PROBLEMS]:
        err.write(f"menkan: {item.render()}\n")
    if len(problems) > LISTED_PROBLEMS:
        err.write(f"menkan: … and {len(problems) - LISTED_PROBLEMS} more\n")


def no_input(file: str, err: TextIO) -> bool:
    """Whether FILE is missing (said on stderr)."""
    if file == STDIN or Path(file).exists():
        return False
    err.write(f"menkan: {file}: no such file\n")
    return True


def refused(problems: Sequence[InputProblem], keep_going: bool, err: TextIO) -> bool:
    """Report the bad records; whether the command must stop before computing anything (no --keep-going)."""
    write_problems(problems, err)
    return bool(problems) and not keep_going


def institution_check(institution_of: Callable[[Student], Institution | None]) -> Check:
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


def parse_term(text: str | None) -> Term | None:
    if text is None:
        return None
    try:
        return Term.parse(text)
    except ValueError as exc:
        raise SystemExit(f"menkan: --as-of: {exc}") from None


def institution_lookup(
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


def audit_check(folder: Path | None, cache: dict[str, Runtime]) -> Check:
    """What `audit` refuses in a record: no policies for its institution (shipped, or the --policies folder's
    institution is another), grades off the scale, exceptions naming what the policies do not have."""
    institution_of = institution_lookup(
        folder, lambda student: runtime_for(student, folder, cache).policy_set.institution
    )
    by_institution = institution_check(institution_of)

    def check(student: Student) -> list[InputProblem]:
        # Exceptions naming what the policies do not have are refused here, before anything is audited; an
        # audit of an already-accepted record lists them as orphaned instead (docs/exceptions.md).
        found = by_institution(student)
        if found or not student.exceptions:
            return found
        return exception_problems(student, runtime_for(student, folder, cache).nodes)

    return check


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"menkan: {option}: {text!r} is not a day (YYYY-MM-DD)") from None
