"""The ledger: each course attempt read under the institution's grading, identity and repeat rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from menkan.engine.errors import InputError, InputProblem
from menkan.engine.policy.models import Grading, Identity, Institution
from menkan.engine.records import CourseRecord, Student
from menkan.engine.terms import Term


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Entry:
    """One course attempt as the institution reads it."""

    index: int
    course: CourseRecord
    outcome: Outcome
    identity: str
    repeated: bool
    pass_fail: bool
    score: Decimal | None
    points: Decimal | None
    leave_term: bool

    @property
    def countable(self) -> bool:
        """Earned and counted once: passed, and not a repeat of a course already passed."""
        return self.outcome is Outcome.PASSED and not self.repeated

    @property
    def pending(self) -> bool:
        return self.outcome is Outcome.PENDING and not self.repeated

    @property
    def reason(self) -> str | None:
        """Why this attempt cannot count anywhere, or None when it can (or may, once graded)."""
        if self.repeated:
            return "repeated"
        if self.outcome is Outcome.FAILED:
            return "failed"
        if self.outcome is Outcome.WITHDRAWN:
            return "withdrawn"
        return None


_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalize_title(title: str) -> str:
    """Titles compare after width folding (（一） == (一)) and with spaces removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", title)).lower()


class CourseIdentity:
    """Decides when two records are the same course (equivalent codes; same title if the institution says so)."""

    def __init__(self, identity: Identity) -> None:
        self.same_title = identity.same_title
        self._canonical: dict[str, str] = {}
        self._memo: dict[int, tuple[object, frozenset[str]]] = {}
        for group in identity.equivalents:
            head = min(group)
            for code in group:
                self._canonical[code] = head

    def key(self, code: str, title: str) -> str:
        if self.same_title:
            return "t:" + normalize_title(title)
        return "c:" + self._canonical.get(code, code)

    def canonical(self, code: str) -> str:
        return self._canonical.get(code, code)

    def listed_keys(self, listed: Iterable[tuple[str | None, str | None]]) -> frozenset[str]:
        """Keys that identify a listed course (and its alternatives), comparable with `record_keys`."""
        keys = set()
        for code, title in listed:
            if code is not None:
                keys.add("c:" + self.canonical(code))
            if title is not None and (self.same_title or code is None):
                keys.add("t:" + normalize_title(title))
        return frozenset(keys)

    def keys_of(self, owner: object, listed: list[tuple[str | None, str | None]]) -> frozenset[str]:
        """`listed_keys`, memoised per owning policy object (kept alive by the memo, so its id stays unique)."""
        hit = self._memo.get(id(owner))
        if hit is not None and hit[0] is owner:
            return hit[1]
        keys = self.listed_keys(listed)
        self._memo[id(owner)] = (owner, keys)
        return keys

    def record_keys(self, course: CourseRecord) -> tuple[str, str]:
        return ("c:" + self.canonical(course.code), "t:" + normalize_title(course.title))

    def matches(self, course: CourseRecord, code: str | None, title: str | None) -> bool:
        """Does `course` stand for the listed course given by code and/or title?"""
        if code is not None and self._canonical.get(course.code, course.code) == self._canonical.get(code, code):
            return True
        if title is not None and (self.same_title or code is None):
            return normalize_title(course.title) == normalize_title(title)
        return False


@dataclass(frozen=True, slots=True)
class GradeReading:
    outcome: Outcome
    pass_fail: bool
    score: Decimal | None
    points: Decimal | None


