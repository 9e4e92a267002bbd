"""NYCU Academic Regulations (學則) as shipped policies: one test per regulation case.

Students are built from small dicts (the `menkan.student/1` JSON shape) and audited against
`load_shipped("nycu")`. Numbers are exact: credits and averages are Decimals.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menkan.engine import (
    AuditResult,
    Student,
    Term,
    audit,
    enrolled_semesters,
    load_shipped,
    student_from_dict,
    study_position,
    study_term,
    study_year,
)
from menkan.engine.policy.loader import walk
from menkan.engine.result import RequirementResult

NYCU = load_shipped("nycu")
DATA = Path(__file__).parent / "data" / "nycu_students.jsonl"
_ids = itertools.count(1)


# ---------------------------------------------------------------------------------------------------------
# Helpers


def terms_between(first: str, last: str) -> list[str]:
    """Regular semesters from `first` to `last`, both included (summers skipped)."""
    term, end = Term.parse(first), Term.parse(last)
    out = []
    while term <= end:
        out.append(str(term))
        term = term.next_regular()
    return out


def course(code: str, credits: float, term: str, grade: str | None = "A", **extra: Any) -> dict[str, Any]:
    """One course record; `grade=None` is a course in progress."""
    data: dict[str, Any] = {"code": code, "title": extra.pop("title", f"課程 {code}"), "credits": credits, "term": term}
    if grade is not None:
        data["grade"] = grade
    data.update(extra)
    return data


def spread(
    total: int, terms: list[str], *, prefix: str = "C", grade: str = "A", size: int = 4, **extra: Any
) -> list[dict]:
    """`total` credits in courses of `size` credits (the last one smaller), dealt over `terms` in turn."""
    courses = []
    for number in range((total + size - 1) // size):
        credits = min(size, total - number * size)
        courses.append(course(f"{prefix}{number:03d}", credits, terms[number % len(terms)], grade, **extra))
    return courses


def per_term(credits_by_term: dict[str, int], grade: str = "A") -> list[dict]:
    """One course per term carrying that term's credit load."""
    return [course(f"L{t.replace('-', '')}", c, t, grade) for t, c in credits_by_term.items()]


def make_student(
    courses: list[dict[str, Any]] | None = None,
    *,
    department: str = "CS",
    degree: str = "bachelor",
    admission: str = "110-1",
    last: str = "113-2",
    leave: dict[str, str] | None = None,
    ethics_failed: tuple[str, ...] = (),
    ethics_missing: tuple[str, ...] = (),
    **extra: Any,
) -> Student:
    """A student enrolled every regular semester from `admission` to `last` (except `leave` terms, by reason),
    with a passing ethics grade in every enrolled semester unless listed as failed or missing."""
    leave = leave or {}
    enrollment = []
    ethics = []
    for term in terms_between(admission, last):
        if term in leave:
            enrollment.append({"term": term, "status": "leave", "reason": leave[term]})
            continue
        enrollment.append({"term": term, "status": "enrolled"})
        if term not in ethics_missing:
            ethics.append({"term": term, "passed": term not in ethics_failed})
    data = {
        "schema": "menkan.student/1",
        "student_id": extra.pop("student_id", f"T{next(_ids):07d}"),
        "institution": "nycu",
        "department": department,
        "degree": degree,
        "admission_term": admission,
        "courses": courses or [],
        "enrollment": enrollment,
        "ethics": ethics,
        **extra,
    }
    return student_from_dict(data)


def run(student: Student, as_of: str = "113-2") -> AuditResult:
    return audit(student, NYCU, as_of=Term.parse(as_of))


def node(result: AuditResult, requirement_id: str) -> RequirementResult:
    found = result.find(requirement_id)
    assert found is not None, f"{requirement_id} not in the audit"
    return found


def not_applied(result: RequirementResult, reason: str) -> dict[str, Decimal | None]:
    """ref -> amount of the items left out for `reason`."""
    return {item.ref: item.amount for item in result.not_applied if item.reason == reason}


def over_cap(result: RequirementResult, limit: str) -> Decimal:
    return sum(
        (
            item.amount or Decimal(0)
            for item in result.not_applied
            if item.reason == "over-cap" and item.detail == limit
        ),
        Decimal(0),
    )


FOUR_YEARS = terms_between("110-1", "113-2")


# ---------------------------------------------------------------------------------------------------------
# The policy set itself


def test_policies_load_and_every_requirement_cites_the_regulations() -> None:
    ids = {full_id for policy in NYCU.policies for full_id, _ in walk(policy.requirements)}
    assert {"graduation.credits", "graduate.credits", "averages.cumulative", "standing.study-period"} <= ids
    for policy in NYCU.policies:
        for full_id, requirement in walk(policy.requirements):
            assert requirement.cites.startswith("NYCU 學則 第"), full_id
            assert requirement.title.zh_tw and requirement.title.en, full_id


def test_bachelor_and_graduate_trees_never_both_apply() -> None:
    bachelor = run(make_student([course("X1", 3, "110-1")]))
    master = run(make_student([course("X1", 3, "112-1")], degree="master", admission="112-1"))
    assert bachelor.find("graduation") is not None and bachelor.find("graduate") is None
    assert bachelor.find("early-graduation") is not None
    assert master.find("graduate") is not None and master.find("graduation") is None
    assert master.find("early-graduation") is None and master.find("standing.semester-credits") is None


# ---------------------------------------------------------------------------------------------------------
# Art. 37-38: averages


def test_average_is_credit_weighted_grade_points() -> None:
    # Art. 37 ¶1: (4.3 x 3 + 3.0 x 2) / 5 = 18.9 / 5 = 3.78
    result = run(make_student([course("A1", 3, "113-1", "A+"), course("B1", 2, "113-1", "B")], admission="113-1"))
    cumulative = node(result, "averages.cumulative")
    assert cumulative.unit == "points"
    assert cumulative.earned == Decimal("3.78")
    assert cumulative.details["semesters"] == {"113-1": "3.78"}


