"""What-if audits: the student's record with planned courses and programs, audited in memory (nothing stored)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from menkan.engine import AuditResult as EngineResult
from menkan.engine import InputError, student_from_dict
from menkan.web.audits.services.audit_store import audit_as_of
from menkan.web.audits.services.policy_versions import policy_current, runtime_of
from menkan.web.records.api import Student, student_document, term_current


class PlannedCourseError(ValueError):
    """A planned course line that cannot be read (line number and reason)."""


def planned_courses_parse(text: str, term: str) -> list[dict[str, Any]]:
    """Planned courses from lines of `code, title, credits[, category]` (commas or tabs)."""
    courses = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace("\t", ",").split(",")]
        if len(parts) < 3:
            raise PlannedCourseError(f"line {number}: expected code, title, credits[, category]")
        try:
            credits = Decimal(parts[2])
        except ArithmeticError:
            raise PlannedCourseError(f"line {number}: credits {parts[2]!r} is not a number") from None
        if credits < 0:
            raise PlannedCourseError(f"line {number}: credits must be ≥ 0")
        course: dict[str, Any] = {"code": parts[0], "title": parts[1], "credits": float(credits), "term": term}
        if len(parts) > 3 and parts[3]:
            course["category"] = parts[3]
        courses.append(course)
    return courses


def what_if_audit(student: Student, *, planned: list[dict[str, Any]], programs: list[str]) -> EngineResult:
    """The audit as if the planned courses were taken (in progress) and the programs registered.

    Nothing is stored: the student's record is read, changed in memory, and audited.
    """
    version = policy_current(student.institution)
    if version is None:
        raise InputError([])
    document = student_document(student)
    document["courses"] = [*document.get("courses", []), *planned]
    registered = {entry["program"] for entry in document.get("programs", [])}
    term = planned[0]["term"] if planned else document["admission_term"]
    for program in programs:
        if program not in registered:
            document.setdefault("programs", []).append({"program": program, "registered_term": term})
    record = student_from_dict(document, source=f"what-if {student.student_id}")
    return runtime_of(version).audit(record, as_of=audit_as_of(record, term_current(student.institution)))
