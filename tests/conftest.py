"""Shared helpers for the engine tests: student records, course/activity/certificate rows, policy folders."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from menkan.engine import (
    AuditResult,
    PolicySet,
    RequirementResult,
    Student,
    Term,
    audit,
    load_policy_dir,
    student_from_dict,
)

POLICIES = Path(__file__).resolve().parent / "policies"

STUDENT_DEFAULTS: dict[str, Any] = {
    "schema": "menkan.student/1",
    "student_id": "S11200001",
    "institution": "testu",
    "department": "CE",
    "division": "day-bachelor",
    "degree": "bachelor",
    "admission_term": "112-1",
    "admitted_into_year": 1,
}


def student_dict(**fields: Any) -> dict[str, Any]:
    """A `menkan.student/1` dict: sensible defaults overridden by `fields`."""
    data = dict(STUDENT_DEFAULTS)
    data.update(fields)
    return data


def make_student(**fields: Any) -> Student:
    """A validated Student built from `student_dict(**fields)`."""
    return student_from_dict(student_dict(**fields))


def course(
    code: str, title: str, credits: float | int | str, term: str, grade: str | None = "85", **kw: Any
) -> dict[str, Any]:
    """One course row; `grade=None` leaves the grade out (a course in progress)."""
    row: dict[str, Any] = {"code": code, "title": title, "credits": credits, "term": term}
    if grade is not None:
        row["grade"] = grade
    row.update(kw)
    return row


def activity(item: str, hours: float | int, term: str, title: str, **kw: Any) -> dict[str, Any]:
    return {"item": item, "hours": hours, "term": term, "title": title, **kw}


def certificate(code: str, title: str, term: str, **kw: Any) -> dict[str, Any]:
    return {"code": code, "title": title, "term": term, **kw}


def run(student: Student, policy_set: PolicySet, as_of: str = "113-2") -> AuditResult:
    return audit(student, policy_set, as_of=Term.parse(as_of))


def node_of(result: AuditResult, requirement_id: str) -> RequirementResult:
    """The result of one requirement by full id (fails the test when it is absent)."""
    found = result.find(requirement_id)
    assert found is not None, f"{requirement_id} is not in the audit result"
    return found


def applied_refs(node: RequirementResult) -> list[tuple[str, Any]]:
    """(ref, amount) of what counted, in result order (amounts as plain numbers)."""
    return [(item.ref, _plain(item.amount)) for item in node.applied]


def not_applied_of(node: RequirementResult) -> list[tuple[str, str]]:
    """(ref, reason) of what did not count, in result order."""
    return [(item.ref, item.reason) for item in node.not_applied]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def ids(results: Iterable[RequirementResult]) -> list[str]:
    return [result.id for result in results]


@pytest.fixture(scope="session")
def policies() -> Callable[[str], PolicySet]:
    """Load a policy folder under tests/policies/ by name (each folder is loaded once per session)."""
    cache: dict[str, PolicySet] = {}

    def load(name: str) -> PolicySet:
        if name not in cache:
            cache[name] = load_policy_dir(POLICIES / name)
        return cache[name]

    return load
