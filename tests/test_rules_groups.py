"""Groups: all-of and any-of statuses, advisory children, and who a requirement or policy applies to.
Policies: tests/policies/groups."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import course, ids, make_student, node_of, run
from menkan.engine import PolicySet


@pytest.fixture(scope="module")
def ps(policies) -> PolicySet:
    return policies("groups")


def passed(category: str, term: str = "112-1") -> dict:
    return course(f"{category.upper()}1", f"{category} 課程", 3, term, category=category)


def pending(category: str) -> dict:
    return course(f"{category.upper()}9", f"{category} 修讀中", 3, "113-2", grade=None, category=category)


# --- all-of ---------------------------------------------------------------------------------------


def test_all_of_met_when_every_deciding_child_is_met(ps):
    node = node_of(run(make_student(courses=[passed("p"), passed("q")]), ps), "all-group")
    assert node.status == "met"
    assert node.unit == "requirements"
    assert (node.earned, node.required) == (Decimal(2), Decimal(2))
    assert node.display == "2 / 2"
    assert node.missing == {"zh-TW": "", "en": ""}


def test_all_of_advisory_child_does_not_decide(ps):
    result = run(make_student(courses=[passed("p"), passed("q")]), ps)
    node, advisory = node_of(result, "all-group"), node_of(result, "all-group.r")
    assert advisory.status == "not-met"
    assert advisory.advisory is True
    assert ids(node.children) == ["all-group.p", "all-group.q", "all-group.r"]
    assert node.status == "met"
    assert node.as_dict()["children"][2]["advisory"] is True


def test_all_of_met_and_in_progress_is_in_progress(ps):
    node = node_of(run(make_student(courses=[passed("p"), pending("q")]), ps), "all-group")
    assert [child.status for child in node.children[:2]] == ["met", "in-progress"]
    assert node.status == "in-progress"
    assert node.earned == Decimal(1)
    assert node.missing == {"zh-TW": "未完成：乙類", "en": "Not yet complete: Kind Q"}


def test_all_of_in_progress_and_not_met_is_not_met(ps):
    node = node_of(run(make_student(courses=[pending("p")]), ps), "all-group")
    assert [child.status for child in node.children[:2]] == ["in-progress", "not-met"]
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "未完成：甲類、乙類", "en": "Not yet complete: Kind P, Kind Q"}


def test_audit_status_is_met_although_an_advisory_child_is_not(ps):
    result = run(make_student(courses=[passed("p"), passed("q")]), ps)
    assert node_of(result, "all-group.r").status == "not-met"
    assert [r.status for r in result.requirements] == ["met", "met", "met", "met"]
    assert result.status == "met"
    assert result.as_dict()["status"] == "met"


# --- any-of ---------------------------------------------------------------------------------------


def test_any_of_min_met_one_met_by_either_child(ps):
    for category in ("p", "q"):
        node = node_of(run(make_student(courses=[passed(category)]), ps), "any-one")
        assert node.status == "met"
        assert (node.earned, node.required) == (Decimal(1), Decimal(1))


def test_any_of_min_met_one_not_met_lists_the_choices(ps):
    node = node_of(run(make_student(), ps), "any-one")
    assert node.status == "not-met"
    assert node.missing == {"zh-TW": "需完成下列其中一項：甲類、乙類", "en": "Complete one of: Kind P, Kind Q"}


def test_any_of_min_met_one_in_progress_with_a_pending_child(ps):
    node = node_of(run(make_student(courses=[pending("q")]), ps), "any-one")
    assert node.status == "in-progress"


def test_any_of_min_met_two(ps):
    two = node_of(run(make_student(courses=[passed("p"), passed("r")]), ps), "any-two")
    assert (two.status, two.earned, two.required) == ("met", Decimal(2), Decimal(2))
    one = node_of(run(make_student(courses=[passed("p")]), ps), "any-two")
    assert (one.status, one.earned) == ("not-met", Decimal(1))
    assert one.missing == {"zh-TW": "尚缺 1 項", "en": "1 requirement more needed"}
    almost = node_of(run(make_student(courses=[passed("p"), pending("q")]), ps), "any-two")
    assert almost.status == "in-progress"


# --- applies_to and effective --------------------------------------------------------------------

BASE_VISIBLE = [
    "scoped.always",
    "scoped.not-department",
    "scoped.admitted-range",
    "scoped.not-flagged",
    "scoped.effective-range",
]


@pytest.fixture
def scoped_ids(ps):
    """The ids of the `scoped` group's children visible to a student built from `fields`, as of a term."""

    def visible(as_of: str = "113-2", **fields) -> list[str]:
        return ids(node_of(run(make_student(**fields), ps, as_of=as_of), "scoped").children)

    return visible


