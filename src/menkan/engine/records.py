"""Immutable student records (`menkan.student/1`) and their loading from JSON / JSONL with located errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError, with_config

from menkan.engine.errors import InputError, InputProblem, clean_location, json_path, pydantic_reason
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
    schema: Literal["menkan.student/1"] = STUDENT_SCHEMA


_STUDENT_ADAPTER: TypeAdapter[Student] = TypeAdapter(Student)


def student_from_dict(data: Any, *, source: str = "<input>", line: int | None = None) -> Student:
    """Validate one decoded JSON object into a Student, or raise InputError naming every problem."""
    if not isinstance(data, dict):
        raise InputError([InputProblem(source, "$", "must be a JSON object", line)])
    if "schema" not in data:
        raise InputError([InputProblem(source, "$.schema", f'required (use "{STUDENT_SCHEMA}")', line)])
    try:
        return _STUDENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(source, json_path(clean_location(err["loc"])), pydantic_reason(err), line)
                for err in exc.errors(include_url=False)
            ]
        ) from None


def student_to_dict(student: Student) -> dict[str, Any]:
    """The student as `menkan.student/1` JSON data (round-trips through student_from_dict)."""
    data: dict[str, Any] = _STUDENT_ADAPTER.dump_python(student, mode="json", exclude_defaults=True)
    return {**data, "schema": STUDENT_SCHEMA}


def _decode(text: str, source: str, line: int | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where_line = line if line is not None else exc.lineno
        raise InputError([InputProblem(source, "$", f"not valid JSON: {exc.msg}", where_line)]) from None


def iter_students(path: Path | str) -> Iterator[Student]:
    """Students from a file holding one JSON object, or JSONL with one object per line."""
    source_path = Path(path)
    source = str(path)
    try:
        text = source_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(source, "$", f"cannot read: {exc}")]) from None
    stripped = text.lstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    is_jsonl = source_path.suffix == ".jsonl" or (stripped.startswith("{") and len(lines) > 1 and _one_per_line(lines))
    if not is_jsonl:
        yield student_from_dict(_decode(text, source, None), source=source)
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            yield student_from_dict(_decode(raw, source, number), source=source, line=number)


def _one_per_line(lines: list[str]) -> bool:
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True


def load_students(path: Path | str) -> list[Student]:
    return list(iter_students(path))


@dataclass(frozen=True, slots=True)
class StudentSet:
    """A cohort, kept in file order."""

    students: tuple[Student, ...] = field(default_factory=tuple)