def test_scores_are_read_through_the_letter_scale() -> None:
    # 92 -> A+ (4.3), 74 -> B (3.0): (8.6 + 6.0) / 4 = 3.65
    result = run(make_student([course("A1", 2, "113-1", "92"), course("B1", 2, "113-1", "74")], admission="113-1"))
    assert node(result, "averages.cumulative").earned == Decimal("3.65")


def test_failed_course_is_in_the_average_but_earns_no_credits() -> None:
    # Art. 37 ¶1(4): 55 -> D (1.0) fails (bachelor pass mark 60) yet counts: (4.0 x 3 + 1.0 x 3) / 6 = 2.50
    result = run(make_student([course("A1", 3, "113-1", "A"), course("F1", 3, "113-1", "55")], admission="113-1"))
    assert node(result, "averages.cumulative").earned == Decimal("2.50")
    credits = node(result, "graduation.credits")
    assert credits.earned == Decimal(3)
    assert not_applied(credits, "failed") == {"F1@113-1": Decimal(3)}


def test_pass_fail_course_earns_credits_but_stays_out_of_the_average() -> None:
    # Art. 37 last ¶: "P" counts as credits only.
    result = run(make_student([course("A1", 3, "113-1", "A-"), course("P1", 2, "113-1", "P")], admission="113-1"))
    cumulative = node(result, "averages.cumulative")
    assert cumulative.earned == Decimal("3.70")
    assert cumulative.details["credits_averaged"] == 3
    assert node(result, "graduation.credits").earned == Decimal(5)


def test_summer_course_is_out_of_the_semester_average_but_in_the_cumulative_one() -> None:
    # Art. 37 ¶2, Art. 27 ¶3: summer 112-S "C" (2.0, 3 cr.) and 113-1 "A+" (4.3, 3 cr.)
    courses = [course("S1", 3, "112-S", "C"), course("A1", 3, "113-1", "A+")]
    result = run(make_student(courses, admission="112-1"))
    semester = node(result, "averages.semester")
    assert semester.details["semesters"] == {"113-1": "4.30"}
    assert semester.earned == Decimal("4.30")  # the lowest semester average
    assert node(result, "averages.cumulative").earned == Decimal("3.15")  # 18.9 / 6
    assert node(result, "averages.graduation-grade").earned == Decimal("3.15")  # Art. 38 ¶1
    assert node(result, "graduation.credits").earned == Decimal(6)  # summer credits are graduation credits


def test_graduate_students_undergraduate_course_is_out_of_average_and_graduation_credits() -> None:
    # Art. 37 ¶4: a master's student's bachelor-level course (A+, 4.3) counts in neither.
    courses = [
        course("G1", 3, "112-1", "A", level="graduate"),
        course("U1", 3, "112-1", "A+", level="undergraduate"),
    ]
    result = run(make_student(courses, degree="master", admission="112-1"))
    cumulative = node(result, "averages.cumulative")
    assert cumulative.earned == Decimal("4.00")
    assert cumulative.details["credits_averaged"] == 3
    credits = node(result, "graduate.credits")
    assert credits.earned == Decimal(3)
    assert credits.required == Decimal(24)
    assert not_applied(credits, "excluded") == {"U1@112-1": Decimal(3)}


def test_grades_received_while_on_leave_are_out_of_the_averages() -> None:
    # Art. 15 ¶1(7): 112-2 is a leave semester; its "C" does not enter any average.
    courses = [course("A1", 3, "112-1", "A"), course("L1", 3, "112-2", "C"), course("A2", 3, "113-1", "A")]
    result = run(make_student(courses, admission="112-1", last="113-1", leave={"112-2": "illness"}), as_of="113-1")
    cumulative = node(result, "averages.cumulative")
    assert cumulative.earned == Decimal("4.00")
    assert cumulative.details["semesters"] == {"112-1": "4.00", "113-1": "4.00"}


def test_master_graduation_grade_is_the_mean_of_average_and_defense() -> None:
    # Art. 38 ¶2: average (4.0 x 3 + 4.0 x 3 + 3.7 x 3) / 9 = 3.90; defense 80 -> A- (3.7); (3.90 + 3.7) / 2 = 3.80
    courses = [
        course("G1", 3, "112-1", "A", level="graduate"),
        course("G2", 3, "112-2", "A", level="graduate"),
        course("G3", 3, "113-1", "A-", level="graduate"),
    ]
    exams = [{"kind": "defense", "term": "113-2", "passed": True, "score": 80}]
    result = run(make_student(courses, degree="master", admission="112-1", degree_exams=exams))
    assert node(result, "averages.cumulative").earned == Decimal("3.90")
    grade = node(result, "averages.graduation-grade")
    assert grade.earned == Decimal("3.80")
    assert grade.details["graduation"] == {"average": "3.90", "defense": "3.7"}


def test_bachelor_graduation_grade_is_the_average() -> None:
    result = run(make_student([course("A1", 3, "113-1", "A+"), course("B1", 2, "113-1", "B")], admission="113-1"))
    assert node(result, "averages.graduation-grade").earned == Decimal("3.78")


def test_graduate_pass_mark_is_70() -> None:
    # 65 passes for a bachelor's student, fails for a master's student (C+ is below B-).
    bachelor = run(make_student([course("X1", 3, "113-1", "65")], admission="113-1"))
    master = run(make_student([course("X1", 3, "113-1", "65", level="graduate")], degree="master", admission="113-1"))
    assert node(bachelor, "graduation.credits").earned == Decimal(3)
    assert node(master, "graduate.credits").earned == Decimal(0)
    assert not_applied(node(master, "graduate.credits"), "failed") == {"X1@113-1": Decimal(3)}


# ---------------------------------------------------------------------------------------------------------
# Art. 29-30, 40: graduation credits


