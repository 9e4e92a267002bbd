"""Approved exceptions in the record (`exceptions`): one test per kind (fails without, passes with, explained),
an `assign` as a constraint of the exact allocation (against brute force), orphaned exceptions, and the
NTUT 綠建築 (AVM) cross-domain credits recognised by the department."""

from __future__ import annotations

import io
import json
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from conftest import POLICIES, course, make_student, node_of, run, student_dict
from menkan.cli import main
from menkan.engine import Term, compile, load_policy_dir
from menkan.engine.allocation import Bucket, Item, allocate, settle
from menkan.engine.errors import InputError
from menkan.engine.records import RecordException, student_from_dict, student_to_dict
from menkan.engine.worksheet import render
from test_ntut_microprograms import (
    ARCHITECTURE_HISTORY,
    AS_OF,
    CIRCULAR,
    CIVIL,
    ECO,
    ENERGY,
    ENV_CONTROL,
    GREEN_INTRO,
    HYDROLOGY,
    SURVEYING,
    c,
    policy_set,
    student,
)

POLICY = load_policy_dir(POLICIES / "exceptions")


def exception(kind: str, requirement: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"E-{kind}",
        "kind": kind,
        "requirement": requirement,
        "reason": "系務會議決議",
        "approved_by": "CE head",
        "approved_on": "2025-01-15",
        **fields,
    }


BASE = [
    course("A101", "微積分", 3, "112-1"),
    course("A102", "普通物理", 3, "112-1"),
    course("E1", "選修一", 3, "112-2", category="elective"),
    course("E2", "選修二", 3, "112-2", category="elective"),
    course("P1", "甲一", 3, "113-1", category="p"),
    course("Q1", "乙一", 3, "113-1", category="q"),
]


def without(code: str) -> list[dict[str, Any]]:
    return [row for row in BASE if row["code"] != code]


def audited(courses: list[dict[str, Any]], *exceptions: dict[str, Any]) -> Any:
    return run(make_student(courses=courses, exceptions=list(exceptions)), POLICY)


def assert_explained(result: Any, requirement: str, kind: str) -> None:
    node = node_of(result, requirement)
    assert [(e["id"], e["kind"]) for e in node.exceptions] == [(f"E-{kind}", kind)]
    said = node.exceptions[0]["explanation"]
    assert f"E-{kind}" in said["en"] and "CE head" in said["en"] and "2025-01-15" in said["en"]
    assert "系務會議決議" in said["zh-TW"] and "CE head" in said["zh-TW"]
    assert {"id": f"E-{kind}", "kind": kind, "requirement": requirement, "status": "applied"} in result.exceptions
    assert "※" in render(result)


def test_substitute_counts_a_course_in_place_of_a_required_one() -> None:
    courses = [*without("A102"), course("X9", "物理導論", 3, "112-2")]
    assert node_of(audited(courses), "required").status == "not-met"
    result = audited(courses, exception("substitute", "required", course="X9", replaces="A102"))
    assert node_of(result, "required").status == "met"
    assert "X9@112-2" in [a.ref for a in node_of(result, "required").applied]
    assert_explained(result, "required", "substitute")


def test_assign_applies_a_course_to_a_requirement_and_only_there() -> None:
    courses = [*without("P1"), course("Q2", "乙二", 3, "113-1", category="q")]
    assert node_of(audited(courses), "split.p").status == "not-met"
    result = audited(courses, exception("assign", "split.p", course="Q2"))
    assert node_of(result, "split.p").status == "met" and node_of(result, "split.q").status == "met"
    assert [a.ref for a in node_of(result, "split.p").applied] == ["Q2@113-1"]
    assert "Q2@113-1" not in [a.ref for a in node_of(result, "split.q").applied]
    assert_explained(result, "split.p", "assign")


def test_exclude_keeps_a_course_from_counting() -> None:
    # the exclusion makes the requirement fail: excluded here, met without it
    assert node_of(audited(BASE), "electives").status == "met"
    result = audited(BASE, exception("exclude", "electives", course="E2"))
    electives = node_of(result, "electives")
    assert electives.status == "not-met"
    assert ("E2@112-2", "exception") in [(n.ref, n.reason) for n in electives.not_applied]
    assert_explained(result, "electives", "exclude")


