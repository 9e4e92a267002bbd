"""Credit requirements: filters, reasons, caps and sub-limits, overrides, course counts, pending courses,
and exclusive groups (overflow, group totals, contested courses). Policies: tests/policies/credits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import applied_refs, course, make_student, node_of, not_applied_of, run
from menkan.engine import InputError, PolicySet, load_policy_dir


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("credits")


# --- include / exclude filters -------------------------------------------------------------------


def test_include_category_counts_only_that_category(ps):
    student = make_student(
        courses=[
            course("GE1", "通識一", 2, "112-1", category="gen-ed"),
            course("GE2", "通識二", 2, "112-2", category="gen-ed"),
            course("MJ1", "工程數學", 3, "112-1", category="major"),
        ]
    )
    node = node_of(run(student, ps), "gen-ed")
    assert node.status == "not-met"
    assert node.earned == Decimal(4)
    assert node.required == Decimal(6)
    assert node.display == "4 / 6"
    assert node.unit == "credits"
    assert node.cites == "Test 學則 第1條"
    assert applied_refs(node) == [("GE1@112-1", 2), ("GE2@112-2", 2)]
    assert node.not_applied == []


def test_include_tags_matches_any_listed_tag(ps):
    student = make_student(
        courses=[
            course("GE1", "物理與生活", 2, "112-1", tags=["gen-ed:自然"]),
            course("GE2", "社會學", 2, "112-1", tags=["gen-ed:社會"]),
            course("GE3", "哲學", 2, "112-2", tags=["gen-ed:人文", "writing"]),
        ]
    )
    node = node_of(run(student, ps), "nature")
    assert node.status == "met"
    assert node.earned == Decimal(4)
    assert applied_refs(node) == [("GE1@112-1", 2), ("GE3@112-2", 2)]


def test_include_level_counts_graduate_courses_only(ps):
    student = make_student(
        courses=[
            course("G501", "高等演算法", 3, "113-1", level="graduate"),
            course("U301", "演算法", 3, "112-2", level="undergraduate"),
            course("X100", "無標示", 3, "112-1"),
        ]
    )
    node = node_of(run(student, ps), "graduate-level")
    assert node.status == "met"
    assert applied_refs(node) == [("G501@113-1", 3)]


def test_include_delivery_counts_remote_courses_only(ps):
    student = make_student(
        courses=[
            course("R1", "線上課程", 2, "112-1", delivery="remote"),
            course("P1", "實體課程", 2, "112-1", delivery="in-person"),
        ]
    )
    node = node_of(run(student, ps), "remote")
    assert node.status == "met"
    assert applied_refs(node) == [("R1@112-1", 2)]


def test_include_transfer_counts_transferred_credits_only(ps):
    student = make_student(
        courses=[
            course("T1", "抵免課程", 2, "112-1", transfer=True, grade="P"),
            course("N1", "一般課程", 2, "112-1"),
        ]
    )
    node = node_of(run(student, ps), "transferred")
    assert node.status == "met"
    assert applied_refs(node) == [("T1@112-1", 2)]


def test_include_own_department_true_and_false(ps):
    student = make_student(
        department="CE",
        courses=[
            course("CE1", "結構學", 3, "112-1", offered_by="CE"),
            course("EE1", "電路學", 3, "112-1", offered_by="EE"),
            course("XX1", "未標示開課單位", 1, "112-1"),
        ],
    )
    result = run(student, ps)
    own = node_of(result, "own-department")
    other = node_of(result, "other-departments")
    assert applied_refs(own) == [("CE1@112-1", 3)]
    assert own.status == "met"
    # A course with no offering unit is not the student's own department's course.
    assert applied_refs(other) == [("EE1@112-1", 3), ("XX1@112-1", 1)]
    assert other.earned == Decimal(4)


def test_exclude_filter_gives_excluded_reason(ps):
    student = make_student(
        courses=[
            course("F1", "攝影", 3, "112-1", category="free"),
            course("MIL", "全民國防", 2, "112-1", category="free", tags=["military"]),
            course("F2", "烹飪", 3, "112-2", category="free"),
        ]
    )
    node = node_of(run(student, ps), "free")
    assert node.status == "met"
    assert node.earned == Decimal(6)
    assert applied_refs(node) == [("F1@112-1", 3), ("F2@112-2", 3)]
    assert not_applied_of(node) == [("MIL@112-1", "excluded")]
    assert node.not_applied[0].amount == Decimal(2)
    assert node.not_applied[0].title == "全民國防"


# --- attempts that do not count ------------------------------------------------------------------


def test_failed_withdrawn_and_repeated_attempts_give_their_reasons(ps):
    student = make_student(
        courses=[
            course("F1", "攝影", 3, "112-1", category="free", grade="45"),
            course("F2", "烹飪", 3, "112-1", category="free", grade="W"),
            course("F3", "園藝", 2, "112-1", category="free", grade="70"),
            course("F3", "園藝", 2, "112-2", category="free", grade="90"),
            course("F1", "攝影", 3, "112-2", category="free", grade="75"),
        ]
    )
    node = node_of(run(student, ps), "free")
    assert applied_refs(node) == [("F3@112-1", 2), ("F1@112-2", 3)]
    assert node.earned == Decimal(5)
    assert node.status == "not-met"
    assert not_applied_of(node) == [
        ("F1@112-1", "failed"),
        ("F2@112-1", "withdrawn"),
        ("F3@112-2", "repeated"),
    ]


# --- caps and sub-limits --------------------------------------------------------------------------


def test_max_caps_the_total_and_cuts_the_latest_course_partially(ps):
    student = make_student(
        courses=[
            course("C1", "上限一", 3, "112-1", category="capped"),
            course("C2", "上限二", 3, "112-2", category="capped"),
        ]
    )
    node = node_of(run(student, ps), "capped")
    assert node.status == "met"
    assert node.earned == Decimal(4)
    assert node.display == "4 / 2"
    assert applied_refs(node) == [("C1@112-1", 3), ("C2@112-2", 1)]
    assert not_applied_of(node) == [("C2@112-2", "over-cap")]
    assert node.not_applied[0].amount == Decimal(2)
    assert node.not_applied[0].detail == "max"


def test_limits_max_and_max_fraction_of_min_cut_with_over_cap(ps):
    student = make_student(
        courses=[
            course("E1", "選修一", 3, "112-1", category="elective"),
            course("R1", "遠距一", 2, "112-1", category="elective", delivery="remote"),
            course("R2", "遠距二", 2, "112-2", category="elective", delivery="remote"),
            course("S1", "暑修一", 3, "112-S", category="elective"),
        ]
    )
    node = node_of(run(student, ps), "limited")
    # remote-cap: at most 2; summer-cap: at most 0.2 × 10 = 2.
    assert applied_refs(node) == [("E1@112-1", 3), ("R1@112-1", 2), ("S1@112-S", 2)]
    assert [(n.ref, n.reason, n.amount, n.detail) for n in node.not_applied] == [
        ("R2@112-2", "over-cap", Decimal(2), "remote-cap"),
        ("S1@112-S", "over-cap", Decimal(1), "summer-cap"),
    ]
    assert node.earned == Decimal(7)
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "尚缺 3 學分", "en": "3 credits more needed"}


# --- overrides ------------------------------------------------------------------------------------


MAJOR = [course("MJ1", "專業一", 4, "113-1", category="major"), course("MJ2", "專業二", 4, "113-2", category="major")]


def test_override_min_for_students_admitted_from_a_term(ps):
    before = node_of(run(make_student(admission_term="112-1", courses=MAJOR), ps), "major")
    after = node_of(run(make_student(admission_term="113-1", courses=MAJOR), ps), "major")
    assert (before.required, before.status) == (Decimal(10), "not-met")
    assert (after.required, after.status) == (Decimal(8), "met")


def test_override_add_min_by_flag_adds_up(ps):
    one = node_of(run(make_student(flags=["double-major"], courses=MAJOR), ps), "major")
    both = node_of(run(make_student(admission_term="113-1", flags=["double-major", "honors"]), ps), "major")
    assert one.required == Decimal(12)
    assert both.required == Decimal(11)
    assert one.missing == {"zh-TW": "尚缺 4 學分", "en": "4 credits more needed"}


def test_override_exclude_by_department(ps):
    courses = [*MAJOR, course("LAB", "電子實驗", 2, "113-1", category="major", tags=["lab"])]
    ce = node_of(run(make_student(department="CE", courses=courses), ps), "major")
    ee = node_of(run(make_student(department="EE", courses=courses), ps), "major")
    assert ce.earned == Decimal(10)
    assert ce.status == "met"
    assert ce.not_applied == []
    assert ee.earned == Decimal(8)
    assert ee.status == "not-met"
    assert not_applied_of(ee) == [("LAB@113-1", "excluded")]


# --- unit: courses --------------------------------------------------------------------------------


def test_unit_courses_counts_courses_not_credits(ps):
    student = make_student(
        courses=[
            course("SM1", "專題討論一", 0, "112-1", category="seminar", grade="P"),
            course("SM2", "專題討論二", 1, "112-2", category="seminar", grade="P"),
            course("SM3", "專題討論三", 2, "113-1", category="seminar"),
        ]
    )
    node = node_of(run(student, ps), "seminars")
    assert node.unit == "courses"
    assert node.status == "met"
    assert node.earned == Decimal(3)
    assert node.display == "3 / 3"
    assert applied_refs(node) == [("SM1@112-1", 1), ("SM2@112-2", 1), ("SM3@113-1", 1)]


def test_unit_courses_pending_course_missing_sentence(ps):
    student = make_student(
        courses=[
            course("SM1", "專題討論一", 1, "112-1", category="seminar", grade="P"),
            course("SM2", "專題討論二", 1, "112-2", category="seminar", grade="P"),
            course("SM3", "專題討論三", 1, "113-2", category="seminar", grade=None),
        ]
    )
    node = node_of(run(student, ps), "seminars")
    assert node.status == "in-progress"
    assert node.earned == Decimal(2)
    assert node.missing == {
        "zh-TW": "尚缺 1 門課程；修讀中的 1 門課程及格後即可達成",
        "en": "1 course short; met once the 1 course in progress are passed",
    }


# --- pending courses and missing sentences -------------------------------------------------------


def test_in_progress_when_pending_courses_would_meet_it(ps):
    student = make_student(
        courses=[
            course("GE1", "通識一", 2, "112-1", category="gen-ed"),
            course("GE2", "通識二", 2, "112-2", category="gen-ed"),
            course("GE3", "通識三", 2, "113-2", category="gen-ed", grade=None),
        ]
    )
    node = node_of(run(student, ps), "gen-ed")
    assert node.status == "in-progress"
    assert node.earned == Decimal(4)
    assert [(a.ref, a.pending) for a in node.applied] == [
        ("GE1@112-1", False),
        ("GE2@112-2", False),
        ("GE3@113-2", True),
    ]
    assert node.missing == {
        "zh-TW": "尚缺 2 學分；修讀中的 2 學分及格後即可達成",
        "en": "2 credits short; met once the 2 credits in progress are passed",
    }


def test_not_in_progress_when_pending_courses_would_not_meet_it(ps):
    student = make_student(
        courses=[
            course("GE1", "通識一", 2, "112-1", category="gen-ed"),
            course("GE3", "通識三", 2, "113-2", category="gen-ed", grade=None),
        ]
    )
    node = node_of(run(student, ps), "gen-ed")
    assert node.status == "not-met"
    assert node.earned == Decimal(2)
    assert node.missing == {
        "zh-TW": "尚缺 4 學分（修讀中的 2 學分及格後仍不足）",
        "en": "4 credits more needed (still short after the 2 credits in progress)",
    }


def test_missing_sentence_without_pending_and_empty_when_met(ps):
    short = node_of(run(make_student(courses=[course("GE1", "通識一", 5, "112-1", category="gen-ed")]), ps), "gen-ed")
    assert short.missing == {"zh-TW": "尚缺 1 學分", "en": "1 credit more needed"}
    met = node_of(run(make_student(courses=[course("GE1", "通識一", 6, "112-1", category="gen-ed")]), ps), "gen-ed")
    assert met.missing == {"zh-TW": "", "en": ""}


# --- exclusive groups -----------------------------------------------------------------------------


def structure_student(*extra: dict):
    courses = [
        course("G1", "通識一", 4, "112-1", category="gen-ed"),
        course("G2", "通識二", 4, "112-2", category="gen-ed"),
        course("M1", "專業一", 4, "112-1", category="major"),
        course("M2", "專業二", 4, "112-2", category="major"),
        course("M3", "專業三", 6, "113-1", category="major"),
        course("F1", "自選一", 6, "112-1", category="free"),
        course("F2", "自選二", 4, "112-2", category="free"),
        course("F3", "自選三", 4, "113-1", category="free"),
        *extra,
    ]
    return make_student(courses=courses)


def test_exclusive_overflow_with_max_keeps_the_rest_uncounted(ps):
    node = node_of(run(structure_student(), ps), "structure.gen-ed")
    assert node.status == "met"
    assert node.earned == Decimal(8)
    assert node.display == "8 / 4"
    assert node.details["overflow"] == {"into": "structure.free", "amount": 2.0}
    assert node.details["not_counted"] == 2.0


def test_exclusive_overflow_without_max_flows_everything_beyond_the_minimum(ps):
    node = node_of(run(structure_student(), ps), "structure.major")
    assert node.earned == Decimal(14)
    assert node.details["overflow"] == {"into": "structure.free", "amount": 4.0}
    assert "not_counted" not in node.details


def test_exclusive_overflow_target_shows_own_plus_inflow(ps):
    node = node_of(run(structure_student(), ps), "structure.free")
    assert node.status == "met"
    assert node.display == "14 + 6 / 20"
    assert node.earned == Decimal(20)
    assert applied_refs(node) == [
        ("F1@112-1", 6),
        ("F2@112-2", 4),
        ("F3@113-1", 4),
        ("structure.gen-ed", 2),
        ("structure.major", 4),
    ]
    assert [a.kind for a in node.applied][-2:] == ["overflow", "overflow"]


def test_exclusive_group_total_counts_no_credit_twice(ps):
    result = run(structure_student(), ps)
    group = node_of(result, "structure")
    # 36 credits taken; 2 gen-ed credits beyond the overflow max are lost: 4 + 10 + 20 = 34.
    assert sum(child.earned for child in group.children) == Decimal(42)
    assert group.earned == Decimal(34)
    assert group.required == Decimal(40)
    assert group.display == "34 / 40"
    assert group.status == "not-met"
    assert group.missing == {"zh-TW": "尚缺 6 學分", "en": "6 credits more needed"}
    assert all(child.status == "met" for child in group.children)


def test_exclusive_group_total_met(ps):
    result = run(structure_student(course("F4", "自選四", 6, "113-2", category="free")), ps)
    group = node_of(result, "structure")
    assert group.earned == Decimal(40)
    assert group.status == "met"
    assert node_of(result, "structure.free").display == "20 + 6 / 20"


def test_exclusive_uncontested_group_has_no_milp_allocation(ps):
    result = run(structure_student(), ps)
    for requirement_id in ("structure.gen-ed", "structure.major", "structure.free"):
        assert "allocation" not in node_of(result, requirement_id).details


def contested_student():
    return make_student(
        courses=[
            course("C1", "雙標籤課", 3, "112-1", tags=["x", "y"]),
            course("C2", "單標籤課", 3, "112-2", tags=["x"]),
        ]
    )


def test_exclusive_contested_course_goes_where_most_requirements_are_met(ps):
    result = run(contested_student(), ps)
    a, b = node_of(result, "contest.a"), node_of(result, "contest.b")
    assert (a.status, b.status) == ("met", "met")
    assert applied_refs(a) == [("C2@112-2", 3)]
    assert applied_refs(b) == [("C1@112-1", 3)]
    assert node_of(result, "contest").status == "met"


def test_exclusive_counted_elsewhere_names_the_other_requirement(ps):
    a = node_of(run(contested_student(), ps), "contest.a")
    assert [(n.ref, n.reason, n.detail, n.amount) for n in a.not_applied] == [
        ("C1@112-1", "counted-elsewhere", "contest.b", Decimal(3))
    ]


def test_exclusive_contested_allocation_is_marked_with_how_it_was_proven(ps):
    """Contested groups say how the optimum was established: a proposal meeting the upper bound, or the MILP."""
    result = run(contested_student(), ps)
    assert node_of(result, "contest.a").details["allocation"] in ("bound", "milp")
    assert node_of(result, "contest.b").details["allocation"] == node_of(result, "contest.a").details["allocation"]


def test_exclusive_as_dict_carries_display_and_overflow(ps):
    data = run(structure_student(), ps).as_dict()
    assert data["schema"] == "menkan.audit/1"
    structure = next(r for r in data["requirements"] if r["id"] == "structure")
    free = next(c for c in structure["children"] if c["id"] == "structure.free")
    assert free["display"] == "14 + 6 / 20"
    assert free["required"] == 20
    assert free["earned"] == 20
    assert {"kind": "overflow", "ref": "structure.gen-ed", "amount": 2} in free["applied"]
    assert free["cites"] == "Test 學則 第6條"


def test_exclusive_group_total_in_progress_when_pending_courses_would_meet_it(ps):
    student = structure_student(course("F4", "自選四", 6, "113-2", category="free", grade=None))
    group = node_of(run(student, ps), "structure")
    # Every child is met already; the 6 credits in progress would lift the total from 34 to 40.
    assert all(child.status == "met" for child in group.children)
    assert group.earned == Decimal(34)
    assert group.status == "in-progress"
    assert group.missing == {
        "zh-TW": "尚缺 6 學分；修讀中的 6 學分及格後即可達成",
        "en": "6 credits short; met once the 6 credits in progress are passed",
    }


def test_exclusive_leaves_under_a_group_that_does_not_apply_take_no_courses(ps):
    # `scoped.ee` applies to EE students only; for a CE student its buckets are not part of the audit,
    # so they cannot take the courses that `scoped.a` needs.
    student = make_student(
        department="CE",
        courses=[course("Z1", "甲", 3, "112-1", tags=["z"]), course("Z2", "乙", 3, "112-2", tags=["z"])],
    )
    result = run(student, ps)
    assert result.find("scoped.ee") is None
    a = node_of(result, "scoped.a")
    assert a.status == "met"
    assert applied_refs(a) == [("Z1@112-1", 3), ("Z2@112-2", 3)]
    assert a.not_applied == []


def test_exclusive_group_mixing_credit_and_course_units_is_a_policy_error(tmp_path):
    """One unit per exclusive group: a course cannot weigh 3 in one bucket and 1 in its neighbour."""
    (tmp_path / "institution.yaml").write_text(
        "schema: menkan.institution/1\nid: mix\nname: {zh-TW: 混, en: Mix}\n", encoding="utf-8"
    )
    (tmp_path / "p.yaml").write_text(
        """schema: menkan.policy/1
id: p
institution: mix
title: {zh-TW: 政策, en: Policy}
requirements:
  - id: mixed
    kind: all
    exclusive: true
    title: {zh-TW: 學分與門數, en: Credits and course counts}
    cites: "Test 學則 第9條"
    children:
      - {id: electives, kind: credits, min: 6, title: {zh-TW: 選修, en: Electives}, cites: "Art. 9"}
      - {id: seminars, kind: credits, unit: courses, min: 2, title: {zh-TW: 專討, en: Seminars}, cites: "Art. 9"}
""",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == "$.requirements[0]"
    assert "mix units (courses, credits)" in problem.reason