def test_128_credits_met() -> None:
    result = run(make_student(spread(128, FOUR_YEARS)))
    credits = node(result, "graduation.credits")
    assert (credits.status, credits.earned, credits.required) == ("met", Decimal(128), Decimal(128))
    assert node(result, "graduation").status == "met"
    assert result.status == "met"


def test_124_credits_not_met() -> None:
    result = run(make_student(spread(124, FOUR_YEARS)))
    credits = node(result, "graduation.credits")
    assert (credits.status, credits.earned, credits.required) == ("not-met", Decimal(124), Decimal(128))
    assert result.status == "not-met"


def test_credits_in_progress_when_the_current_courses_would_complete_them() -> None:
    courses = [*spread(124, FOUR_YEARS[:-1]), course("NOW1", 4, "113-2", None)]
    result = run(make_student(courses, ethics_missing=("113-2",)))
    credits = node(result, "graduation.credits")
    assert (credits.status, credits.earned) == ("in-progress", Decimal(124))
    assert result.status == "in-progress"


def test_medicine_requires_241_credits_and_the_internship() -> None:
    six_years = terms_between("108-1", "113-2")
    student = make_student(spread(240, six_years), department="MED", admission="108-1")
    result = run(student)
    credits = node(result, "graduation.credits")
    assert (credits.status, credits.earned, credits.required) == ("not-met", Decimal(240), Decimal(241))
    assert node(result, "graduation.internship").status == "not-met"

    courses = [*spread(235, six_years), course("INT1", 6, "113-2", "P", tags=["internship"])]
    result = run(make_student(courses, department="MED", admission="108-1"))
    assert node(result, "graduation.credits").earned == Decimal(241)
    assert node(result, "graduation.internship").status == "met"
    assert node(result, "graduation").status == "met"


@pytest.mark.parametrize(("department", "required"), [("DENT", 208), ("PT6", 192), ("PHARM", 198), ("PT", 128)])
def test_longer_programmes_require_more_credits(department: str, required: int) -> None:
    result = run(make_student([], department=department))
    assert node(result, "graduation.credits").required == Decimal(required)


def test_equivalent_level_admission_adds_12_credits() -> None:
    # Art. 29 ¶3
    result = run(make_student(spread(128, FOUR_YEARS), flags=["equivalent-level-admission"]))
    credits = node(result, "graduation.credits")
    assert (credits.status, credits.earned, credits.required) == ("not-met", Decimal(128), Decimal(140))
    result = run(make_student(spread(140, FOUR_YEARS), flags=["equivalent-level-admission"]))
    assert node(result, "graduation.credits").status == "met"


def test_military_training_is_not_graduation_credit() -> None:
    # Art. 29 ¶2
    courses = [*spread(126, FOUR_YEARS), course("MIL1", 2, "110-1", "P", tags=["military"])]
    credits = node(run(make_student(courses)), "graduation.credits")
    assert (credits.status, credits.earned) == ("not-met", Decimal(126))
    assert not_applied(credits, "excluded") == {"MIL1@110-1": Decimal(2)}


def test_physical_education_and_nursing_count_at_most_4_credits() -> None:
    # Art. 29 ¶2: 6 credits of PE and 2 of nursing, of which 4 count.
    courses = [
        *spread(120, FOUR_YEARS),
        course("PE1", 2, "110-1", "P", tags=["pe"]),
        course("PE2", 2, "110-2", "P", tags=["pe"]),
        course("PE3", 2, "111-1", "P", tags=["pe"]),
        course("NUR1", 2, "110-1", "P", tags=["nursing"]),
    ]
    credits = node(run(make_student(courses)), "graduation.credits")
    assert (credits.status, credits.earned) == ("not-met", Decimal(124))
    assert over_cap(credits, "pe-nursing") == Decimal(4)


def test_department_that_does_not_count_pe_and_nursing() -> None:
    # Art. 29 ¶2 leaves it to the department; the shipped example is Applied Mathematics (AM).
    courses = [*spread(126, FOUR_YEARS), course("PE1", 2, "110-1", "P", tags=["pe"])]
    credits = node(run(make_student(courses, department="AM")), "graduation.credits")
    assert (credits.status, credits.earned) == ("not-met", Decimal(126))
    assert not_applied(credits, "excluded") == {"PE1@110-1": Decimal(2)}
    # The same record counts in Computer Science.
    assert node(run(make_student(courses)), "graduation.credits").earned == Decimal(128)


def test_passed_course_taken_again_is_not_counted_again() -> None:
    # Art. 28 ¶1
    courses = [*spread(124, FOUR_YEARS), course("CALC1", 4, "110-1", "C-"), course("CALC1", 4, "111-1", "A")]
    credits = node(run(make_student(courses)), "graduation.credits")
    assert (credits.status, credits.earned) == ("met", Decimal(128))
    assert not_applied(credits, "repeated") == {"CALC1@111-1": Decimal(4)}


def test_retaking_a_failed_course_counts_once() -> None:
    courses = [*spread(124, FOUR_YEARS), course("CALC1", 4, "110-1", "50"), course("CALC1", 4, "111-1", "B")]
    credits = node(run(make_student(courses)), "graduation.credits")
    assert (credits.status, credits.earned) == ("met", Decimal(128))
    assert not_applied(credits, "failed") == {"CALC1@110-1": Decimal(4)}


def test_graduate_seminar_taken_every_semester_counts_each_time() -> None:
    # Art. 28 ¶1 proviso: courses graduate students must take repeatedly (tag `repeatable`).
    seminars = [
        course("SEM500", 1, term, "P", tags=["repeatable"], level="graduate", title="書報討論")
        for term in terms_between("112-1", "113-2")
    ]
    result = run(make_student(seminars, degree="master", admission="112-1"))
    credits = node(result, "graduate.credits")
    assert credits.earned == Decimal(4)
    assert not_applied(credits, "repeated") == {}