class GradeScale:
    """Reads a grade string on the institution's scale for a student's degree."""

    def __init__(self, grading: Grading) -> None:
        self.grading = grading
        self._letters = {letter.letter: letter for letter in grading.letters}
        self._by_score = sorted(grading.letters, key=lambda letter: letter.min_score, reverse=True)
        self._cache: dict[tuple[str, str], GradeReading] = {}

    def pass_score(self, degree: str) -> Decimal:
        for listed, score in self.grading.pass_score_by_degree.items():
            if listed == degree:
                return score
        return self.grading.pass_score

    def points_for_score(self, score: Decimal) -> Decimal | None:
        for letter in self._by_score:
            if score >= letter.min_score:
                return letter.points
        return Decimal(0) if self._by_score else None

    def read(self, grade: str | None, degree: str) -> GradeReading | None:
        """The reading of `grade`, or None when it is not a grade on this scale."""
        if grade is None:
            return GradeReading(Outcome.PENDING, False, None, None)
        cached = self._cache.get((grade, degree))
        if cached is not None:
            return cached
        reading = self._read(grade.strip(), degree)
        if reading is not None:
            self._cache[(grade, degree)] = reading
        return reading

    def _read(self, grade: str, degree: str) -> GradeReading | None:
        grading = self.grading
        if grade in grading.withdrawn_marks:
            return GradeReading(Outcome.WITHDRAWN, False, None, None)
        if grade in grading.pass_marks:
            return GradeReading(Outcome.PASSED, True, None, None)
        if grade in grading.fail_marks:
            return GradeReading(Outcome.FAILED, True, None, None)
        letter = self._letters.get(grade)
        if letter is not None:
            passed = letter.min_score >= self.pass_score(degree)
            return GradeReading(Outcome.PASSED if passed else Outcome.FAILED, False, letter.min_score, letter.points)
        try:
            score = Decimal(grade)
        except ArithmeticError:
            return None
        if not score.is_finite() or score < 0 or score > 100:
            return None
        passed = score >= self.pass_score(degree)
        return GradeReading(Outcome.PASSED if passed else Outcome.FAILED, False, score, self.points_for_score(score))


@dataclass(frozen=True, slots=True)
class Ledger:
    """All course attempts of one student up to `as_of`, in transcript order."""

    entries: tuple[Entry, ...]
    later: tuple[CourseRecord, ...]
    leave_terms: frozenset[Term]

    @property
    def countable(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.countable]


def build_ledger(
    student: Student,
    institution: Institution,
    as_of: Term,
    *,
    scale: GradeScale | None = None,
    identity: CourseIdentity | None = None,
    repeatable: object | None = None,
) -> Ledger:
    """Read every attempt; the first passing attempt of a course counts, later passes are repeats."""
    scale = scale or GradeScale(institution.grading)
    identity = identity or CourseIdentity(institution.identity)
    leave_terms = frozenset(e.term for e in student.enrollment if e.status == "leave")
    order = sorted(range(len(student.courses)), key=lambda i: (student.courses[i].term, i))
    passed_keys: set[str] = set()
    entries: list[Entry] = []
    later: list[CourseRecord] = []
    problems: list[InputProblem] = []
    for index in order:
        course = student.courses[index]
        if course.term > as_of:
            later.append(course)
            continue
        reading = scale.read(course.grade, student.degree)
        if reading is None:
            problems.append(
                InputProblem(
                    student.student_id,
                    f"$.courses[{index}].grade",
                    f"{course.grade!r} is not a grade on {institution.id}'s scale",
                )
            )
            continue
        key = identity.key(course.code, course.title)
        is_repeatable = callable(repeatable) and bool(repeatable(course))
        repeated = key in passed_keys and not is_repeatable
        if reading.outcome is Outcome.PASSED and not is_repeatable:
            passed_keys.add(key)
        entries.append(
            Entry(
                index=index,
                course=course,
                outcome=reading.outcome,
                identity=key,
                repeated=repeated and reading.outcome in (Outcome.PASSED, Outcome.PENDING),
                pass_fail=reading.pass_fail,
                score=reading.score,
                points=reading.points,
                leave_term=course.term in leave_terms,
            )
        )
    if problems:
        raise InputError(problems)
    return Ledger(tuple(entries), tuple(later), leave_terms)