def test_recognise_counts_a_course_as_what_the_requirement_takes() -> None:
    courses = [*without("E2"), course("G1", "通識一", 3, "112-2", category="general")]
    assert node_of(audited(courses), "electives").status == "not-met"
    result = audited(courses, exception("recognise", "electives", course="G1", **{"as": "elective"}))
    assert node_of(result, "electives").status == "met"
    assert_explained(result, "electives", "recognise")


def test_recognise_as_a_listed_course_is_same_title_identity_for_one_student() -> None:
    courses = [*without("A101"), course("M7", "微積分(甲)", 3, "112-1")]
    result = audited(courses, exception("recognise", "required", course="M7", **{"as": "A101"}))
    assert node_of(result, "required").status == "met"


def test_waive_counts_the_requirement_as_met() -> None:
    courses = without("A102")
    assert audited(courses).status == "not-met"
    result = audited(courses, exception("waive", "required"))
    assert node_of(result, "required").status == "met" and result.status == "met"
    assert node_of(result, "required").details["waived"] == ["E-waive"]
    assert_explained(result, "required", "waive")


def test_waive_with_an_amount_lowers_the_minimum() -> None:
    courses = without("E2")
    assert node_of(audited(courses), "electives").status == "not-met"
    result = audited(courses, exception("waive", "electives", amount=3))
    electives = node_of(result, "electives")
    assert electives.status == "met" and electives.required == 3
    assert_explained(result, "electives", "waive")


def test_credit_grants_credits_without_a_course() -> None:
    courses = without("E2")
    granted = exception("credit", "electives", credits=3, category="elective", title="外校選修抵免")
    assert node_of(audited(courses), "electives").status == "not-met"
    result = audited(courses, granted)
    electives = node_of(result, "electives")
    assert electives.status == "met"
    assert ("exception:E-credit", 3) in [(a.ref, a.amount) for a in electives.applied]
    assert_explained(result, "electives", "credit")


def test_an_exception_whose_requirement_a_policy_change_removed_is_orphaned_not_lost() -> None:
    gone = exception("waive", "old-program.core")
    result = audited(BASE, gone)
    assert result.exceptions == [
        {"id": "E-waive", "kind": "waive", "requirement": "old-program.core", "status": "not_applied",
         "reason": "orphaned", "detail": "requirement"}
    ]  # fmt: skip
    assert result.as_dict()["exceptions"] == result.exceptions
    assert "orphaned" in render(result, lang="en")


def test_an_exception_whose_course_left_the_record_is_orphaned() -> None:
    result = audited(without("X9"), exception("assign", "split.p", course="X9"))
    assert result.exceptions[0]["status"] == "not_applied" and result.exceptions[0]["reason"] == "orphaned"
    assert ("exception:E-assign", "orphaned") in [(n.ref, n.reason) for n in node_of(result, "split.p").not_applied]


def test_an_exception_that_does_nothing_to_its_requirement_is_listed_as_not_applicable() -> None:
    stale = exception("substitute", "required", course="X9", replaces="A999")  # A999 left the list
    result = audited([*without("A102"), course("X9", "物理導論", 3, "112-2")], stale)
    assert node_of(result, "required").status == "not-met"
    assert result.exceptions[0] | {"detail": None} == {
        "id": "E-substitute", "kind": "substitute", "requirement": "required", "status": "not_applied",
        "reason": "not-applicable", "detail": None,
    }  # fmt: skip


def test_a_record_without_exceptions_has_no_exception_fields() -> None:
    data = audited(BASE).as_dict()
    assert "exceptions" not in data
    assert all("exceptions" not in requirement for requirement in data["requirements"])


# --- the record contract --------------------------------------------------------------------------------


def test_exceptions_round_trip_through_the_record_with_as() -> None:
    data = student_dict(exceptions=[exception("recognise", "electives", course="G1", **{"as": "elective"})])
    student = student_from_dict(data)
    assert student.exceptions[0].as_ == "elective"
    assert student_to_dict(student)["exceptions"][0]["as"] == "elective"
    assert student_from_dict(student_to_dict(student)) == student


def test_an_exception_missing_what_its_kind_needs_is_a_located_error() -> None:
    data = student_dict(exceptions=[exception("waive", "required"), exception("substitute", "required", course="X")])
    with pytest.raises(InputError) as caught:
        student_from_dict(data)
    assert [(str(p.path), p.code) for p in caught.value.problems] == [("$.exceptions[1].replaces", "exception-needs")]