def test_remote_courses_count_at_most_half_of_the_minimum() -> None:
    # Art. 30: 128 / 2 = 64 remote credits at most; 70 remote + 60 in person -> 124.
    courses = spread(60, FOUR_YEARS) + spread(70, FOUR_YEARS, prefix="R", delivery="remote")
    credits = node(run(make_student(courses)), "graduation.credits")
    assert (credits.status, credits.earned) == ("not-met", Decimal(124))
    assert over_cap(credits, "remote") == Decimal(6)


def test_graduation_needs_a_passing_ethics_grade_every_semester() -> None:
    # Art. 40 ¶1(2)
    result = run(make_student(spread(128, FOUR_YEARS), ethics_failed=("111-2",)))
    ethics = node(result, "graduation.ethics")
    assert ethics.status == "not-met"
    assert not_applied(ethics, "failed") == {"111-2": None}
    assert result.status == "not-met"


def test_system_engineering_program_requires_military_training() -> None:
    # Art. 57 ¶2: the SET program's students must pass military training (not a graduation credit).
    courses = spread(128, FOUR_YEARS)
    result = run(make_student(courses, department="SET"))
    assert node(result, "graduation.military-training").status == "not-met"
    result = run(make_student([*courses, course("MIL1", 0, "110-1", "P", tags=["military"])], department="SET"))
    assert node(result, "graduation.military-training").status == "met"
    assert node(result, "graduation").status == "met"


# ---------------------------------------------------------------------------------------------------------
# Art. 32, 51: credits per semester


def test_semester_minimum_15_and_9_in_the_final_year() -> None:
    loads = dict.fromkeys(FOUR_YEARS, 15)
    loads["111-2"] = 12  # third year: below 15
    loads["113-1"] = 9  # fourth year: 9 is enough
    loads["113-2"] = 9
    result = run(make_student(per_term(loads)))
    semester = node(result, "standing.semester-credits")
    assert semester.status == "not-met"
    assert not_applied(semester, "below-minimum") == {"111-2": Decimal(12)}
    assert (semester.earned, semester.required) == (Decimal(7), Decimal(8))
    assert result.status == "not-met"  # the credits are short, not because of the advisory standing


def test_summer_credits_do_not_make_up_a_light_semester() -> None:
    # Art. 27 ¶3: summer credits are not semester credits.
    loads = dict.fromkeys(FOUR_YEARS, 15)
    loads["110-2"] = 12
    courses = [*per_term(loads), course("S1", 3, "110-S", "A")]
    semester = node(run(make_student(courses)), "standing.semester-credits")
    assert not_applied(semester, "below-minimum") == {"110-2": Decimal(12)}


def test_six_year_departments_reach_the_lower_minimum_in_the_fifth_year() -> None:
    six_years = terms_between("108-1", "113-2")
    loads = dict.fromkeys(six_years, 15)
    loads["111-1"] = 9  # fourth study year: still 15
    loads["112-1"] = 9  # fifth study year: 9
    semester = node(
        run(make_student(per_term(loads), department="MED", admission="108-1")), "standing.semester-credits"
    )
    assert not_applied(semester, "below-minimum") == {"111-1": Decimal(9)}


def test_system_engineering_program_minimum_is_9() -> None:
    # Art. 51
    loads = dict.fromkeys(FOUR_YEARS, 9)
    semester = node(run(make_student(per_term(loads), department="SET")), "standing.semester-credits")
    assert semester.status == "met"


# ---------------------------------------------------------------------------------------------------------
# Art. 13-14: study period


def test_bachelor_study_period_four_years_plus_two_of_extension() -> None:
    student = make_student([], admission="108-1", last="113-2")
    period = node(run(student), "standing.study-period")
    assert (period.status, period.earned, period.required) == ("met", Decimal(6), Decimal(6))
    assert period.details["in_extension"] is True

    student = make_student([], admission="108-1", last="114-1")
    period = node(run(student, as_of="114-1"), "standing.study-period")
    assert (period.status, period.earned) == ("not-met", Decimal("6.5"))


def test_leave_semesters_do_not_use_up_the_study_period() -> None:
    leave = {"109-1": "illness", "109-2": "illness"}
    student = make_student([], admission="107-1", last="113-2", leave=leave)  # 14 semesters, 2 on leave
    period = node(run(student), "standing.study-period")
    assert (period.status, period.earned) == ("met", Decimal(6))


def test_disability_extends_the_bachelor_study_period_by_four_years() -> None:
    # Art. 14 ¶1(6)
    student = make_student([], admission="106-1", last="113-2", flags=["disability"])
    period = node(run(student), "standing.study-period")
    assert (period.status, period.earned, period.required) == ("met", Decimal(8), Decimal(8))


def test_medicine_study_period_is_six_years_plus_two() -> None:
    # Art. 13: Medicine (admitted from 103 on), Dentistry, Pharmacy, PT six-year: six years.
    student = make_student([], department="MED", admission="106-1")
    period = node(run(student), "standing.study-period")
    assert (period.status, period.earned, period.required) == ("met", Decimal(8), Decimal(8))
    student = make_student([], department="MED", admission="106-1", flags=["physician-scientist"])
    assert node(run(student), "standing.study-period").required == Decimal(9)


def test_master_study_period_is_four_years_and_part_time_students_get_one_more() -> None:
    # Art. 13 ¶2
    student = make_student([], degree="master", admission="109-1", last="113-1")
    period = node(run(student, as_of="113-1"), "standing.study-period")
    assert (period.status, period.earned, period.required) == ("not-met", Decimal("4.5"), Decimal(4))
    student = make_student([], degree="master", admission="109-1", last="113-1", flags=["part-time"])
    period = node(run(student, as_of="113-1"), "standing.study-period")
    assert (period.status, period.required) == ("met", Decimal(5))


def test_phd_study_period_is_seven_years() -> None:
    student = make_student([], degree="doctor", admission="107-1")
    period = node(run(student), "standing.study-period")
    assert (period.status, period.earned, period.required) == ("met", Decimal(7), Decimal(7))


