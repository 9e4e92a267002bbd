"""Course lists: all of them, choose N, alternatives, course identity (code, same title, equivalents),
one record per slot, pending courses. Policies: tests/policies/courses-code and courses-title."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import applied_refs, course, make_student, node_of, not_applied_of, run
from menkan.engine import PolicySet


@pytest.fixture(scope="module")
def by_code(policies) -> PolicySet:
    return policies("courses-code")


@pytest.fixture(scope="module")
def by_title(policies) -> PolicySet:
    return policies("courses-title")


def test_all_of_list_met_with_alternative_and_equivalent_code(by_code):
    student = make_student(
        courses=[
            course("M1", "微積分", 3, "112-1"),
            course("M2X", "普通物理", 3, "112-1"),
            course("CS101E", "Introduction to Computer Science", 3, "112-2"),
        ]
    )
    node = node_of(run(student, by_code), "core")
    assert node.status == "met"
    assert node.unit == "courses"
    assert (node.earned, node.required) == (Decimal(3), Decimal(3))
    assert node.display == "3 / 3"
    assert applied_refs(node) == [("M1@112-1", 1), ("M2X@112-1", 1), ("CS101E@112-2", 1)]
    assert node.missing == {"zh-TW": "", "en": ""}
    assert node.details == {}


def test_all_of_list_missing_names_the_open_courses(by_code):
    student = make_student(courses=[course("M1", "微積分", 3, "112-1")])
    node = node_of(run(student, by_code), "core")
    assert node.status == "not-met"
    assert (node.earned, node.required) == (Decimal(1), Decimal(3))
    assert node.missing == {
        "zh-TW": "尚缺課程：物理 (M2)、計算機概論 (CS101)",
        "en": "Missing courses: 物理 (M2), 計算機概論 (CS101)",
    }
    assert node.details == {"open": ["物理 (M2)", "計算機概論 (CS101)"]}


def test_choose_n_met_with_any_n_of_the_list(by_code):
    student = make_student(courses=[course("E1", "英文一", 2, "112-1"), course("E3", "英文三", 2, "113-1")])
    node = node_of(run(student, by_code), "english")
    assert node.status == "met"
    assert (node.earned, node.required) == (Decimal(2), Decimal(2))
    assert applied_refs(node) == [("E1@112-1", 1), ("E3@113-1", 1)]


def test_choose_n_missing_offers_the_remaining_choices(by_code):
    student = make_student(courses=[course("E1", "英文一", 2, "112-1")])
    node = node_of(run(student, by_code), "english")
    assert node.status == "not-met"
    assert (node.earned, node.required) == (Decimal(1), Decimal(2))
    assert node.missing == {
        "zh-TW": "尚需 1 門，可選：英文二 (E2)、英文三 (E3)",
        "en": "1 more from: 英文二 (E2), 英文三 (E3)",
    }


def test_identity_same_title_matches_a_different_code(by_title):
    student = make_student(courses=[course("M1-B", "微積分", 3, "112-1"), course("PHY", "普通 物理", 3, "112-1")])
    node = node_of(run(student, by_title), "core")
    # Same title, different code: the same course. Titles compare without spaces.
    assert applied_refs(node) == [("M1-B@112-1", 1), ("PHY@112-1", 1)]
    assert node.earned == Decimal(2)


def test_identity_by_code_only_ignores_a_same_title_with_another_code(by_code):
    student = make_student(courses=[course("M1-B", "微積分", 3, "112-1"), course("PHY", "普通物理", 3, "112-1")])
    node = node_of(run(student, by_code), "core")
    assert node.applied == []
    assert node.earned == Decimal(0)
    assert node.status == "not-met"


def test_identity_equivalents_group_fills_the_listed_code(by_code, by_title):
    student = make_student(courses=[course("CS101E", "計概(英)", 3, "112-1")])
    assert applied_refs(node_of(run(student, by_code), "core")) == [("CS101E@112-1", 1)]
    assert applied_refs(node_of(run(student, by_title), "core")) == [("CS101E@112-1", 1)]


def test_identity_same_title_makes_a_second_pass_a_repeat(by_title, by_code):
    courses = [course("M1", "微積分", 3, "112-1"), course("M1-B", "微積分", 3, "112-2")]
    titled = node_of(run(make_student(courses=courses), by_title), "core")
    assert applied_refs(titled) == [("M1@112-1", 1)]
    assert not_applied_of(titled) == [("M1-B@112-2", "repeated")]
    coded = node_of(run(make_student(courses=courses), by_code), "core")
    assert applied_refs(coded) == [("M1@112-1", 1)]
    assert coded.not_applied == []


def test_one_record_fills_one_slot_so_a_course_listed_twice_needs_two_repeatable_passes(by_code):
    once = make_student(courses=[course("PE", "體育", 0, "112-1", tags=["pe"])])
    twice = make_student(
        courses=[course("PE", "體育", 0, "112-1", tags=["pe"]), course("PE", "體育", 0, "112-2", tags=["pe"])]
    )
    one = node_of(run(once, by_code), "pe")
    assert (one.status, one.earned, one.required) == ("not-met", Decimal(1), Decimal(2))
    assert one.missing == {"zh-TW": "尚缺課程：體育 (PE)", "en": "Missing courses: 體育 (PE)"}
    two = node_of(run(twice, by_code), "pe")
    assert (two.status, two.earned) == ("met", Decimal(2))
    assert sorted(applied_refs(two)) == [("PE@112-1", 1), ("PE@112-2", 1)]


def test_course_listed_twice_without_repeatable_counts_the_second_pass_as_repeated(by_code):
    student = make_student(courses=[course("L1", "實驗", 1, "112-1"), course("L1", "實驗", 1, "112-2")])
    node = node_of(run(student, by_code), "lab")
    assert (node.status, node.earned) == ("not-met", Decimal(1))
    assert applied_refs(node) == [("L1@112-1", 1)]
    assert not_applied_of(node) == [("L1@112-2", "repeated")]


def test_pending_course_makes_the_list_in_progress(by_code):
    student = make_student(
        courses=[
            course("M1", "微積分", 3, "112-1"),
            course("M2", "物理", 3, "112-2"),
            course("CS101", "計算機概論", 3, "113-2", grade=None),
        ]
    )
    node = node_of(run(student, by_code), "core")
    assert node.status == "in-progress"
    assert node.earned == Decimal(2)
    assert [(a.ref, a.pending) for a in node.applied] == [
        ("M1@112-1", False),
        ("M2@112-2", False),
        ("CS101@113-2", True),
    ]
    assert node.missing == {"zh-TW": "尚缺課程：計算機概論 (CS101)", "en": "Missing courses: 計算機概論 (CS101)"}


def test_pending_course_that_does_not_close_the_list_leaves_it_not_met(by_code):
    student = make_student(courses=[course("M1", "微積分", 3, "112-1"), course("M2", "物理", 3, "113-2", grade=None)])
    node = node_of(run(student, by_code), "core")
    assert node.status == "not-met"


def test_failed_attempt_of_a_listed_course_is_not_applied_with_its_reason(by_code):
    student = make_student(courses=[course("M1", "微積分", 3, "112-1", grade="40"), course("E2", "英文二", 2, "112-1")])
    result = run(student, by_code)
    core = node_of(result, "core")
    assert core.applied == []
    assert not_applied_of(core) == [("M1@112-1", "failed")]
    # A course that is on no slot of this list is not mentioned by it.
    assert "E2@112-1" not in [n.ref for n in core.not_applied]


def test_identity_same_title_still_honours_equivalent_codes_for_repeats(by_title):
    # CS101 and CS101E are declared one course; same_title adds title matches, it does not drop the codes.
    student = make_student(
        courses=[course("CS101", "計算機概論", 3, "112-1"), course("CS101E", "計概(英)", 3, "112-2")]
    )
    node = node_of(run(student, by_title), "core")
    assert applied_refs(node) == [("CS101@112-1", 1)]
    assert not_applied_of(node) == [("CS101E@112-2", "repeated")]


def test_identity_same_title_still_treats_the_same_code_as_the_same_course(by_title):
    # A course renamed between terms keeps its code: passing it again is a repeat.
    student = make_student(courses=[course("M1", "微積分", 3, "112-1"), course("M1", "微積分(一)", 3, "112-2")])
    node = node_of(run(student, by_title), "core")
    assert applied_refs(node) == [("M1@112-1", 1)]
    assert not_applied_of(node) == [("M1@112-2", "repeated")]
