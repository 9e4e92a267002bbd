"""Tiered programs (micro-programs): per-tier minimums, the credit minimum, credits from outside the own
department (by category or by offering unit), eligibility, contested titles, pending courses.
Policies: tests/policies/tiered."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import applied_refs, course, ids, make_student, node_of, not_applied_of, run
from menkan.engine import PolicySet


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("tiered")


OWN = "professional-required"
CROSS = "cross-domain"


def prog(term: str = "112-1", credits: int = 3, category: str = OWN, **kw) -> dict:
    return course("CS110", "程式設計", credits, term, category=category, **kw)


def ds(term: str = "112-1", credits: int = 3, category: str = OWN, **kw) -> dict:
    return course("CS210", "資料結構", credits, term, category=category, **kw)


def ml(term: str = "113-1", credits: int = 3, category: str = CROSS, **kw) -> dict:
    return course("AI310", "機器學習", credits, term, category=category, **kw)


def dl(term: str = "113-1", credits: int = 3, category: str = CROSS, **kw) -> dict:
    return course("AI320", "深度學習", credits, term, category=category, **kw)


def statuses(node) -> dict[str, str]:
    return {child.id: child.status for child in node.children}


def test_per_tier_minimum_courses(ps):
    node = node_of(run(make_student(courses=[prog()]), ps), "ai")
    assert ids(node.children) == ["ai.basic", "ai.core", "ai.credits", "ai.outside"]
    assert statuses(node) == {
        "ai.basic": "met",
        "ai.core": "not-met",
        "ai.credits": "not-met",
        "ai.outside": "not-met",
    }
    core = node_of(run(make_student(courses=[prog()]), ps), "ai.core")
    assert (core.earned, core.required, core.unit) == (Decimal(0), Decimal(2), "courses")
    assert core.missing == {"zh-TW": "尚缺 2 門課程", "en": "2 courses more needed"}
    assert node.status == "not-met"
    assert node.display == "3 / 9"


def test_all_tiers_met_but_min_credits_short(ps):
    student = make_student(courses=[prog(credits=2), ml(credits=3), dl(credits=2, category=OWN)])
    node = node_of(run(student, ps), "ai")
    assert statuses(node) == {"ai.basic": "met", "ai.core": "met", "ai.credits": "not-met", "ai.outside": "met"}
    credits = node_of(run(student, ps), "ai.credits")
    assert (credits.earned, credits.required) == (Decimal(7), Decimal(9))
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "學程學分尚缺 2 學分", "en": "Program credits: 2 credits more needed"}


def test_outside_rule_by_category_counts_courses_outside_the_own_categories(ps):
    student = make_student(courses=[prog(), ml(category="professional-elective"), dl(category=OWN)])
    outside = node_of(run(student, ps), "ai.outside")
    assert outside.status == "not-met"
    assert outside.earned == Decimal(0)
    assert not_applied_of(outside) == [("AI310@113-1", "own-department"), ("AI320@113-1", "own-department")]
    crossing = make_student(courses=[prog(), ml(category="professional-elective"), dl(category=CROSS)])
    outside = node_of(run(crossing, ps), "ai.outside")
    assert outside.status == "met"
    assert applied_refs(outside) == [("AI320@113-1", 3)]
    assert node_of(run(crossing, ps), "ai").status == "met"


def test_outside_rule_counts_only_its_tiers(ps):
    # A cross-domain foundation course is outside the department, but the rule reads only the core tier.
    student = make_student(courses=[prog(category=CROSS), ml(category=OWN), dl(category=OWN)])
    outside = node_of(run(student, ps), "ai.outside")
    assert outside.earned == Decimal(0)
    assert "CS110@112-1" not in [a.ref for a in outside.applied]


def test_outside_rule_by_offering_unit(ps):
    own = make_student(department="CE", courses=[course("IOT1", "感測器", 3, "113-1", offered_by="CE")])
    node = node_of(run(own, ps), "iot")
    assert statuses(node) == {"iot.core": "met", "iot.credits": "met", "iot.outside": "not-met"}
    assert not_applied_of(node_of(run(own, ps), "iot.outside")) == [("IOT1@113-1", "own-department")]
    other = make_student(department="CE", courses=[course("IOT1", "感測器", 3, "113-1", offered_by="EE")])
    assert node_of(run(other, ps), "iot").status == "met"
    unknown = make_student(department="CE", courses=[course("IOT1", "感測器", 3, "113-1")])
    assert node_of(run(unknown, ps), "iot.outside").status == "not-met"


def test_eligibility_department_not_makes_the_program_not_met(ps):
    courses = [prog(), ml(), dl()]
    eligible = node_of(run(make_student(department="CE", courses=courses), ps), "ai")
    assert eligible.status == "met"
    assert eligible.details["eligible"] is True
    barred = node_of(run(make_student(department="AI", courses=courses), ps), "ai")
    assert barred.status == "not-met"
    assert barred.details["eligible"] is False
    assert barred.missing == {"zh-TW": "不符合本學程修讀資格", "en": "Not eligible for this program"}


def test_title_listed_in_two_tiers_is_assigned_so_that_every_tier_is_met(ps):
    # 資料結構 fits both tiers and comes first on the transcript; only core can use it and stay met.
    student = make_student(courses=[ds(term="112-1", category=CROSS), prog(term="112-2"), ml(term="113-1")])
    result = run(student, ps)
    node = node_of(result, "ai")
    assert statuses(node) == {"ai.basic": "met", "ai.core": "met", "ai.credits": "met", "ai.outside": "met"}
    assert applied_refs(node_of(result, "ai.basic")) == [("CS110@112-2", 3)]
    assert applied_refs(node_of(result, "ai.core")) == [("CS210@112-1", 3), ("AI310@113-1", 3)]
    assert node_of(result, "ai.outside").earned == Decimal(6)
    assert node.earned == Decimal(9)
    assert node.status == "met"


def test_pending_course_makes_the_program_in_progress(ps):
    student = make_student(courses=[prog(), ml(), dl(term="113-2", grade=None)])
    result = run(student, ps)
    node = node_of(result, "ai")
    assert statuses(node) == {
        "ai.basic": "met",
        "ai.core": "in-progress",
        "ai.credits": "in-progress",
        "ai.outside": "met",
    }
    assert node.status == "in-progress"
    core = node_of(result, "ai.core")
    assert core.earned == Decimal(1)
    assert [(a.ref, a.pending) for a in core.applied] == [("AI310@113-1", False), ("AI320@113-2", True)]


def test_pending_course_that_cannot_close_the_gap_leaves_it_not_met(ps):
    student = make_student(courses=[prog(), dl(term="113-2", grade=None)])
    node = node_of(run(student, ps), "ai")
    assert node.status == "not-met"
    assert statuses(node)["ai.core"] == "not-met"


def test_registration_is_reported_in_details(ps):
    student = make_student(courses=[prog()], programs=[{"program": "ai", "registered_term": "113-1"}])
    node = node_of(run(student, ps), "ai")
    assert node.details == {"eligible": True, "registered": "113-1"}
    assert node_of(run(make_student(courses=[prog()]), ps), "ai").details["registered"] is None


def test_title_in_two_tiers_goes_where_the_outside_rule_also_holds(ps):
    # Both tiers' minimums hold either way; only 資料結構 in core meets the outside rule.
    student = make_student(
        courses=[ds(term="112-1", category=CROSS), prog(term="112-2"), ml(category=OWN), dl(category=OWN)]
    )
    result = run(student, ps)
    assert statuses(node_of(result, "ai")) == {
        "ai.basic": "met",
        "ai.core": "met",
        "ai.credits": "met",
        "ai.outside": "met",
    }
    assert applied_refs(node_of(result, "ai.basic")) == [("CS110@112-2", 3)]
    assert applied_refs(node_of(result, "ai.outside")) == [("CS210@112-1", 3)]