# ---------------------------------------------------------------------------------------------------------
# Art. 15: leave of absence


def test_four_semesters_of_leave_are_allowed_five_are_not() -> None:
    leave = dict.fromkeys(["110-2", "111-1", "111-2", "112-1"], "personal")
    limit = node(run(make_student([], leave=leave)), "standing.leave")
    assert (limit.status, limit.earned, limit.required) == ("met", Decimal(4), Decimal(4))
    leave["112-2"] = "personal"
    limit = node(run(make_student([], leave=leave)), "standing.leave")
    assert (limit.status, limit.earned) == ("not-met", Decimal(5))


def test_military_service_and_childcare_leave_do_not_count() -> None:
    # Art. 15 ¶1(3)
    leave = {"110-2": "military", "111-1": "military", "111-2": "childcare", "112-1": "personal", "112-2": "personal"}
    limit = node(run(make_student([], admission="110-1", last="114-1", leave=leave), as_of="114-1"), "standing.leave")
    assert (limit.status, limit.earned) == ("met", Decimal(2))
    assert {item.ref: item.detail for item in limit.not_applied if item.reason == "exempt"} == {
        "110-2": "military",
        "111-1": "military",
        "111-2": "childcare",
    }


# ---------------------------------------------------------------------------------------------------------
# Art. 18: expulsion risk


def test_no_expulsion_risk_for_a_student_in_good_standing() -> None:
    result = run(make_student(spread(96, FOUR_YEARS[:6]), last="112-2"), as_of="112-2")
    risk = node(result, "expulsion-risk")
    assert risk.status == "met"
    assert risk.advisory


def test_failing_ethics_grade_is_an_expulsion_risk() -> None:
    # Art. 18 ¶1(2)
    result = run(make_student(spread(96, FOUR_YEARS[:6]), last="112-2", ethics_failed=("112-1",)), as_of="112-2")
    assert node(result, "expulsion-risk.ethics").status == "not-met"
    assert node(result, "expulsion-risk").status == "not-met"


def test_study_period_exhausted_is_an_expulsion_risk() -> None:
    # Art. 18 ¶1(5): 13 semesters > 4 + 2 years
    result = run(make_student(spread(120, terms_between("108-1", "114-1")), admission="108-1", last="114-1"), "114-1")
    assert node(result, "expulsion-risk.study-period").status == "not-met"
    assert node(result, "expulsion-risk").status == "not-met"


def test_failed_qualifying_exam_is_an_expulsion_risk_an_untaken_defense_is_not() -> None:
    # Art. 18 ¶1(6)-(7)
    exams = [{"kind": "qualifying", "term": "113-1", "passed": False}]
    result = run(make_student([], degree="doctor", admission="111-1", degree_exams=exams))
    assert node(result, "expulsion-risk.qualifying").status == "not-met"
    assert node(result, "expulsion-risk.defense").status == "met"
    assert node(result, "expulsion-risk").status == "not-met"
    assert node(result, "graduate.qualifying").status == "not-met"


def test_exceeding_the_leave_limit_is_an_expulsion_risk() -> None:
    leave = dict.fromkeys(["110-2", "111-1", "111-2", "112-1", "112-2"], "personal")
    result = run(make_student([], leave=leave))
    assert node(result, "expulsion-risk.leave").status == "not-met"


# ---------------------------------------------------------------------------------------------------------
# Art. 40 (graduate), Art. 29 ¶4


def test_master_graduates_with_credits_defense_and_ethics() -> None:
    courses = spread(24, terms_between("112-1", "113-1"), prefix="G", size=3, level="graduate")
    exams = [{"kind": "defense", "term": "113-2", "passed": True, "score": 88}]
    result = run(make_student(courses, degree="master", admission="112-1", degree_exams=exams))
    assert node(result, "graduate.credits").earned == Decimal(24)
    assert node(result, "graduate.defense").status == "met"
    assert node(result, "graduate").status == "met"
    assert result.status == "met"
    assert result.find("graduate.qualifying") is None  # no qualifying exam for master's by default


def test_phd_needs_18_credits_and_the_qualifying_exam() -> None:
    courses = spread(18, terms_between("110-1", "111-2"), prefix="G", size=3, level="graduate")
    exams = [{"kind": "defense", "term": "113-2", "passed": True, "score": 90}]
    result = run(make_student(courses, degree="doctor", admission="110-1", degree_exams=exams))
    assert node(result, "graduate.credits").required == Decimal(18)
    assert node(result, "graduate.credits").status == "met"
    assert node(result, "graduate.qualifying").status == "in-progress"
    assert result.status == "in-progress"


def test_unit_sets_its_own_master_minimum() -> None:
    result = run(make_student([], degree="master", department="DS", admission="112-1"))
    assert node(result, "graduate.credits").required == Decimal(30)


# ---------------------------------------------------------------------------------------------------------
# Art. 42: early graduation


THREE_YEARS = terms_between("111-1", "113-2")


def test_early_graduation_eligible_by_gpa() -> None:
    result = run(make_student(spread(128, THREE_YEARS, grade="A-"), admission="111-1"))
    early = node(result, "early-graduation")
    assert early.status == "met"
    assert node(result, "early-graduation.merit.gpa").earned == Decimal("3.70")
    assert early.advisory


def test_early_graduation_eligible_by_rank() -> None:
    ranks = [{"term": "113-1", "position": 8, "size": 60}]
    result = run(make_student(spread(128, THREE_YEARS, grade="C"), admission="111-1", ranks=ranks))
    assert node(result, "early-graduation.merit.gpa").status == "not-met"  # 2.00
    assert node(result, "early-graduation.merit.rank").status == "met"  # 8/60 is within the top 20%
    assert node(result, "early-graduation").status == "met"


