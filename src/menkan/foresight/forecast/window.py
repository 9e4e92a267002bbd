"""The study period and the window: the regular semesters (and summers) a student has left to finish in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from menkan.engine import Institution, Student, Term, study_period_default, study_position

_STUDYING = ("enrolled", "extension")


def walk(nodes: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for node in nodes:
        yield node
        yield from walk(node.get("children") or ())


def period_of(
    institution: Institution, student: Student, as_of: Term, audit: Mapping[str, Any]
) -> tuple[int, int, str | None] | None:
    """Years and extension years of the student's study period: the audit's `study-period` requirement where a
    policy has one (its overrides already resolved for this student), else institution.yaml's default."""
    for node in walk(audit.get("requirements") or ()):
        details = node.get("details") or {}
        if node.get("kind") == "study-period" and "study_period" in details:
            return int(details["study_period"]), int(details.get("extension_allowed", 0)), node.get("cites")
    found = study_period_default(institution, student, as_of)
    if found is None:
        return None
    period = institution.study_load.period if institution.study_load is not None else None
    return found[0], found[1], period.cites if period is not None else None


def future_semesters(student: Student, as_of: Term, last_index: int) -> list[Term]:
    """The regular semesters after `as_of` up to study-semester `last_index`, skipping those the records already
    give as leave (a leave semester does not use up the period)."""
    position = study_position(student, as_of)
    # A semester on leave keeps the index of the semester the student returns to; otherwise the next is one on.
    index = position.index + (0 if not position.enrolled and not as_of.is_summer else 1)
    away = {record.term for record in student.enrollment if record.status not in _STUDYING}
    terms: list[Term] = []
    term = as_of.next_regular()
    while index <= last_index:
        if term not in away:
            terms.append(term)
            index += 1
        term = term.next_regular()
    return terms


def summers_in(as_of: Term, semesters: list[Term]) -> list[Term]:
    """The summers between `as_of` and the last semester of `semesters` (the one after the last is not counted:
    the student graduates at the end of that semester)."""
    if not semesters:
        return []
    springs = [term for term in [as_of, *semesters] if term.semester == "2" and term < semesters[-1]]
    return [Term(term.year, "S") for term in springs]


def semesters_on_leave(student: Student, as_of: Term) -> int:
    return sum(
        1
        for record in student.enrollment
        if record.status not in _STUDYING and not record.term.is_summer and record.term <= as_of
    )
