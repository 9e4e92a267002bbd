"""The student's study year (年級) and semester of study, counted from enrolled semesters: the one definition.

A year of study is two regular semesters in which the student was enrolled (enrollment status `enrolled` or
`extension`), starting at `admitted_into_year` in the admission term. A semester on leave (or withdrawn) does
not advance it: a student returning from leave continues the year or semester they left (as regulations have it),
so their study period (Art. 13) and their fourth study year (Art. 32) move back with it. A regular semester
the enrollment records do not mention counts as enrolled (only a record says the student was away). Summer
terms are not semesters: a summer belongs to the study year and semester of the regular semester before it.
A student admitted in a second (spring) semester starts in semester 2 of the year admitted into (下學期).
Every rule and report that needs a study year uses `study_position` (or `study_year`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal

from menkan.engine.filters import applies
from menkan.engine.policy.models import Institution
from menkan.engine.records import Student
from menkan.engine.terms import Term

_STUDYING = ("enrolled", "extension")


def _first_semester(student: Student) -> Term:
    """The first regular semester of study: the admission term, or the one after a summer admission."""
    admission = student.admission_term
    return admission if not admission.is_summer else admission.next_regular()


def _start_index(student: Student) -> int:
    """The study-semester index of the first semester (year 1, semester 1 is 1; a spring admission is semester 2)."""
    return (student.admitted_into_year - 1) * 2 + (2 if _first_semester(student).semester == "2" else 1)


def enrolled_semesters(student: Student, as_of: Term) -> list[Term]:
    """The regular semesters from admission up to `as_of` in which the student was enrolled (not on leave).

    Every regular semester from the admission term on, except those whose enrollment record gives another
    status than `enrolled` or `extension` (`leave`, `withdrawn`): a semester the records do not mention is
    not a leave (records often list only the terms that matter, e.g. the current one)."""
    away = {record.term for record in student.enrollment if record.status not in _STUDYING}
    terms = []
    term = _first_semester(student)
    while term <= as_of:
        if term not in away:
            terms.append(term)
        term = term.next_regular()
    return terms


@dataclass(frozen=True, slots=True)
class StudyPosition:
    """Where a student stands in `term`: study year, semester of that year, and semesters of study used.

    `semesters`: enrolled regular semesters from admission up to and including `term`. `enrolled`: the
    student is enrolled in `term` itself (for a leave semester, `year` and `semester` are those the student
    returns to). `index` counts study semesters from the first semester of year 1 (year 3, semester 2 is 6).
    """

    term: Term
    year: int
    semester: int
    semesters: int
    enrolled: bool
    start_index: int

    @property
    def index(self) -> int:
        return (self.year - 1) * 2 + self.semester

    @property
    def years_used(self) -> Decimal:
        """Years of the study period used by the end of `term`: enrolled semesters / 2, plus the semesters
        before the one of admission (a student admitted into year 3 has used two years)."""
        return Decimal(self.semesters + self.start_index - 1) / 2

    def semesters_left(self, study_years: int) -> int:
        """Regular semesters of a study period of `study_years` left after `term` (negative: beyond it)."""
        return study_years * 2 - self.index


def study_position(student: Student, term: Term, enrolled: list[Term] | None = None) -> StudyPosition:
    """The student's study year and semester in `term` (`enrolled`: `enrolled_semesters(student, term)` or
    a longer list of them, when the caller has it already)."""
    semesters = enrolled if enrolled is not None else enrolled_semesters(student, term)
    before = bisect_left(semesters, term)  # enrolled semesters before `term`
    is_enrolled = before < len(semesters) and semesters[before] == term
    through = before + (1 if is_enrolled else 0)
    # The ordinal of the semester the student is in: this one when enrolled, else the one they return to;
    # a summer term takes the position of the last regular semester before it.
    ordinal = max(1, before) if term.is_summer else before + 1
    index = _start_index(student) + ordinal - 1
    return StudyPosition(
        term=term,
        year=(index - 1) // 2 + 1,
        semester=(index - 1) % 2 + 1,
        semesters=through,
        enrolled=is_enrolled,
        start_index=_start_index(student),
    )


def study_term(student: Student, year: int, semester: int) -> Term:
    """The regular term in which the student is (was, or will be, enrolled every semester after the records) in
    study year `year`, semester `semester` (1 or 2): the inverse of `study_position`. A position before the
    one the student was admitted into is the admission semester."""
    if semester not in (1, 2):
        raise ValueError(f"not a semester of a study year: {semester!r} (expected 1 or 2)")
    away = {record.term for record in student.enrollment if record.status not in _STUDYING}
    target = (year - 1) * 2 + semester
    index = _start_index(student)
    term = _first_semester(student)
    while True:  # ends: the records hold finitely many semesters away
        if term not in away:
            if index >= target:
                return term
            index += 1
        term = term.next_regular()


def latest_study_term(student: Student, year: int, semester: int) -> Term:
    """The term of a deadline set as a semester of study ("by the second semester of year 2"): `study_term`, except
    that a student admitted past that year (a transfer student) has until that semester of their first year here,
    or their first semester if that one is already past, rather than a point before they arrived."""
    start = _start_index(student)
    start_year = (start - 1) // 2 + 1
    target = max((max(year, start_year) - 1) * 2 + semester, start)
    return study_term(student, (target - 1) // 2 + 1, (target - 1) % 2 + 1)


def study_year(student: Student, term: Term) -> int:
    """The student's study year (年級) in `term`: see the module docstring."""
    return study_position(student, term).year


def term_credit_max(institution: Institution, student: Student, term: Term) -> Decimal | None:
    """The most credits `student` may take in `term` under the institution's `study_load` (None: no maximum is
    stated for this student and kind of term)."""
    load = institution.study_load
    if load is None:
        return None
    semester_max: Decimal | None = load.semester_max
    summer_max = load.summer_max
    for override in load.overrides:
        if not applies(override.when, student, term):
            continue
        if override.unlimited:
            semester_max = summer_max = None
            continue
        if override.semester_max is not None:
            semester_max = override.semester_max
        if override.summer_max is not None:
            summer_max = override.summer_max
    return summer_max if term.is_summer else semester_max


def study_period_default(institution: Institution, student: Student, term: Term) -> tuple[int, int] | None:
    """The regular study period and its most extension, in years, under the institution's `study_load.period`
    (None: not stated; a policy's `study-period` requirement, where there is one, is the source instead)."""
    load = institution.study_load
    if load is None or load.period is None:
        return None
    years, extension = load.period.years, load.period.extension_years
    for override in load.period.overrides:
        if applies(override.when, student, term):
            years = override.years if override.years is not None else years
            extension = override.extension_years if override.extension_years is not None else extension
    return years, extension