def test_early_graduation_refused_without_gpa_or_rank() -> None:
    ranks = [{"term": "113-1", "position": 20, "size": 60}]
    result = run(make_student(spread(128, THREE_YEARS, grade="C"), admission="111-1", ranks=ranks))
    assert node(result, "early-graduation.merit").status == "not-met"
    assert node(result, "early-graduation").status == "not-met"
    assert result.status == "met"  # graduation itself is met; early graduation is advisory


def test_early_graduation_refused_when_admitted_into_the_third_year() -> None:
    # Art. 42 ¶2: a transfer student admitted into year 3
    terms = terms_between("112-1", "113-2")
    result = run(make_student(spread(128, terms, grade="A"), admission="112-1", admitted_into_year=3))
    assert node(result, "early-graduation.admission").status == "not-met"
    assert node(result, "early-graduation.merit").status == "met"
    assert node(result, "early-graduation").status == "not-met"


def test_early_graduation_needs_the_credits() -> None:
    result = run(make_student(spread(120, THREE_YEARS, grade="A+"), admission="111-1"))
    assert node(result, "early-graduation.requirements").status == "not-met"
    assert node(result, "early-graduation").status == "not-met"


# ---------------------------------------------------------------------------------------------------------
# Demo cohort


def test_demo_students_load_and_cover_every_status() -> None:
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert 4 <= len(lines) <= 6
    statuses = set()
    for line in lines:
        student = student_from_dict(json.loads(line))
        assert student.institution == "nycu"
        statuses.add(run(student).status)
    assert statuses == {"met", "not-met", "in-progress"}


# ---------------------------------------------------------------------------------------------------------
# Study years (Art. 16, 32): one definition, from enrolled semesters


def positions(student: Student, terms: list[str]) -> dict[str, tuple[int, int]]:
    return {t: (p.year, p.semester) for t in terms for p in [study_position(student, Term.parse(t))]}


def test_leave_semesters_do_not_advance_the_study_year() -> None:
    # Art. 16 ¶1: a student returning from leave continues the year (or semester) left.
    student = make_student(admission="110-1", last="113-2", leave={"111-1": "illness"})
    assert positions(student, ["110-1", "110-2", "111-1", "111-2", "112-1", "112-2", "113-2"]) == {
        "110-1": (1, 1),
        "110-2": (1, 2),
        "111-1": (2, 1),  # on leave: the semester the student returns to
        "111-2": (2, 1),
        "112-1": (2, 2),
        "112-2": (3, 1),
        "113-2": (4, 1),
    }
    on_leave = study_position(student, Term.parse("111-1"))
    assert not on_leave.enrolled and on_leave.semesters == 2
    assert study_year(student, Term.parse("113-1")) == 3


def test_summer_belongs_to_the_semester_before_it_and_transfers_start_at_their_year() -> None:
    student = make_student(admission="111-1", last="113-2", admitted_into_year=2)
    assert positions(student, ["111-S", "112-1", "112-S", "113-1"]) == {
        "111-S": (2, 2),
        "112-1": (3, 1),
        "112-S": (3, 2),
        "113-1": (4, 1),
    }
    # Without enrollment records nothing records a leave: every regular semester since admission counts.
    bare = student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": "X",
            "institution": "nycu",
            "department": "CS",
            "admission_term": "110-1",
        }
    )
    assert [str(t) for t in enrolled_semesters(bare, Term.parse("111-1"))] == ["110-1", "110-2", "111-1"]
    assert study_year(bare, Term.parse("113-2")) == 4


def test_enrollment_records_need_only_say_when_the_student_was_away() -> None:
    # A record listing only its leave semester: the others count as enrolled.
    student = student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": "X",
            "institution": "nycu",
            "department": "CS",
            "admission_term": "110-1",
            "enrollment": [{"term": "111-1", "status": "leave", "reason": "illness"}],
        }
    )
    assert [str(t) for t in enrolled_semesters(student, Term.parse("111-2"))] == ["110-1", "110-2", "111-2"]
    assert study_year(student, Term.parse("113-1")) == 3
    period = node(run(student, "114-1"), "standing.study-period")
    assert (period.earned, period.details["semesters_enrolled"]) == (Decimal(4), 8)


def test_the_term_of_a_study_position_is_the_inverse_of_the_position() -> None:
    student = make_student(admission="110-1", last="113-2", leave={"111-1": "illness"})
    assert [str(study_term(student, year, 2)) for year in (1, 2, 3, 4, 5)] == [
        "110-2",
        "112-1",
        "113-1",
        "114-1",
        "115-1",
    ]
    for term in ("110-1", "111-2", "112-2", "113-2"):
        position = study_position(student, Term.parse(term))
        assert str(study_term(student, position.year, position.semester)) == term
    transfer = make_student(admission="112-1", last="113-2", admitted_into_year=3)
    assert [str(study_term(transfer, 2, 2)), str(study_term(transfer, 4, 1))] == ["112-1", "113-1"]


def test_nine_credit_minimum_starts_a_semester_later_after_one_semester_of_leave() -> None:
    # Admitted 110-1, on leave 111-1: 113-1 is the second semester of study year 3 (15 credits), 113-2 and
    # 114-1 are study year 4 (9 credits). Counting calendar years would put 113-1 in year 4.
    terms = [t for t in terms_between("110-1", "114-1") if t != "111-1"]
    loads = dict.fromkeys(terms, 15)
    loads.update({"113-1": 9, "113-2": 9, "114-1": 9})
    student = make_student(per_term(loads), last="114-1", leave={"111-1": "illness"})
    semester = node(run(student, "114-1"), "standing.semester-credits")
    assert not_applied(semester, "below-minimum") == {"113-1": Decimal(9)}
    assert semester.details["terms"]["113-1"] == {
        "credits": 9.0,
        "minimum": 15.0,
        "study_year": 3,
        "semester": 2,
        "extension": False,
    }
    assert semester.details["terms"]["113-2"]["study_year"] == 4


