"""Credit-weighted averages: per semester, cumulative, and the graduation grade, under the institution's rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from menkan.engine.ledger import Entry, GradeScale, Ledger, Outcome
from menkan.engine.policy.models import Averages
from menkan.engine.records import Student
from menkan.engine.terms import Term


@dataclass(frozen=True, slots=True)
class AverageValue:
    value: Decimal | None
    credits: Decimal
    weighted: Decimal

    def rounded(self, places: int) -> Decimal | None:
        if self.value is None:
            return None
        return self.value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def excluded_reason(entry: Entry, student: Student, settings: Averages) -> str | None:
    """Why a course attempt stays out of every average, or None when it enters."""
    course = entry.course
    if entry.outcome is Outcome.PENDING:
        return "pending"
    if entry.outcome is Outcome.WITHDRAWN:
        return "withdrawn"
    if entry.pass_fail:
        return "pass-fail"
    if entry.outcome is Outcome.FAILED and not settings.include_failed:
        return "failed"
    if course.transfer:
        return "transfer"
    if settings.exclude_leave_terms and entry.leave_term:
        return "leave-term"
    if (
        settings.exclude_below_degree_level
        and student.degree in ("master", "doctor")
        and course.level == "undergraduate"
    ):
        return "below-degree-level"
    if course.credits == 0:
        return "zero-credit"
    return None


def _measure(entry: Entry, settings: Averages) -> Decimal | None:
    return entry.points if settings.measure == "points" else entry.score


def _average(entries: list[Entry], settings: Averages) -> AverageValue:
    credits = Decimal(0)
    weighted = Decimal(0)
    for entry in entries:
        measure = _measure(entry, settings)
        if measure is None:
            continue
        credits += entry.course.credits
        weighted += measure * entry.course.credits
    value = weighted / credits if credits else None
    return AverageValue(value, credits, weighted)


def averaged_entries(ledger: Ledger, student: Student, settings: Averages) -> list[Entry]:
    return [entry for entry in ledger.entries if excluded_reason(entry, student, settings) is None]


def semester_averages(ledger: Ledger, student: Student, settings: Averages) -> dict[Term, AverageValue]:
    """The average of each regular semester (summer courses only if the settings put them in)."""
    by_term: dict[Term, list[Entry]] = {}
    for entry in averaged_entries(ledger, student, settings):
        term = entry.course.term
        if term.is_summer and not settings.summer_in_semester_average:
            continue
        by_term.setdefault(term, []).append(entry)
    return {term: _average(entries, settings) for term, entries in sorted(by_term.items())}


def cumulative_average(ledger: Ledger, student: Student, settings: Averages) -> AverageValue:
    """All semesters and summers together (Art. 37 ¶3 style)."""
    return _average(averaged_entries(ledger, student, settings), settings)


def defense_measure(student: Student, scale: GradeScale, settings: Averages, as_of: Term) -> Decimal | None:
    passed = sorted(
        (exam for exam in student.degree_exams if exam.kind == "defense" and exam.passed and exam.term <= as_of),
        key=lambda exam: exam.term,
    )
    if not passed or passed[-1].score is None:
        return None
    score = passed[-1].score
    if settings.measure == "points":
        return scale.points_for_score(score)
    return score


def graduation_grade(
    ledger: Ledger, student: Student, settings: Averages, scale: GradeScale, as_of: Term
) -> tuple[Decimal | None, dict[str, str]]:
    """The graduation grade and how it was formed (bachelor: the average; graduate: mean with the defense)."""
    average = cumulative_average(ledger, student, settings)
    parts: dict[str, str] = {}
    if average.value is not None:
        parts["average"] = str(average.rounded(settings.places))
    if student.degree in ("master", "doctor") and settings.graduate_graduation_grade == "mean-with-defense":
        defense = defense_measure(student, scale, settings, as_of)
        if defense is None or average.value is None:
            return None, parts
        parts["defense"] = str(defense)
        return (average.value + defense) / 2, parts
    return average.value, parts
