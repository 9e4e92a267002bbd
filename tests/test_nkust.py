"""NKUST general-education micro-credits (通識微學分), policy src/menkan/policies/nkust.

The document (/regulations/000, NKUST Center for the Liberal Arts): hours of micro-credit courses accumulate
across semesters; 18 h earn 1 credit, 36 h 2 credits; at most 36 h count; a duplicate course title is not
recognised; up to 2 credits may offset the five major categories of general education. The cases below are
the issue's: 17 h → 0, 18 h → 1, 35 h → 1, 36 h → 2, 50 h → 2 with 14 h over the cap, a duplicate title
counted once; and hours of several semesters, a failed course, the offset cap, the demo cohort."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import activity, course, make_student, node_of, not_applied_of, run
from menkan.engine import AuditResult, PolicySet, RequirementResult, load_shipped

ROOT = Path(__file__).resolve().parent.parent
MICRO = "ge-micro-credits"


@pytest.fixture(scope="module")
def nkust() -> PolicySet:
    return load_shipped("nkust")


def audit_nkust(
    policy_set: PolicySet,
    *,
    activities: list[dict[str, Any]] | None = None,
    courses: list[dict[str, Any]] | None = None,
    as_of: str = "113-2",
) -> AuditResult:
    student = make_student(
        student_id="N11100001",
        institution="nkust",
        department="CSIE",
        admission_term="111-1",
        activities=activities or [],
        courses=courses or [],
    )
    return run(student, policy_set, as_of)


def micro(title: str, hours: int, term: str = "112-1", **kw: Any) -> dict[str, Any]:
    return activity("ge-micro", hours, term, title, unit="通識教育中心", **kw)


def micro_node(policy_set: PolicySet, *rows: dict[str, Any]) -> RequirementResult:
    return node_of(audit_nkust(policy_set, activities=list(rows)), MICRO)


def split(total: int) -> list[dict[str, Any]]:
    """`total` hours as micro-credit courses of distinct titles (at most 9 h each), in one semester."""
    rows = []
    number = 1
    while total > 0:
        hours = min(9, total)
        rows.append(micro(f"微學分課程{number}", hours))
        total -= hours
        number += 1
    return rows


@pytest.mark.parametrize(
    ("hours", "credits", "counted", "ignored"),
    [(17, 0, 17, 0), (18, 1, 18, 0), (35, 1, 35, 0), (36, 2, 36, 0), (50, 2, 36, 14)],
)
def test_hours_earn_credits_in_steps_of_18_up_to_36(
    nkust: PolicySet, hours: int, credits: int, counted: int, ignored: int
) -> None:
    node = micro_node(nkust, *split(hours))
    assert node.details["credits"] == credits
    assert node.details["hours_counted"] == counted
    assert node.details["hours_ignored"] == ignored
    assert node.earned == counted
    # Met means the full 2 credits (36 h): the requirement is advisory and never decides the student's status.
    assert node.status == ("met" if hours >= 36 else "not-met")
    assert node.advisory
    over = [item for item in node.not_applied if item.reason == "over-cap"]
    assert sum(item.amount or 0 for item in over) == ignored


def test_fifty_hours_show_fourteen_over_the_cap_from_the_latest_courses(nkust: PolicySet) -> None:
    rows = [
        micro("感知美學：攝影", 20, "111-1"),
        micro("雲端跨域：AWS", 20, "111-2"),
        micro("在地實踐：社區", 10, "112-1"),
    ]
    node = micro_node(nkust, *rows)
    assert node.display == "36 / 36 (2 學分 credits)"
    assert [(item.ref, item.amount) for item in node.applied] == [
        ("ge-micro:感知美學：攝影@111-1", 20),
        ("ge-micro:雲端跨域：AWS@111-2", 16),
    ]
    assert [(item.ref, item.reason, item.amount) for item in node.not_applied] == [
        ("ge-micro:在地實踐：社區@112-1", "over-cap", 10),
        ("ge-micro:雲端跨域：AWS@111-2", "over-cap", 4),
    ]


def test_two_courses_with_the_same_title_count_once(nkust: PolicySet) -> None:
    rows = [micro("生命感知：桌遊與溝通", 9, "111-1"), micro("生命感知：桌遊與溝通", 9, "112-1")]
    node = micro_node(nkust, *rows)
    assert node.earned == 9
    assert node.details["credits"] == 0
    assert not_applied_of(node) == [("ge-micro:生命感知：桌遊與溝通@112-1", "duplicate-title")]
    assert node.missing["en"]  # 27 hours to go for the 2 credits


def test_hours_of_several_semesters_accumulate(nkust: PolicySet) -> None:
    rows = [
        micro("課程A", 6, "111-1"),
        micro("課程B", 6, "111-2"),
        micro("課程C", 6, "112-1"),
        micro("課程D", 3, "112-2"),
    ]
    node = micro_node(nkust, *rows)
    assert node.earned == 21
    assert node.details["credits"] == 1
    assert [str(item.term) for item in node.applied] == ["111-1", "111-2", "112-1", "112-2"]


def test_a_failed_course_does_not_count(nkust: PolicySet) -> None:
    rows = [micro("課程A", 9, "111-1"), micro("課程B", 9, "111-2", passed=False)]
    node = micro_node(nkust, *rows)
    assert node.earned == 9
    assert node.details["credits"] == 0
    assert not_applied_of(node) == [("ge-micro:課程B@111-2", "failed")]


def test_a_failed_course_passed_later_under_the_same_title_counts(nkust: PolicySet) -> None:
    rows = [micro("課程A", 9, "111-1", passed=False), micro("課程A", 9, "111-2"), micro("課程B", 9, "112-1")]
    node = micro_node(nkust, *rows)
    assert node.earned == 18
    assert node.details["credits"] == 1


def test_hours_of_later_terms_do_not_count_yet(nkust: PolicySet) -> None:
    node = node_of(audit_nkust(nkust, activities=[micro("課程A", 18, "114-1")], as_of="113-2"), MICRO)
    assert node.earned == 0


def test_the_micro_credits_never_decide_the_students_status(nkust: PolicySet) -> None:
    result = audit_nkust(nkust, activities=[micro("課程A", 3)], courses=gen_ed_complete())
    assert node_of(result, MICRO).status == "not-met"
    assert result.status == "met"


# General education: five categories (placeholders) of 2 credits each, 12 credits in all; an approved
# offset counts toward the 12, at most 2 credits.


def gen_ed(code: str, tag: str, credits: int = 2, term: str = "111-1", grade: str = "80") -> dict[str, Any]:
    return course(code, f"通識{code}", credits, term, grade, category="gen-ed", tags=[f"ge:{tag}"])


def gen_ed_complete() -> list[dict[str, Any]]:
    """2 credits in each category and 2 more: 12 credits."""
    tags = ["humanities", "social", "natural", "technology", "life", "humanities"]
    return [gen_ed(f"GE{n}", tag) for n, tag in enumerate(tags, start=1)]


def offset(credits: int = 2, term: str = "113-1", code: str = "GEMC-OFFSET") -> dict[str, Any]:
    return course(code, "通識微學分抵免", credits, term, "P", category="gen-ed", tags=["ge-offset"])


def imported(step: int, term: str = "112-2", grade: str = "P") -> dict[str, Any]:
    """A micro-credit course imported after certification: GEMC1 通識微學分課程(一) or GEMC2 (二), 1 credit."""
    number = "一二"[step - 1]
    return course(f"GEMC{step}", f"通識微學分課程({number})", 1, term, grade, category="micro-credit")


# The offset's condition: both micro-credit courses (2 credits) on the schedule.
BOTH = [imported(1), imported(2)]


def test_gen_ed_is_met_with_every_category_and_twelve_credits(nkust: PolicySet) -> None:
    result = audit_nkust(nkust, courses=gen_ed_complete())
    assert node_of(result, "general-education").status == "met"
    assert node_of(result, "general-education.total").earned == 12


def test_an_approved_offset_completes_the_gen_ed_total(nkust: PolicySet) -> None:
    courses = [*gen_ed_complete()[:5], *BOTH, offset()]
    result = audit_nkust(nkust, courses=courses)
    total = node_of(result, "general-education.total")
    assert total.earned == 12
    assert total.status == "met"
    assert ("GEMC-OFFSET@113-1", 2) in [(item.ref, item.amount) for item in total.applied]
    assert node_of(result, "general-education").status == "met"


def test_the_offset_counts_at_most_two_credits(nkust: PolicySet) -> None:
    courses = [*gen_ed_complete()[:4], *BOTH, offset(3)]
    total = node_of(audit_nkust(nkust, courses=courses), "general-education.total")
    assert total.earned == 10  # 8 + 2 of the 3
    assert total.status == "not-met"
    assert [(item.ref, item.reason, item.detail) for item in total.not_applied] == [
        ("GEMC-OFFSET@113-1", "over-cap", "offset")
    ]


def test_two_offset_records_still_count_at_most_two_credits(nkust: PolicySet) -> None:
    courses = [*gen_ed_complete()[:4], *BOTH, offset(2, "112-2", "GEMC-OFFSET-1"), offset(2, "113-1", "GEMC-OFFSET-2")]
    total = node_of(audit_nkust(nkust, courses=courses), "general-education.total")
    assert total.earned == 10
    assert [(item.ref, item.reason, item.detail) for item in total.not_applied] == [
        ("GEMC-OFFSET-2@113-1", "over-cap", "offset")
    ]


def test_the_offset_does_not_stand_in_for_a_category(nkust: PolicySet) -> None:
    # Humanities twice, no life course: 12 credits with the offset, but the life category is still missing.
    courses = [*gen_ed_complete()[:4], gen_ed("GE9", "humanities"), *BOTH, offset()]
    result = audit_nkust(nkust, courses=courses)
    assert node_of(result, "general-education.total").status == "met"
    assert node_of(result, "general-education.categories.life").status == "not-met"
    assert node_of(result, "general-education").status == "not-met"


def test_the_institution_carries_the_modules_seats_and_rules(nkust: PolicySet) -> None:
    extra = nkust.institution.workflows.micro_credits.model_dump(by_alias=True, mode="json")
    modules = extra["modules"]
    assert modules["seats_per_module"] == 5
    assert [area["name"]["en"] for area in modules["areas"]] == [
        "Perceptual Aesthetics",
        "Cloud Cross-Border",
        "Life Perception",
        "Local Practice",
        "Digital Technology Micro-Program",
    ]
    assert [area["name"]["zh-TW"] for area in modules["areas"]] == [
        "感知美學",
        "雲端跨域",
        "生命感知",
        "在地實踐",
        "數位科技微學程",
    ]
    assert extra["no_show"]["penalty"] == "barred-for-semester"
    assert [(s["hours"], s["credits"]) for s in extra["certification"]["steps"]] == [(18, 1), (36, 2)]
    assert extra["offset"]["max_credits"] == 2
    assert nkust.institution.grading.pass_score == 60
    assert "P" in nkust.institution.grading.pass_marks


def test_the_demo_cohort_is_what_the_script_generates() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_nkust_demo.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_imported_micro_credit_courses_show_in_the_audit(nkust: PolicySet) -> None:
    # After certification the credits come as courses of category micro-credit (one per step, 1 credit, P).
    imported = [
        course("GEMC1", "通識微學分課程(一)", 1, "113-2", "P", category="micro-credit"),
        course("GEMC2", "通識微學分課程(二)", 1, "113-2", "P", category="micro-credit"),
    ]
    result = audit_nkust(nkust, activities=split(36), courses=imported)
    node = node_of(result, "ge-micro-credits-imported")
    assert node.advisory
    assert node.status == "met"
    assert [(item.ref, item.amount) for item in node.applied] == [("GEMC1@113-2", 1), ("GEMC2@113-2", 1)]
    half = node_of(audit_nkust(nkust, activities=split(18), courses=imported[:1]), "ge-micro-credits-imported")
    assert half.status == "not-met"
    assert half.earned == 1


# The offset counts only with both micro-credit courses (2 credits) on the schedule (after approval 3, Credit
# Exemption 1): one credit on record is not enough, whatever the hours or the approval say.


def offset_condition(total: RequirementResult) -> dict[str, Any]:
    (condition,) = total.details["conditions"]
    return condition


@pytest.mark.parametrize(
    ("case", "activities", "courses"),
    [
        ("GEMC1 only", split(18), [imported(1)]),
        ("36 h, GEMC2 not imported yet", split(36), [imported(1)]),
        ("GEMC2 failed", split(36), [imported(1), imported(2, grade="F")]),
        ("no micro-credit course at all", [], []),
    ],
)
def test_an_offset_beside_one_micro_credit_does_not_count(
    nkust: PolicySet, case: str, activities: list[dict[str, Any]], courses: list[dict[str, Any]]
) -> None:
    result = audit_nkust(nkust, activities=activities, courses=[*gen_ed_complete()[:5], *courses, offset()])
    total = node_of(result, "general-education.total")
    assert total.earned == 10, case
    assert total.status == "not-met"
    assert "GEMC-OFFSET@113-1" not in [item.ref for item in total.applied]
    assert [(item.ref, item.reason, item.amount, item.detail) for item in total.not_applied] == [
        ("GEMC-OFFSET@113-1", "condition-not-met", 2, "offset")
    ]
    condition = offset_condition(total)
    have = sum(1 for c in courses if c["grade"] == "P")
    assert (condition["limit"], condition["required"], condition["on_record"], condition["met"]) == (
        "offset",
        2,
        have,
        False,
    )
    assert condition["explanation"] == {
        "zh-TW": f"「通識微學分抵免」須紀錄上有通識微學分課程 2 學分始得計入；目前僅有 {have} 學分，故不予計入。",
        "en": "Micro-credit offset counts only with 2 credits of General Education Micro-credits courses on the "
        f"record; the record has {have}, so it does not count.",
    }
    assert "學分抵免 1" in condition["cites"]
    assert node_of(result, "general-education").status == "not-met"


def test_both_micro_credits_in_different_terms_let_the_offset_count(nkust: PolicySet) -> None:
    courses = [*gen_ed_complete()[:5], imported(1, "112-2"), imported(2, "113-2"), offset(2, "113-2")]
    total = node_of(audit_nkust(nkust, courses=courses, as_of="113-2"), "general-education.total")
    assert total.earned == 12 and total.status == "met"
    assert ("GEMC-OFFSET@113-2", 2) in [(item.ref, item.amount) for item in total.applied]
    condition = offset_condition(total)
    assert (condition["on_record"], condition["met"]) == (2, True)
    assert condition["explanation"]["en"] == (
        "Micro-credit offset counts: the record has 2 credits of General Education Micro-credits courses (2 needed)."
    )


def test_a_second_credit_of_a_later_term_is_not_on_the_record_yet(nkust: PolicySet) -> None:
    # GEMC2 imported into 114-1's schedule: as of 113-2 only GEMC1 is on the record, so the offset waits.
    courses = [*gen_ed_complete()[:5], imported(1, "113-1"), imported(2, "114-1"), offset(2, "113-2")]
    before = node_of(audit_nkust(nkust, courses=courses, as_of="113-2"), "general-education.total")
    assert before.earned == 10
    assert offset_condition(before)["on_record"] == 1
    after = node_of(audit_nkust(nkust, courses=courses, as_of="114-1"), "general-education.total")
    assert after.earned == 12 and after.status == "met"


def test_without_an_offset_record_the_condition_is_not_mentioned(nkust: PolicySet) -> None:
    total = node_of(audit_nkust(nkust, courses=[*gen_ed_complete(), imported(1)]), "general-education.total")
    assert total.status == "met" and "conditions" not in total.details