def test_nine_credit_minimum_after_a_year_of_leave_and_for_a_student_admitted_into_year_two() -> None:
    leave = {"111-1": "personal", "111-2": "personal"}
    terms = [t for t in terms_between("110-1", "114-2") if t not in leave]
    loads = dict.fromkeys(terms, 15)
    loads.update({"113-2": 9, "114-1": 9})
    student = make_student(per_term(loads), last="114-2", leave=leave)
    semester = node(run(student, "114-2"), "standing.semester-credits")
    assert not_applied(semester, "below-minimum") == {"113-2": Decimal(9)}  # year 3; year 4 is 114-1, 114-2

    # Admitted into year 2 in 111-1, on leave 112-1: year 4 is 113-2 and 114-1.
    terms = [t for t in terms_between("111-1", "114-1") if t != "112-1"]
    loads = dict.fromkeys(terms, 15)
    loads.update({"113-1": 9, "113-2": 9, "114-1": 9})
    student = make_student(
        per_term(loads), admission="111-1", last="114-1", admitted_into_year=2, leave={"112-1": "illness"}
    )
    semester = node(run(student, "114-1"), "standing.semester-credits")
    assert not_applied(semester, "below-minimum") == {"113-1": Decimal(9)}


def test_summer_courses_neither_count_nor_shift_the_fourth_year() -> None:
    loads = dict.fromkeys(FOUR_YEARS, 15)
    loads.update({"113-1": 9, "113-2": 9})
    courses = [*per_term(loads), course("S1", 6, "112-S"), course("S2", 6, "113-S")]
    semester = node(run(make_student(courses), "113-S"), "standing.semester-credits")
    assert semester.status == "met"
    assert semester.details["terms"]["113-1"]["minimum"] == 9.0


def test_extension_semesters_have_no_minimum() -> None:
    # Art. 12: in an extended study period a student may take fewer than 10 credits (and pays credit fees).
    loads = dict.fromkeys(FOUR_YEARS, 15)
    loads.update({"113-1": 9, "113-2": 9, "114-1": 3})
    data_terms = [*FOUR_YEARS, "114-1"]
    student = student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": "EXT0001",
            "institution": "nycu",
            "department": "CS",
            "admission_term": "110-1",
            "courses": per_term(loads),
            "enrollment": [{"term": t, "status": "extension" if t == "114-1" else "enrolled"} for t in data_terms],
            "ethics": [{"term": t, "passed": True} for t in data_terms],
        }
    )
    semester = node(run(student, "114-1"), "standing.semester-credits")
    assert semester.status == "met"
    assert semester.details["terms"]["114-1"] == {
        "credits": 3.0,
        "minimum": 0.0,
        "study_year": 5,
        "semester": 1,
        "extension": True,
    }


def test_study_period_and_semester_credits_use_the_same_study_year() -> None:
    student = make_student([], admission="110-1", last="114-1", leave={"111-1": "illness"})
    result = run(student, "114-1")
    period = node(result, "standing.study-period")
    assert (period.earned, period.details["study_year"], period.details["semester"]) == (Decimal(4), 4, 2)
    assert node(result, "standing.semester-credits").details["terms"]["114-1"]["study_year"] == 4


# ---------------------------------------------------------------------------------------------------------
# Art. 42: early graduation only when graduating now is early


def test_early_graduation_is_not_early_in_the_last_semester_of_the_study_period() -> None:
    result = run(make_student(spread(128, FOUR_YEARS[:7], grade="A"), admission="110-1"), as_of="113-2")
    early = node(result, "early-graduation.early")
    assert early.status == "not-met"
    assert early.earned == Decimal(0)
    assert "last semester" in early.missing["en"] and "最後一學期" in early.missing["zh-TW"]
    assert early.cites == "NYCU 學則 第42條"
    assert node(result, "early-graduation.merit").status == "met"
    assert node(result, "early-graduation").status == "not-met"


def test_early_graduation_one_semester_before_the_end() -> None:
    result = run(make_student(spread(128, FOUR_YEARS[:7], grade="A"), last="113-1"), as_of="113-1")
    early = node(result, "early-graduation.early")
    assert (early.status, early.earned) == ("met", Decimal(1))
    assert node(result, "early-graduation").status == "met"


def test_early_graduation_past_the_study_period_or_too_early() -> None:
    # In an extension year: not early.
    courses = spread(128, FOUR_YEARS, grade="A")
    result = run(make_student(courses, last="114-1"), as_of="114-1")
    early = node(result, "early-graduation.early")
    assert (early.status, early.earned) == ("not-met", Decimal(-1))
    assert "past the 4-year study period" in early.missing["en"]
    # Three semesters before the end: more than "one semester or one academic year" early.
    result = run(make_student(spread(128, FOUR_YEARS[:5], grade="A"), last="112-1"), as_of="112-1")
    early = node(result, "early-graduation.early")
    assert (early.status, early.earned) == ("not-met", Decimal(3))
    assert "at most 2" in early.missing["en"]


def test_early_graduation_counts_semesters_without_the_leave() -> None:
    # On leave 111-1: 113-2 is study year 4, semester 1 — graduating then is one semester early.
    terms = [t for t in FOUR_YEARS if t != "111-1"]
    student = make_student(spread(128, terms, grade="A"), leave={"111-1": "illness"})
    early = node(run(student, "113-2"), "early-graduation.early")
    assert (early.status, early.earned) == ("met", Decimal(1))
    assert early.details["study_year"] == 4


def test_early_graduation_in_a_six_year_department() -> None:
    six_years = terms_between("108-1", "113-2")
    courses = [*spread(241, six_years[:-1], grade="A"), course("INT1", 1, "112-2", tags=["internship"])]
    student = make_student(courses, department="MED", admission="108-1", last="113-1")
    early = node(run(student, "113-1"), "early-graduation.early")
    assert (early.status, early.earned, early.details["study_period"]) == ("met", Decimal(1), 6)


# ---------------------------------------------------------------------------------------------------------
# Art. 54: System Engineering and Technology program (Ch. XIII)


