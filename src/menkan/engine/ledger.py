"""The ledger: each course attempt read under the institution's grading, identity and repeat rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple, TypeVar, cast

from menkan.engine.errors import InputError, InputProblem, problem
from menkan.engine.policy.models import Grading, Identity, Institution
from menkan.engine.records import CourseRecord, Student
from menkan.engine.terms import Term

T = TypeVar("T")


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


class Entry(NamedTuple):
    """One course attempt as the institution reads it (a tuple: immutable and cheap to build).

    `countable`: passed and not a repeat of a course already passed (earned, counted once).
    `pending`: not graded yet (in progress) and not a repeat.
    `reason`: why the attempt cannot count anywhere (failed, withdrawn, repeated), or None.
    """

    position: int
    course: CourseRecord
    outcome: Outcome
    identity: str
    repeated: bool
    pass_fail: bool
    score: Decimal | None
    points: Decimal | None
    leave_term: bool
    countable: bool
    pending: bool
    reason: str | None
    ref: str
    weight: float


_REASONS = {Outcome.FAILED: "failed", Outcome.WITHDRAWN: "withdrawn"}


_SPACES = re.compile(r"\s+")

# Credits take few distinct values; a cached conversion is cheaper than Decimal -> float every time.
credit_weight = lru_cache(maxsize=4096)(float)
# The same conversion for the ledger's loop, as a plain dict (a lookup is cheaper than the cached call).
_WEIGHTS: dict[Decimal, float] = {}
_WEIGHTS_KEPT = 4096
_PASSED, _PENDING_OUTCOME = Outcome.PASSED, Outcome.PENDING


@lru_cache(maxsize=65536)
def normalize_title(title: str) -> str:
    """Titles compare after width folding (（一） == (一)) and with spaces removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", title)).lower()


_NODES_KEPT = 65536


class SlotLookup(NamedTuple):
    """Which listed slots a record can fill: by its raw code, and by its normalized title (see `slot_lookup`)."""

    by_code: dict[str, tuple[int, ...]]
    by_title: dict[str, tuple[int, ...]]


class CourseIdentity:
    """Decides when two records are the same course (equivalent codes; same title if the institution says so)."""

    def __init__(self, identity: Identity) -> None:
        self.same_title = identity.same_title
        self._canonical: dict[str, str] = {}
        self._memo: dict[tuple[int, str], tuple[object, object]] = {}
        self._nodes: dict[str, str] = {}  # code -> "c:" + canonical code (see `keys`)
        for group in identity.equivalents:
            head = min(group)
            for code in group:
                self._canonical[code] = head
        # The codes that read as each canonical code (a head can itself be remapped by a later group).
        self._members: dict[str, list[str]] = {}
        for code, head in self._canonical.items():
            self._members.setdefault(head, []).append(code)

    def keys(self, courses: Sequence[CourseRecord]) -> list[str]:
        """One identity key per record: records share a key when they are the same course.

        The same (or an equivalent) code is the same course; with `same_title`, so is the same title, and
        the relation chains (code X as 微積分, then X renamed 微積分(一), then code Y as 微積分(一): one course).
        """
        nodes = self._nodes
        if len(nodes) > _NODES_KEPT:
            nodes.clear()
        code_nodes = [nodes.get(course.code) or self._node(course.code) for course in courses]
        if not self.same_title:
            return code_nodes
        # Union-find over code nodes only: a title joins every code it appears with to the first such
        # code, which yields the same components as linking codes and titles. A root is the smallest code
        # of its component and has no entry in `parent`; most transcripts need no union at all.
        parent: dict[str, str] = {}

        def find(node: str) -> str:
            root = node
            while (up := parent.get(root)) is not None:
                root = up
            while node != root:
                parent[node], node = root, parent[node]
            return root

        title_owner: dict[str, str] = {}
        for course, code_node in zip(courses, code_nodes, strict=True):
            owner = title_owner.setdefault(normalize_title(course.title), code_node)
            if owner != code_node:
                owner_root, code_root = find(owner), find(code_node)
                if owner_root != code_root:
                    parent[max(owner_root, code_root)] = min(owner_root, code_root)
        if not parent:
            return code_nodes
        return [find(node) for node in code_nodes]

    def _node(self, code: str) -> str:
        """The union-find node of a code (its canonical code), remembered: codes repeat across students."""
        node = self._nodes[code] = "c:" + self._canonical.get(code, code)
        return node

    def canonical(self, code: str) -> str:
        return self._canonical.get(code, code)

    def memo(self, owner: object, build: Callable[[], T], part: str = "") -> T:
        """A value (`part`) derived from a policy object, built once.

        The memo keeps `owner` alive, so its id stays unique.
        """
        key = (id(owner), part)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is owner:
            return cast(T, hit[1])
        value = build()
        self._memo[key] = (owner, value)
        return value

    def slot_lookup(
        self, owner: object, slots: Callable[[], Sequence[Sequence[tuple[str | None, str | None]]]]
    ) -> SlotLookup:
        """For listed slots (each a course and its alternatives), which slots a record can fill.

        Keyed for records as they come: by raw code (every code with a listed canonical code is listed), and
        by normalized title (when titles identify courses, or a listed course has no code).
        """

        def build() -> SlotLookup:
            canonical = self._canonical
            by_canonical: dict[str, list[int]] = {}
            by_title: dict[str, list[int]] = {}
            for number, listed in enumerate(slots()):
                for code, title in listed:
                    if code is not None:
                        numbers = by_canonical.setdefault(canonical.get(code, code), [])
                        if not numbers or numbers[-1] != number:
                            numbers.append(number)
                    if title is not None and (self.same_title or code is None):
                        numbers = by_title.setdefault(normalize_title(title), [])
                        if not numbers or numbers[-1] != number:
                            numbers.append(number)
            by_code: dict[str, tuple[int, ...]] = {}
            for head, numbers in by_canonical.items():
                found = tuple(numbers)
                for code in self._members.get(head, ()):
                    by_code[code] = found
                if head not in canonical:
                    by_code[head] = found
            return SlotLookup(by_code, {title: tuple(numbers) for title, numbers in by_title.items()})

        return self.memo(owner, build, "slots")

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