def test_menkan_audit_refuses_an_unknown_requirement_or_course_with_the_located_error(tmp_path: Path) -> None:
    good = exception("waive", "required")
    bad = exception("exclude", "x.y", course="NOPE")
    bad["id"] = "E-2"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(student_dict(courses=BASE, exceptions=[good, good | {"id": "E-1"}, bad])), "utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["audit", str(path), "--policies", str(POLICIES / "exceptions")], out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert '$.exceptions[2].requirement: no requirement "x.y" in the policies that apply' in err.getvalue()
    assert '$.exceptions[2].course: no course "NOPE" in the record' in err.getvalue()


# --- an `assign` is a constraint of the exact allocation --------------------------------------------------


@st.composite
def pinned_instances(draw: st.DrawFn) -> tuple[list[Item], list[Bucket], int, int]:
    bucket_count = draw(st.integers(2, 4))
    items = [
        Item(
            weight=draw(st.sampled_from([1.0, 2.0, 3.0])),
            candidates=tuple(sorted(draw(st.sets(st.integers(0, bucket_count - 1), min_size=1)))),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]
    buckets = [
        Bucket(required=float(draw(st.integers(0, 6))), cap=draw(st.one_of(st.none(), st.just(4.0))))
        for _ in range(bucket_count)
    ]
    pinned = draw(st.integers(0, len(items) - 1))
    target = draw(st.integers(0, bucket_count - 1))
    return items, buckets, pinned, target


@settings(max_examples=300, deadline=None)
@given(pinned_instances())
def test_an_assign_is_as_good_as_the_best_allocation_that_respects_it(
    instance: tuple[list[Item], list[Bucket], int, int],
) -> None:
    items, buckets, pinned, target = instance
    # what the engine does with an `assign`: the course may count only in its requirement
    constrained = [item if i != pinned else Item(item.weight, (target,)) for i, item in enumerate(items)]
    settlement = allocate(constrained, buckets)
    assert settlement.assignment[pinned] == target
    options = [(target,) if i == pinned else (*item.candidates, None) for i, item in enumerate(items)]
    best = max(settle(items, buckets, list(choice)).met_count for choice in product(*options))
    assert settlement.met_count == best


def test_an_assign_pins_a_contested_course_and_the_rest_is_still_allocated_exactly() -> None:
    courses = [course("R1", "共一", 3, "113-1", category="r"), course("R2", "共二", 3, "113-1", category="r")]
    for pinned, other in (("p", "q"), ("q", "p")):
        result = audited(courses, exception("assign", f"shared.{pinned}", course="R1"))
        assert [a.ref for a in node_of(result, f"shared.{pinned}").applied] == ["R1@113-1"]
        assert [a.ref for a in node_of(result, f"shared.{other}").applied] == ["R2@113-1"]
        assert node_of(result, "shared").status == "met"


# --- tiered programs (NTUT micro-programs): parts, and a program change ---------------------------------


def ntut_exception(kind: str, requirement: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "X-1",
        "kind": kind,
        "requirement": requirement,
        "reason": "跨領域專業課程認定：系教學單位審核通過",
        "approved_by": "土木系系主任",
        "approved_on": "2026-01-10",
        **fields,
    }


def test_ntut_green_building_cross_domain_credits_recognised_by_the_department() -> None:

    courses = ntut_short_of_cross_domain()
    before = run(student(CIVIL, courses, ["AVM"]), policy_set(), AS_OF)
    assert node_of(before, "micro-program.AVM.cross-domain").status == "not-met"
    recognised = ntut_exception(
        "recognise", "micro-program.AVM.cross-domain", course=ECO["code"], **{"as": "cross-domain"}
    )
    result = run(student(CIVIL, courses, ["AVM"], exceptions=[recognised]), policy_set(), AS_OF)
    cross = node_of(result, "micro-program.AVM.cross-domain")
    assert cross.status == "met" and cross.earned == 7
    assert "3404105@113-2" in [a.ref for a in cross.applied]
    assert node_of(result, "micro-program.AVM").status == "met"
    assert [e["id"] for e in cross.exceptions] == ["X-1"]
    assert "土木系系主任" in cross.exceptions[0]["explanation"]["zh-TW"]
    # the same decision named on the program, `as` the rule
    on_program = ntut_exception("recognise", "micro-program.AVM", course=ECO["code"], **{"as": "cross-domain"})
    result = run(student(CIVIL, courses, ["AVM"], exceptions=[on_program]), policy_set(), AS_OF)
    assert node_of(result, "micro-program.AVM.cross-domain").status == "met"


def ntut_short_of_cross_domain() -> list[dict[str, Any]]:
    """The worked example whose capstone is 土木系's own 生態工法概論: 4 of the 6 cross-domain credits."""

    return [ARCHITECTURE_HISTORY, SURVEYING, GREEN_INTRO, ENV_CONTROL, HYDROLOGY, ECO]


def test_waiving_part_of_a_program_lowers_its_minimum_or_counts_it_as_met() -> None:

    courses = ntut_short_of_cross_domain()
    lowered = ntut_exception("waive", "micro-program.AVM.cross-domain", amount=2)
    result = run(student(CIVIL, courses, ["AVM"], exceptions=[lowered]), policy_set(), AS_OF)
    cross = node_of(result, "micro-program.AVM.cross-domain")
    assert (cross.status, cross.required, cross.earned) == ("met", 4, 4)
    assert node_of(result, "micro-program.AVM").status == "met"
    waived = ntut_exception("waive", "micro-program.AVM.cross-domain")
    result = run(student(CIVIL, courses, ["AVM"], exceptions=[waived]), policy_set(), AS_OF)
    assert node_of(result, "micro-program.AVM").status == "met"
    assert [e["id"] for e in node_of(result, "micro-program.AVM.cross-domain").exceptions] == ["X-1"]


def test_an_exception_for_a_program_the_student_left_is_orphaned_not_lost() -> None:

    registrations = [
        {"program": "AVM", "registered_term": "112-1", "withdrawn_term": "113-1"},
        {"program": "AVR", "registered_term": "113-1"},
    ]
    recognised = ntut_exception(
        "recognise", "micro-program.AVM.cross-domain", course=ECO["code"], **{"as": "cross-domain"}
    )
    record = student(CIVIL, ntut_short_of_cross_domain(), programs=registrations, exceptions=[recognised])
    result = run(record, policy_set(), AS_OF)
    assert result.find("micro-program.AVM") is None
    assert result.exceptions == [
        {"id": "X-1", "kind": "recognise", "requirement": "micro-program.AVM.cross-domain", "status": "not_applied",
         "reason": "orphaned", "detail": "requirement"}
    ]  # fmt: skip


# --- what exceptions must not change -----------------------------------------------------------------------


def test_an_audit_with_exceptions_leaves_nothing_for_later_audits_of_the_same_profile() -> None:
    runtime = compile(POLICY)
    plain = make_student(courses=without("E2"))
    expected = runtime.audit(plain, as_of=Term.parse("113-2")).as_dict()
    fresh = compile(POLICY)
    for exceptional in (
        exception("waive", "electives", amount=3),
        exception("assign", "split.p", course="Q1"),
        exception("credit", "electives", credits=3, category="elective"),
    ):
        fresh.audit(make_student(courses=without("E2"), exceptions=[exceptional]), as_of=Term.parse("113-2"))
        assert fresh.audit(plain, as_of=Term.parse("113-2")).as_dict() == expected


def test_the_documented_schema_is_the_record_model() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "exceptions.md").read_text(encoding="utf-8")
    documented = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    assert documented == TypeAdapter(RecordException).json_schema(by_alias=True)


def test_a_course_recognised_as_a_listed_capstone_fills_the_capstone_tier() -> None:
    own_design = c("9990001", "建築設計專題", 2, "113-2")  # same content as 循環經濟之建築設計, another code and title
    courses = [ARCHITECTURE_HISTORY, SURVEYING, GREEN_INTRO, ENV_CONTROL, HYDROLOGY, ENERGY, own_design]
    assert node_of(run(student(CIVIL, courses, ["AVM"]), policy_set(), AS_OF), "micro-program.AVM.capstone").status == (
        "not-met"
    )
    for kind, field in (("recognise", "as"), ("substitute", "replaces")):
        decided = ntut_exception(kind, "micro-program.AVM", course="9990001", **{field: CIRCULAR["code"]})
        result = run(student(CIVIL, courses, ["AVM"], exceptions=[decided]), policy_set(), AS_OF)
        assert node_of(result, "micro-program.AVM.capstone").status == "met", kind
        assert node_of(result, "micro-program.AVM").status == "met", kind
