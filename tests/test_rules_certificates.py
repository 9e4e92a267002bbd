"""Certificate counts: the list by department or the default list, not-on-list, duplicates, levels.
Policies: tests/policies/certificates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import applied_refs, certificate, make_student, node_of, not_applied_of, run
from menkan.engine import PolicySet


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("certificates")


def test_default_codes_apply_to_departments_without_their_own_list(ps):
    student = make_student(department="CE", certificates=[certificate("MOS", "MOS Word", "112-2")])
    node = node_of(run(student, ps), "licence")
    assert node.status == "met"
    assert node.unit == "certificates"
    assert (node.earned, node.required) == (Decimal(1), Decimal(1))
    assert applied_refs(node) == [("MOS@112-2", 1)]
    assert node.applied[0].kind == "certificate"
    assert node.details == {}


def test_codes_by_department_replace_the_default_list(ps):
    ee_own = make_student(department="EE", certificates=[certificate("EE-PRO", "電機專業證照", "113-1")])
    assert node_of(run(ee_own, ps), "licence").status == "met"
    ee_default = make_student(department="EE", certificates=[certificate("MOS", "MOS Word", "113-1")])
    node = node_of(run(ee_default, ps), "licence")
    assert node.status == "not-met"
    assert not_applied_of(node) == [("MOS@113-1", "not-on-list")]
    assert node.details == {"list": ["EE-PRO", "TQC-OA"]}


def test_certificate_not_on_the_list(ps):
    student = make_student(department="CE", certificates=[certificate("EE-PRO", "電機專業證照", "113-1")])
    node = node_of(run(student, ps), "licence")
    assert node.status == "not-met"
    assert node.earned == Decimal(0)
    assert not_applied_of(node) == [("EE-PRO@113-1", "not-on-list")]
    assert node.details == {"list": ["MOS", "TQC-OA"]}
    assert node.missing == {"zh-TW": "尚缺 1 張證照", "en": "1 certificate more needed"}


def test_duplicate_certificate_counts_once(ps):
    student = make_student(certificates=[certificate("A", "證照甲", "112-1"), certificate("A", "證照甲", "113-1")])
    node = node_of(run(student, ps), "two")
    assert node.status == "not-met"
    assert applied_refs(node) == [("A@112-1", 1)]
    assert not_applied_of(node) == [("A@113-1", "duplicate")]
    assert node.display == "1 / 2"
    assert node.missing == {"zh-TW": "尚缺 1 張證照", "en": "1 certificate more needed"}


def test_two_different_listed_certificates_meet_min_two(ps):
    student = make_student(certificates=[certificate("C", "證照丙", "113-1"), certificate("A", "證照甲", "112-1")])
    node = node_of(run(student, ps), "two")
    assert node.status == "met"
    assert applied_refs(node) == [("A@112-1", 1), ("C@113-1", 1)]


def test_levels_accept_only_the_listed_levels(ps):
    student = make_student(
        certificates=[
            certificate("GEPT", "全民英檢", "112-1", level="初級"),
            certificate("TOEIC", "多益", "112-2"),
            certificate("GEPT", "全民英檢", "113-1", level="中級"),
        ]
    )
    node = node_of(run(student, ps), "english")
    assert node.status == "met"
    assert applied_refs(node) == [("GEPT@113-1", 1)]
    assert [(n.ref, n.reason, n.detail) for n in node.not_applied] == [
        ("GEPT@112-1", "level", "初級"),
        ("TOEIC@112-2", "level", None),
    ]


def test_certificates_after_as_of_are_ignored(ps):
    student = make_student(certificates=[certificate("MOS", "MOS Word", "114-1")])
    node = node_of(run(student, ps, as_of="113-2"), "licence")
    assert node.status == "not-met"
    assert node.applied == []
    assert node.not_applied == []
