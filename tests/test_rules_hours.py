"""Hour thresholds: items, merges shown separately, distinct titles, caps, credit steps, the audit term,
items shown in another requirement. Policies: tests/policies/hours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import activity, applied_refs, make_student, node_of, not_applied_of, run
from menkan.engine import PolicySet


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("hours")


def social_student(*extra: dict):
    return make_student(
        activities=[
            activity("social", 8, "112-1", "淨灘志工"),
            activity("social", 8, "112-2", "社區服務"),
            activity("social", 8, "113-1", "課輔志工"),
            activity("aesthetics", 2, "113-1", "音樂會"),
            activity("aesthetics", 4, "113-2", "美展"),
            activity("lecture", 2, "113-1", "講座"),
            *extra,
        ]
    )


def test_items_count_only_their_own_activities(ps):
    student = make_student(
        activities=[activity("social", 8, "112-1", "淨灘志工"), activity("lecture", 2, "112-1", "講座")]
    )
    node = node_of(run(student, ps), "social")
    assert node.unit == "hours"
    assert applied_refs(node) == [("social:淨灘志工@112-1", 8)]
    assert node.earned == Decimal(8)
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "尚缺 16 小時", "en": "16 hours more needed"}


def test_merge_shows_own_plus_merged_over_required(ps):
    node = node_of(run(social_student(), ps), "social")
    assert node.status == "met"
    assert node.display == "24 + 4 / 24"
    assert node.earned == Decimal(28)
    assert node.required == Decimal(24)
    assert node.details == {"own": 24.0, "merged": 4.0}
    assert [(a.kind, a.ref, a.amount) for a in node.applied] == [
        ("activity", "social:淨灘志工@112-1", Decimal(8)),
        ("activity", "social:社區服務@112-2", Decimal(8)),
        ("activity", "social:課輔志工@113-1", Decimal(8)),
        ("merge", "aesthetics:美展@113-2", Decimal(4)),
    ]


def test_merged_item_before_from_term_is_not_applied(ps):
    node = node_of(run(social_student(), ps), "social")
    assert [(n.ref, n.reason, n.amount, n.detail) for n in node.not_applied] == [
        ("aesthetics:音樂會@113-1", "before-merge", Decimal(2), "counts from 113-2")
    ]


def test_merge_not_yet_in_force_as_of_an_earlier_term(ps):
    node = node_of(run(social_student(), ps, as_of="113-1"), "social")
    assert node.display == "24 + 0 / 24"
    assert not_applied_of(node) == [("aesthetics:音樂會@113-1", "before-merge")]


def test_activities_after_as_of_are_ignored(ps):
    student = social_student(activity("social", 8, "114-1", "海外志工"))
    node = node_of(run(student, ps, as_of="113-2"), "social")
    refs = [a.ref for a in node.applied] + [n.ref for n in node.not_applied]
    assert "social:海外志工@114-1" not in refs
    assert node.display == "24 + 4 / 24"


def test_shown_in_displays_hours_counted_into_another_requirement(ps):
    """Only the hours the other requirement takes in (from its merge term on) are shown as merged into it."""
    node = node_of(run(social_student(), ps), "aesthetics")
    assert node.display == "4 (納入社會接軌)"
    assert node.status == "met"
    assert node.advisory is True
    assert node.earned == Decimal(4)
    assert [(n.ref, n.reason) for n in node.not_applied] == [("aesthetics:音樂會@113-1", "before-merge")]
    assert node.missing == {"zh-TW": "", "en": ""}


def test_distinct_titles_count_a_title_once(ps):
    student = make_student(
        activities=[
            activity("lecture", 2, "112-1", "AI 講座"),
            activity("lecture", 2, "112-2", "AI講座"),
            activity("forum", 3, "112-2", "產業論壇"),
        ]
    )
    node = node_of(run(student, ps), "lectures")
    assert applied_refs(node) == [("lecture:AI 講座@112-1", 2), ("forum:產業論壇@112-2", 3)]
    assert [(n.ref, n.reason, n.amount) for n in node.not_applied] == [
        ("lecture:AI講座@112-2", "duplicate-title", Decimal(2))
    ]
    assert node.earned == Decimal(5)
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "尚缺 1 小時", "en": "1 hour more needed"}


def test_failed_activity_is_not_applied(ps):
    student = make_student(activities=[activity("lecture", 6, "112-1", "寫作工作坊", passed=False)])
    node = node_of(run(student, ps), "lectures")
    assert node.applied == []
    assert not_applied_of(node) == [("lecture:寫作工作坊@112-1", "failed")]


def test_max_counted_cuts_the_latest_hours_as_over_cap(ps):
    student = make_student(
        activities=[
            activity("service", 5, "112-1", "圖書館服務"),
            activity("service", 5, "112-2", "校園導覽"),
            activity("service", 4, "113-1", "迎新服務"),
        ]
    )
    node = node_of(run(student, ps), "service")
    assert node.status == "met"
    assert node.earned == Decimal(12)
    assert node.display == "12 / 10"
    assert applied_refs(node) == [
        ("service:圖書館服務@112-1", 5),
        ("service:校園導覽@112-2", 5),
        ("service:迎新服務@113-1", 2),
    ]
    assert [(n.ref, n.reason, n.amount, n.detail) for n in node.not_applied] == [
        ("service:迎新服務@113-1", "over-cap", Decimal(2), "max_counted")
    ]


@pytest.mark.parametrize(
    ("hours", "credits", "counted", "ignored", "status"),
    [
        (17, 0.0, 17.0, 0.0, "not-met"),
        (18, 1.0, 18.0, 0.0, "met"),
        (35, 1.0, 35.0, 0.0, "met"),
        (36, 2.0, 36.0, 0.0, "met"),
        (50, 2.0, 36.0, 14.0, "met"),
    ],
)
def test_credit_steps_convert_hours_to_credits(ps, hours, credits, counted, ignored, status):
    student = make_student(activities=[activity("micro", hours, "113-1", "微學分課程")])
    node = node_of(run(student, ps), "micro")
    assert node.details == {
        "credits": credits,
        "hours_counted": counted,
        "hours_over_cap": ignored,
        "hours_set_aside": {},
        "hours_ignored": ignored,
    }
    assert node.display.endswith(f"({int(credits)} 學分 credits)")
    assert node.earned == Decimal(str(int(counted)))
    assert node.status == status
