"""Immutable student records (`menkan.student/1`) and their loading from JSON / JSONL with located errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError, with_config

from menkan.engine.errors import InputError, InputProblem, data_location, problem, pydantic_problem
from menkan.engine.policy.yamlsource import LineMap, line_of, load_yaml_with_lines
from menkan.engine.terms import Term

STUDENT_SCHEMA: Final = "menkan.student/1"

_STRICT = ConfigDict(extra="forbid", frozen=True)


def decimal_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: whole values as integers (3, not 3.0 or "3")."""
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(decimal_number, when_used="json")]
NonNegative = Annotated[Decimal, Field(ge=0), PlainSerializer(decimal_number, when_used="json")]
Text = Annotated[str, Field(min_length=1)]


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class CourseRecord:
    """One course attempt on the transcript (or in progress when `grade` is absent)."""

    code: Text
    title: Text
    credits: NonNegative
    term: Term
    grade: str | None = None
    offered_by: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    delivery: Literal["in-person", "remote"] = "in-person"
    transfer: bool = False
    level: Literal["undergraduate", "graduate"] | None = None

    @property
    def ref(self) -> str:
        return f"{self.code}@{self.term}"


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class Activity:
    """Hours earned in one activity (lecture, volunteer service, micro-credit course session...)."""

    item: Text
    hours: NonNegative
    term: Term
    title: Text
    unit: str | None = None
    date: str | None = None
    id: str | None = None
    passed: bool = True

    @property
    def ref(self) -> str:
        return self.id or f"{self.item}:{self.title}@{self.term}"


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class Certificate:
    """A licence or certificate the student holds."""

    code: Text
    title: Text
    term: Term
    level: str | None = None
    id: str | None = None

    @property
    def ref(self) -> str:
        return self.id or f"{self.code}@{self.term}"


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class EnrollmentTerm:
    """The student's status in one term; leave carries its reason (military, childcare, illness...)."""

    term: Term
    status: Literal["enrolled", "leave", "extension", "withdrawn"] = "enrolled"
    reason: str | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class EthicsGrade:
    term: Term
    passed: bool
    score: Number | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class RegistrationException:
    """Staff allowed a registration the rules refuse (e.g. after the deadline): why, who, when."""

    reason: Text
    approved_by: Text
    approved_on: Date
    id: str | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class ProgramRegistration:
    """A registration in a program from `registered_term` until `withdrawn_term` (exclusive)."""

    program: Text
    registered_term: Term
    withdrawn_term: Term | None = None
    exception: RegistrationException | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class DegreeExam:
    """A graduate qualifying exam or thesis defense."""

    kind: Literal["qualifying", "defense"]
    term: Term
    passed: bool
    score: Number | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class Extension:
    """An approved extension of the study period."""

    years: Annotated[int, Field(ge=0)]
    reason: str = "credits"
    term: Term | None = None


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class Rank:
    """The student's rank in the department (group/class) in a term: position 1 is the top."""

    term: Term
    position: Annotated[int, Field(ge=1)]
    size: Annotated[int, Field(ge=1)]


ExceptionKind = Literal["substitute", "assign", "exclude", "recognise", "waive", "credit"]

# What each kind needs besides the common fields (docs/exceptions.md).
EXCEPTION_NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "substitute": ("course", "replaces"),
    "assign": ("course",),
    "exclude": ("course",),
    "recognise": ("course", "as_"),
    "waive": (),
    "credit": ("credits",),
}


@with_config(ConfigDict(extra="forbid", frozen=True, populate_by_name=False))
@dataclass(frozen=True, slots=True)
class RecordException:
    """An approved human decision the audit must honour for one requirement (`exceptions` of the record).

    `course` names a course of the record by code (every attempt of it) or by `code@term` (that attempt)."""

    id: Text
    kind: ExceptionKind
    requirement: Text
    reason: Text
    approved_by: Text
    approved_on: Date
    course: str | None = None
    replaces: str | None = None
    as_: Annotated[str | None, Field(alias="as")] = None
    amount: Annotated[Decimal | None, Field(gt=0), PlainSerializer(decimal_number, when_used="json")] = None
    credits: Annotated[Decimal | None, Field(gt=0), PlainSerializer(decimal_number, when_used="json")] = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    title: str | None = None
    term: Term | None = None

    def names(self, course: CourseRecord) -> bool:
        """Whether `course` is the record this exception is about (by code, or by `code@term`)."""
        return self.course is not None and (self.course == course.code or self.course == course.ref)