def test_failing_half_of_a_years_credits_is_an_expulsion_condition_for_the_program() -> None:
    # Art. 54(3): study year 2 (111-1, 111-2): 10 of 20 credits failed.
    courses = [
        *per_term(dict.fromkeys(terms_between("110-1", "110-2"), 12)),
        course("Y2A", 6, "111-1", "D"),
        course("Y2B", 4, "111-1", "A"),
        course("Y2C", 4, "111-2", "E"),
        course("Y2D", 6, "111-2", "B"),
    ]
    result = run(make_student(courses, department="SET", last="111-2"), "111-2")
    share = node(result, "expulsion-risk.failed-credits")
    assert share.status == "not-met"
    assert share.cites == "NYCU 學則 第54條"
    assert share.details["years"]["2"] == {
        "terms": ["111-1", "111-2"],
        "taken": 20.0,
        "failed": 10.0,
        "pending": 0.0,
        "year_over": True,
        "state": "reached",
    }
    assert "study year 2 (111-1, 111-2): 10 of 20 credits failed" in share.missing["en"]
    assert "第2學年（111-1、111-2）不及格 10 學分" in share.missing["zh-TW"]
    assert node(result, "expulsion-risk").status == "not-met"


def test_failed_share_below_half_and_what_is_not_credits_taken() -> None:
    base = per_term(dict.fromkeys(terms_between("110-1", "110-2"), 12))
    courses = [
        *base,
        course("Y2A", 9, "111-1", "D"),
        course("Y2B", 11, "111-2", "A"),
        course("WD", 6, "111-1", "W"),  # withdrawn: not taken
        course("SU", 6, "111-S", "E"),  # summer: not a semester course (Art. 27 ¶3)
        course("TR", 6, "111-1", "A", transfer=True),  # transferred credits: not taken this year
    ]
    share = node(run(make_student(courses, department="SET", last="111-2"), "111-2"), "expulsion-risk.failed-credits")
    assert share.status == "met"
    assert share.details["years"]["2"]["taken"] == 20.0
    assert share.details["years"]["2"]["failed"] == 9.0
    # Not a program student: the check does not apply.
    assert run(make_student(courses, last="111-2"), "111-2").find("expulsion-risk.failed-credits") is None


def test_failed_share_of_a_year_not_over_is_in_progress_and_leave_keeps_the_year_together() -> None:
    # After the first semester of year 2, 8 of 12 failed: the year is not over (in-progress, at risk).
    courses = [*per_term(dict.fromkeys(["110-1", "110-2"], 12)), course("A", 8, "111-1", "E"), course("B", 4, "111-1")]
    share = node(run(make_student(courses, department="SET", last="111-1"), "111-1"), "expulsion-risk.failed-credits")
    assert share.status == "in-progress"
    assert share.details["years"]["2"]["state"] == "at-risk"
    # On leave 111-2 (pregnancy, Art. 53): year 2 is 111-1 and 112-1; 8 of 24 failed.
    courses.append(course("C", 12, "112-1"))
    student = make_student(courses, department="SET", last="112-1", leave={"111-2": "pregnancy"})
    share = node(run(student, "112-1"), "expulsion-risk.failed-credits")
    assert share.status == "met"
    assert share.details["years"]["2"]["terms"] == ["111-1", "112-1"]


def test_non_credit_mandatory_courses_must_be_passed_by_the_end_of_the_study_period() -> None:
    # Art. 54(8): a failed military subject is still in time before the end of the study period ...
    loads = per_term(dict.fromkeys(FOUR_YEARS, 12))
    military = course("MIL1", 0, "112-1", "F", title="軍事學科", tags=["military"])
    pe = course("PE1", 0, "110-1", "P", title="體育", tags=["pe"])
    student = make_student([*loads, military, pe], department="SET")
    check = node(run(student, "112-2"), "expulsion-risk.non-credit-courses")
    assert check.status == "in-progress"
    assert "軍事學科 (MIL1)" in check.missing["en"]
    # ... and an expulsion condition when the study period is over ...
    check = node(run(student, "113-2"), "expulsion-risk.non-credit-courses")
    assert (check.status, check.earned, check.required) == ("not-met", Decimal(1), Decimal(2))
    assert (
        "Not passed by the end of the study period (study year 4, semester 2): 軍事學科 (MIL1)" in check.missing["en"]
    )
    assert check.cites == "NYCU 學則 第54條"
    assert node(run(student, "113-2"), "expulsion-risk").status == "not-met"
    # ... unless it was passed later.
    retaken = make_student(
        [*loads, military, pe, course("MIL1", 0, "113-1", "P", title="軍事學科", tags=["military"])], department="SET"
    )
    assert node(run(retaken, "113-2"), "expulsion-risk.non-credit-courses").status == "met"
    # A year of leave moves the end of the study period back: 113-2 is study year 3, semester 2.
    leave = {"111-1": "illness", "111-2": "illness"}
    on_leave = make_student([*loads, military, pe], department="SET", leave=leave)
    assert node(run(on_leave, "113-2"), "expulsion-risk.non-credit-courses").status == "in-progress"


@settings(max_examples=60, deadline=None)
@given(
    into=st.integers(min_value=1, max_value=3),
    away=st.sets(st.integers(min_value=0, max_value=11), max_size=5),
)
def test_study_positions_advance_one_semester_per_enrolled_semester(into: int, away: set[int]) -> None:
    terms = terms_between("110-1", "115-2")
    leave = {terms[i]: "personal" for i in away}
    student = make_student(admission="110-1", last="115-2", leave=leave, admitted_into_year=into)
    expected = (into - 1) * 2 + 1
    for term in terms:
        position = study_position(student, Term.parse(term))
        assert position.index == expected  # on leave: the semester the student returns to
        assert position.enrolled == (term not in leave)
        if position.enrolled:
            assert str(study_term(student, position.year, position.semester)) == term
            expected += 1
