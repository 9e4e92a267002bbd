"""The ledger: grades read on the institution's scale, pass marks by degree, repeats, the audit term.
Policies: tests/policies/ledger (letter scale, master's pass mark 70, PE repeatable)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import applied_refs, course, make_student, node_of, not_applied_of, run
from menkan.engine import InputError, PolicySet, Term
from menkan.engine.filters import compile_filter
from menkan.engine.ledger import Ledger, Outcome, build_ledger


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("ledger")


def ledger_of(ps: PolicySet, *courses: dict, as_of: str = "113-2", **fields) -> Ledger:
    student = make_student(courses=list(courses), **fields)
    spec = ps.institution.repeats.repeatable
    repeatable = compile_filter(spec, student) if spec is not None else None
    return build_ledger(student, ps.institution, Term.parse(as_of), repeatable=repeatable)


def reading(ps: PolicySet, grade: str | None, degree: str = "bachelor"):
    entry = ledger_of(ps, course("X1", "測試", 3, "112-1", grade=grade), degree=degree).entries[0]
    return entry.outcome, entry.score, entry.points, entry.pass_fail


# --- grades ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "outcome", "score", "points"),
    [
        ("100", Outcome.PASSED, Decimal(100), Decimal("4.3")),
        ("85", Outcome.PASSED, Decimal(85), Decimal("4.0")),
        ("72", Outcome.PASSED, Decimal(72), Decimal("2.7")),
        ("60", Outcome.PASSED, Decimal(60), Decimal("1.7")),
        ("59", Outcome.FAILED, Decimal(59), Decimal("1.0")),
        ("0", Outcome.FAILED, Decimal(0), Decimal(0)),
        (" 85 ", Outcome.PASSED, Decimal(85), Decimal("4.0")),
    ],
)
def test_grade_scores_pass_at_the_pass_mark(ps, grade, outcome, score, points):
    assert reading(ps, grade) == (outcome, score, points, False)


@pytest.mark.parametrize(
    ("grade", "outcome", "score", "points"),
    [
        ("A+", Outcome.PASSED, Decimal(90), Decimal("4.3")),
        ("B-", Outcome.PASSED, Decimal(70), Decimal("2.7")),
        ("C-", Outcome.PASSED, Decimal(60), Decimal("1.7")),
        ("D", Outcome.FAILED, Decimal(50), Decimal("1.0")),
        ("E", Outcome.FAILED, Decimal(0), Decimal(0)),
    ],
)
def test_grade_letters_read_on_the_letter_scale(ps, grade, outcome, score, points):
    assert reading(ps, grade) == (outcome, score, points, False)


def test_grade_pass_fail_marks(ps):
    assert reading(ps, "P") == (Outcome.PASSED, None, None, True)
    assert reading(ps, "通過") == (Outcome.PASSED, None, None, True)
    assert reading(ps, "F") == (Outcome.FAILED, None, None, True)


def test_grade_w_is_withdrawn(ps):
    assert reading(ps, "W") == (Outcome.WITHDRAWN, None, None, False)


def test_grade_missing_is_pending(ps):
    ledger = ledger_of(ps, course("X1", "修讀中", 3, "113-2", grade=None))
    entry = ledger.entries[0]
    assert entry.outcome is Outcome.PENDING
    assert entry.pending is True
    assert entry.countable is False
    assert entry.reason is None


@pytest.mark.parametrize("grade", ["abc", "101", "-1", "A++", "NaN", "p"])
def test_grade_unknown_is_an_input_error_naming_the_course(ps, grade):
    student = make_student(
        courses=[
            course("X1", "一", 3, "113-1"),
            course("X2", "二", 3, "113-1"),
            course("X3", "三", 3, "112-1", grade=grade),
        ]
    )
    with pytest.raises(InputError) as caught:
        run(student, ps)
    problems = caught.value.problems
    assert [problem.path for problem in problems] == ["$.courses[2].grade"]
    assert problems[0].reason == f"{grade!r} is not a grade on testu's scale"
    assert problems[0].path == ("courses", 2, "grade")
    assert problems[0].source is None  # the reader of the file names the file and line, never the student id


def test_grade_every_unknown_grade_is_reported(ps):
    student = make_student(
        courses=[course("X1", "一", 3, "112-1", grade="??"), course("X2", "二", 3, "112-2", grade="Q")]
    )
    with pytest.raises(InputError) as caught:
        run(student, ps)
    assert [problem.path for problem in caught.value.problems] == ["$.courses[0].grade", "$.courses[1].grade"]


# --- pass mark by degree --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "bachelor", "master"),
    [
        ("65", Outcome.PASSED, Outcome.FAILED),
        ("69", Outcome.PASSED, Outcome.FAILED),
        ("70", Outcome.PASSED, Outcome.PASSED),
        ("C+", Outcome.PASSED, Outcome.FAILED),
        ("B-", Outcome.PASSED, Outcome.PASSED),
    ],
)
def test_pass_score_by_degree(ps, grade, bachelor, master):
    assert reading(ps, grade, degree="bachelor")[0] is bachelor
    assert reading(ps, grade, degree="master")[0] is master


# --- repeats --------------------------------------------------------------------------------------


def test_repeats_first_pass_counts_and_a_later_pass_is_repeated(ps):
    ledger = ledger_of(
        ps, course("C1", "微積分", 3, "112-1", grade="70"), course("C1", "微積分", 3, "112-2", grade="95")
    )
    first, second = ledger.entries
    assert (first.countable, first.repeated) == (True, False)
    assert (second.countable, second.repeated, second.reason) == (False, True, "repeated")
    assert [entry.course.ref for entry in ledger.countable] == ["C1@112-1"]


def test_repeats_failed_then_passed_counts_the_pass(ps):
    ledger = ledger_of(
        ps, course("C1", "微積分", 3, "112-1", grade="40"), course("C1", "微積分", 3, "112-2", grade="75")
    )
    failed, passed = ledger.entries
    assert (failed.outcome, failed.reason, failed.countable) == (Outcome.FAILED, "failed", False)
    assert (passed.outcome, passed.repeated, passed.countable) == (Outcome.PASSED, False, True)


def test_repeats_pending_retake_of_a_passed_course_is_repeated_not_pending(ps):
    ledger = ledger_of(ps, course("C1", "微積分", 3, "112-1"), course("C1", "微積分", 3, "113-2", grade=None))
    retake = ledger.entries[1]
    assert (retake.pending, retake.repeated, retake.reason) == (False, True, "repeated")


def test_repeats_are_judged_in_term_order_not_file_order(ps):
    ledger = ledger_of(
        ps, course("C1", "微積分", 3, "112-2", grade="90"), course("C1", "微積分", 3, "112-1", grade="61")
    )
    assert [entry.course.ref for entry in ledger.entries] == ["C1@112-1", "C1@112-2"]
    assert [entry.course.grade for entry in ledger.entries] == ["61", "90"]
    assert [entry.course.ref for entry in ledger.countable] == ["C1@112-1"]


def test_repeatable_courses_count_every_pass(ps):
    ledger = ledger_of(
        ps,
        course("PE1", "體育", 1, "112-1", tags=["pe"]),
        course("PE1", "體育", 1, "112-2", tags=["pe"]),
        course("PE1", "體育", 1, "113-1", tags=["pe"]),
    )
    assert [entry.countable for entry in ledger.entries] == [True, True, True]
    assert not any(entry.repeated for entry in ledger.entries)


def test_repeats_reasons_in_an_audit(ps):
    student = make_student(
        courses=[
            course("C1", "微積分", 3, "112-1", grade="40"),
            course("C1", "微積分", 3, "112-2", grade="80"),
            course("C1", "微積分", 3, "113-1", grade="90"),
            course("C2", "英文", 2, "112-1", grade="W"),
            course("PE1", "體育", 1, "112-1", tags=["pe"], grade="P"),
            course("PE1", "體育", 1, "112-2", tags=["pe"], grade="P"),
        ]
    )
    node = node_of(run(student, ps), "total")
    assert applied_refs(node) == [("PE1@112-1", 1), ("C1@112-2", 3), ("PE1@112-2", 1)]
    assert not_applied_of(node) == [
        ("C1@112-1", "failed"),
        ("C2@112-1", "withdrawn"),
        ("C1@113-1", "repeated"),
    ]
    assert node.earned == Decimal(5)


# --- the audit term -------------------------------------------------------------------------------


def test_as_of_cuts_later_terms(ps):
    ledger = ledger_of(
        ps,
        course("C1", "微積分", 3, "113-2"),
        course("C2", "線性代數", 3, "113-S"),
        course("C3", "機率", 3, "114-1", grade=None),
        as_of="113-2",
    )
    assert [entry.course.ref for entry in ledger.entries] == ["C1@113-2"]
    assert [record.ref for record in ledger.later] == ["C2@113-S", "C3@114-1"]


def test_as_of_later_courses_do_not_appear_in_the_audit(ps):
    student = make_student(courses=[course("C1", "微積分", 12, "113-2"), course("C2", "線性代數", 3, "114-1")])
    early = node_of(run(student, ps, as_of="113-1"), "total")
    assert early.applied == []
    assert early.not_applied == []
    assert early.status == "not-met"
    late = node_of(run(student, ps, as_of="114-1"), "total")
    assert applied_refs(late) == [("C1@113-2", 12), ("C2@114-1", 3)]