_PENDING = GradeReading(Outcome.PENDING, False, None, None)


class GradeScale:
    """Reads a grade string on the institution's scale for a student's degree."""

    def __init__(self, grading: Grading) -> None:
        self.grading = grading
        self._letters = {letter.letter: letter for letter in grading.letters}
        self._by_score = sorted(grading.letters, key=lambda letter: letter.min_score, reverse=True)
        self._cache: dict[str, dict[str | None, GradeReading]] = {}

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

    def readings(self, degree: str) -> dict[str | None, GradeReading]:
        """The grades read so far for `degree` (a cache `read` fills; a miss means: call `read`)."""
        readings = self._cache.get(degree)
        if readings is None:
            readings = self._cache[degree] = {None: _PENDING}
        return readings

    def read(self, grade: str | None, degree: str) -> GradeReading | None:
        """The reading of `grade`, or None when it is not a grade on this scale."""
        readings = self.readings(degree)
        cached = readings.get(grade)
        if cached is not None:
            return cached
        assert grade is not None  # None is always cached
        reading = self._read(grade.strip(), degree)
        if reading is not None:
            readings[grade] = reading
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


def _not_a_grade(index: int, course: CourseRecord, institution: Institution) -> InputProblem:
    return problem(("courses", index, "grade"), "not-a-grade", grade=course.grade, institution=institution.id)


def grade_problems(student: Student, institution: Institution, scale: GradeScale | None = None) -> list[InputProblem]:
    """Every grade of the student's courses that is not a grade on the institution's scale, at its path
    (`$.courses[3].grade`), without source or line: the reader of the file locates them.

    Records are checked with this when they are read (CLI, portal import), so a bad grade is refused up front
    rather than found by an audit later; `build_ledger` refuses the same grades for callers that did not check.
    """
    scale = scale or GradeScale(institution.grading)
    degree = student.degree
    return [
        _not_a_grade(index, course, institution)
        for index, course in enumerate(student.courses)
        if scale.read(course.grade, degree) is None
    ]


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
    repeatable: Callable[[CourseRecord], bool] | None = None,
) -> Ledger:
    """Read every attempt; the first passing attempt of a course counts, later passes are repeats."""
    scale = scale or GradeScale(institution.grading)
    identity = identity or CourseIdentity(institution.identity)
    leave_terms = frozenset(e.term for e in student.enrollment if e.status == "leave")
    leave_ranks = {term.rank for term in leave_terms}
    courses = student.courses
    identity_keys = identity.keys(courses)
    ranks = [course.term.rank for course in courses]
    order = sorted(range(len(courses)), key=ranks.__getitem__)  # stable: transcript order within a term
    as_of_rank = as_of.rank
    degree = student.degree
    readings = scale.readings(degree)
    passed_keys: set[str] = set()
    entries: list[Entry] = []
    later: list[CourseRecord] = []
    problems: list[InputProblem] = []
    weights = _WEIGHTS
    if len(weights) > _WEIGHTS_KEPT:
        weights.clear()
    passed, pending = _PASSED, _PENDING_OUTCOME  # an enum member looked up on its class is slow (3.11)
    # Entries are built with tuple.__new__: the same NamedTuple, without the generated __new__'s call cost.
    new_entry = tuple.__new__
    for index in order:
        course = courses[index]
        rank = ranks[index]
        if rank > as_of_rank:
            later.append(course)
            continue
        reading = readings.get(course.grade) or scale.read(course.grade, degree)
        if reading is None:
            problems.append(_not_a_grade(index, course, institution))
            continue
        key = identity_keys[index]
        outcome = reading.outcome
        # A repeat: a pass or a course in progress after a pass of the same course (unless repeatable).
        if outcome is passed:
            if repeatable is not None and repeatable(course):
                repeated = False
            else:
                repeated = key in passed_keys
                passed_keys.add(key)
        else:
            repeated = outcome is pending and key in passed_keys and not (repeatable is not None and repeatable(course))
        credits = course.credits
        weight = weights.get(credits)
        if weight is None:
            weight = weights[credits] = float(credits)
        entries.append(
            new_entry(
                Entry,
                (
                    index,
                    course,
                    outcome,
                    key,
                    repeated,
                    reading.pass_fail,
                    reading.score,
                    reading.points,
                    rank in leave_ranks,
                    outcome is passed and not repeated,
                    outcome is pending and not repeated,
                    "repeated" if repeated else _REASONS.get(outcome),
                    f"{course.code}@{course.term.text}",
                    weight,
                ),
            )
        )
    if problems:
        raise InputError(problems)
    return Ledger(tuple(entries), tuple(later), leave_terms)