def test_applies_to_default_student_sees_only_unconditioned_and_matching_requirements(scoped_ids):
    assert scoped_ids() == BASE_VISIBLE


def test_applies_to_division(scoped_ids):
    assert "scoped.by-division" in scoped_ids(division="night-bachelor")
    assert "scoped.by-division" not in scoped_ids(division="day-bachelor")


def test_applies_to_degree(scoped_ids):
    assert "scoped.by-degree" in scoped_ids(degree="master")
    assert "scoped.by-degree" not in scoped_ids(degree="bachelor")


def test_applies_to_department_and_department_not(scoped_ids):
    ee = scoped_ids(department="EE")
    assert "scoped.by-department" in ee
    assert "scoped.not-department" not in ee


@pytest.mark.parametrize(
    ("admission_term", "visible"),
    [("110-2", False), ("111-1", True), ("112-2", True), ("112-S", False), ("113-1", False)],
)
def test_applies_to_admitted_term_range_is_inclusive(scoped_ids, admission_term, visible):
    assert ("scoped.admitted-range" in scoped_ids(admission_term=admission_term)) is visible


def test_applies_to_admitted_into_year(scoped_ids):
    assert "scoped.into-year" in scoped_ids(admitted_into_year=3)
    assert "scoped.into-year" not in scoped_ids(admitted_into_year=1)


def test_applies_to_flags_needs_every_flag(scoped_ids):
    assert "scoped.flagged" not in scoped_ids(flags=["indigenous"])
    assert "scoped.flagged" in scoped_ids(flags=["scholarship", "indigenous"])


def test_applies_to_flags_not_hides_for_any_listed_flag(scoped_ids):
    assert "scoped.not-flagged" not in scoped_ids(flags=["exempt"])
    assert "scoped.not-flagged" in scoped_ids(flags=["indigenous"])


@pytest.mark.parametrize(("as_of", "visible"), [("112-2", False), ("113-1", True), ("113-2", True), ("114-1", False)])
def test_effective_term_range_hides_requirements_outside_it(scoped_ids, as_of, visible):
    assert ("scoped.effective-range" in scoped_ids(as_of=as_of)) is visible


def test_hidden_requirement_is_absent_from_the_result(ps):
    result = run(make_student(), ps)
    assert result.find("scoped.by-department") is None
    group = node_of(result, "scoped")
    assert group.required == Decimal(len(BASE_VISIBLE))


def test_policy_whose_applies_to_excludes_the_student_contributes_nothing(ps):
    ce = run(make_student(department="CE", courses=[passed("p")]), ps)
    assert ce.policies == ["group-rules"]
    assert ids(ce.requirements) == ["all-group", "any-one", "any-two", "scoped"]
    assert ce.find("ee-only") is None
    ee = run(make_student(department="EE", courses=[passed("p")]), ps)
    assert ee.policies == ["ee-rules", "group-rules"]
    assert node_of(ee, "ee-only").status == "met"


def test_policy_effective_range_follows_the_audit_term(ps):
    before = run(make_student(courses=[passed("p")]), ps, as_of="113-2")
    assert "dated-rules" not in before.policies
    assert before.find("new-rule") is None
    after = run(make_student(courses=[passed("p")]), ps, as_of="114-1")
    assert after.policies == ["dated-rules", "group-rules"]
    assert node_of(after, "new-rule").status == "met"