@with_config(_STRICT)
@dataclass(frozen=True, slots=True)
class Student:
    """Everything the engine knows about one student."""

    student_id: Text
    institution: Text
    department: Text
    admission_term: Term
    degree: Literal["bachelor", "master", "doctor", "associate"] = "bachelor"
    division: str = "day-bachelor"
    admitted_into_year: Annotated[int, Field(ge=1)] = 1
    name: str | None = None
    class_code: str | None = None
    flags: tuple[str, ...] = ()
    courses: tuple[CourseRecord, ...] = ()
    activities: tuple[Activity, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    enrollment: tuple[EnrollmentTerm, ...] = ()
    ethics: tuple[EthicsGrade, ...] = ()
    programs: tuple[ProgramRegistration, ...] = ()
    degree_exams: tuple[DegreeExam, ...] = ()
    extensions: tuple[Extension, ...] = ()
    ranks: tuple[Rank, ...] = ()
    exceptions: tuple[RecordException, ...] = ()
    schema: Literal["menkan.student/1"] = STUDENT_SCHEMA


_STUDENT_ADAPTER: TypeAdapter[Student] = TypeAdapter(Student)


def student_problems(
    data: Any, *, source: str | None = None, line: int | None = None
) -> tuple[Student | None, list[InputProblem]]:
    """Validate one decoded JSON object: the Student, or None and every problem (located by path, and by
    `source` and `line` when given)."""
    if not isinstance(data, dict):
        return None, [problem((), "not-an-object", source=source, line=line)]
    if "schema" not in data:
        return None, [problem(("schema",), "schema-missing", source=source, line=line, schema=STUDENT_SCHEMA)]
    try:
        student = _STUDENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        return None, [
            pydantic_problem(err, data_location(err["loc"], data), source=source, line=line)
            for err in exc.errors(include_url=False)
        ]
    if student.exceptions:
        found = exception_shape_problems(student.exceptions)
        if found:
            return None, [item.located(source, line) for item in found]
    return student, []


def exception_shape_problems(exceptions: Sequence[RecordException]) -> list[InputProblem]:
    """What the exceptions lack for their kind (a `substitute` without `replaces`...), and repeated ids."""
    found: list[InputProblem] = []
    seen: set[str] = set()
    for index, exception in enumerate(exceptions):
        if exception.id in seen:
            found.append(problem(("exceptions", index, "id"), "exception-id-repeated", id=exception.id))
        seen.add(exception.id)
        for name in EXCEPTION_NEEDS[exception.kind]:
            if getattr(exception, name) is None:
                field_name = name.rstrip("_")
                found.append(
                    problem(("exceptions", index, field_name), "exception-needs", kind=exception.kind, field=field_name)
                )
    return found


def student_from_dict(data: Any, *, source: str | None = None, line: int | None = None) -> Student:
    """Validate one decoded JSON object into a Student, or raise InputError naming every problem."""
    student, problems = student_problems(data, source=source, line=line)
    if student is None:
        raise InputError(problems)
    return student


def student_to_dict(student: Student) -> dict[str, Any]:
    """The student as `menkan.student/1` JSON data (round-trips through student_from_dict)."""
    data: dict[str, Any] = _STUDENT_ADAPTER.dump_python(student, mode="json", exclude_defaults=True, by_alias=True)
    return {**data, "schema": STUDENT_SCHEMA}


@dataclass(frozen=True, slots=True)
class StudentRead:
    """One record as read from a student file: the student, or the problems that keep it from being one.

    `line` is the record's line in a JSONL file (None for a file holding one JSON document, where each problem
    gets the line of the value it is about when the document spans lines)."""

    source: str
    line: int | None
    student: Student | None
    problems: tuple[InputProblem, ...] = ()
    text: str = field(default="", repr=False)

    def locate(self, found: Iterable[InputProblem]) -> list[InputProblem]:
        """Problems found in this record later (e.g. grades off the institution's scale), with file and line."""
        if self.line is not None:
            return [item.located(self.source, self.line) for item in found]
        if "\n" not in self.text.strip():
            return [item.located(self.source) for item in found]  # a one-line document: its line says nothing
        lines = _value_lines(self.text)
        return [item.located(self.source, _line_at(lines, item.path)) for item in found]


def _value_lines(text: str) -> LineMap | None:
    """The line of every value of a JSON document (JSON is read as YAML for its marks), or None if that fails.

    Only worked out when a problem has to be located: reading the records themselves uses `json`."""
    try:
        return load_yaml_with_lines(text)[1]
    except yaml.YAMLError:
        return None


def _line_at(lines: LineMap | None, path: Sequence[str | int]) -> int | None:
    return line_of(lines, path) if lines is not None else None


def _decode(text: str, source: str, line: int | None) -> tuple[Any, InputProblem | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        where_line = line if line is not None else exc.lineno
        return None, problem((), "not-json", source=source, line=where_line, detail=exc.msg)


def _read_one(text: str, source: str, line: int | None) -> StudentRead:
    data, broken = _decode(text, source, line)
    if broken is not None:
        return StudentRead(source, line, None, (broken,), text)
    student, problems = student_problems(data, source=source, line=line)
    read = StudentRead(source, line, student, (), text)
    return replace(read, problems=tuple(read.locate(problems))) if problems else read


def read_students_text(text: str, source: str, *, jsonl: bool | None = None) -> Iterator[StudentRead]:
    """Every record of a text holding one JSON object, or JSONL with one object per line (`jsonl=None`: tell
    from the text), each with its problems: a bad record does not stop the reading of the others."""
    if jsonl is None:
        lines = [line for line in text.splitlines() if line.strip()]
        jsonl = text.lstrip().startswith("{") and len(lines) > 1 and _one_per_line(lines)
    if not jsonl:
        yield _read_one(text, source, None)
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            yield _read_one(raw, source, number)


def read_students(path: Path | str) -> Iterator[StudentRead]:
    """Every record of a student file (one JSON object, or JSONL: `.jsonl`, or one object per line)."""
    source_path = Path(path)
    source = str(path)
    try:
        text = source_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield StudentRead(source, None, None, (problem((), "unreadable", source=source, detail=exc),))
        return
    yield from read_students_text(text, source, jsonl=True if source_path.suffix == ".jsonl" else None)


def iter_students(path: Path | str) -> Iterator[Student]:
    """Students from a file holding one JSON object, or JSONL with one object per line; InputError at the first
    bad record (callers that must report every bad record use `read_students`)."""
    for read in read_students(path):
        if read.student is None:
            raise InputError(read.problems)
        yield read.student


def _one_per_line(lines: list[str]) -> bool:
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True


def load_students(path: Path | str) -> list[Student]:
    return list(iter_students(path))
