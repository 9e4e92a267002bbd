"""Study plans: a plan of future terms audited term by term, and bad plans refused naming where and why."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from menkan.engine import InputError, Runtime, Student, Term, compile, load_shipped, student_from_dict
from menkan.foresight.catalog import catalog_of
from menkan.foresight.plans import Plan, plan_from_dict, plan_review

DEMO = Path(__file__).resolve().parents[1] / "src" / "menkan" / "demo" / "ntut.jsonl"
CURRENT = Term.parse("115-1")
DEPT = "graduation.required-courses.dept-340"
# Two of the 340 department's required courses, each offered in the spring semester only.
ENVIRONMENT, STEEL = "3403010", "3405141"


def civil_student_document() -> dict[str, Any]:
    """An NTUT civil-engineering student (the first demo record) who still needs two required courses."""
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8").splitlines()[0])
    assert document["department"] == "340"
    document["courses"] = [c for c in document["courses"] if c["code"] not in (ENVIRONMENT, STEEL)]
    return document


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return compile(load_shipped("ntut"))


@pytest.fixture(scope="module")
def student() -> Student:
    return student_from_dict(civil_student_document())


def review(runtime: Runtime, student: Student, data: object):  # type: ignore[no-untyped-def]
    return plan_review(runtime, student, plan_from_dict(data), catalog_of("ntut"), CURRENT)


def two_terms(first: list[Any], second: list[Any]) -> dict[str, Any]:
    return {"terms": [{"term": "115-2", "courses": first}, {"term": "116-2", "courses": second}]}


def required(code: str) -> dict[str, str]:
    return {"code": code, "category": "professional-required"}


def test_a_plan_of_two_terms_meets_the_required_courses_after_the_second(runtime: Runtime, student: Student) -> None:
    result = review(runtime, student, two_terms([required(ENVIRONMENT)], [required(STEEL)]))
    assert result.ok and not result.warnings
    assert DEPT not in result.baseline_met
    first, second = result.terms
    assert (str(first.term), str(second.term)) == ("115-2", "116-2")
    assert DEPT not in first.met and DEPT not in first.newly_met
    assert DEPT in second.met and DEPT in second.newly_met
    assert "graduation" in second.newly_met and "graduation" not in first.met
    # each term's audit is the engine's, as of that term, with the planned courses in progress
    assert str(second.result.as_of) == "116-2"
    applied = {item.ref: item for item in second.result.find(DEPT).applied}  # type: ignore[union-attr]
    assert applied[f"{ENVIRONMENT}@115-2"].pending and applied[f"{STEEL}@116-2"].pending
    assert (first.credits, first.maximum, first.over) == (Decimal(3), Decimal(25), False)
    assert second.result.find(DEPT).status == "in-progress"  # type: ignore[union-attr]  (met once they pass)
    assert "graduation.credits.professional-required" in second.newly_met


def test_without_a_category_a_required_course_fills_its_list_but_no_credit_bucket(
    runtime: Runtime, student: Student
) -> None:
    result = review(runtime, student, two_terms([ENVIRONMENT], [STEEL]))
    assert result.terms[1].newly_met == ["graduation.required-courses", DEPT]


def test_the_order_of_the_terms_given_does_not_matter(runtime: Runtime, student: Student) -> None:
    data = two_terms([required(ENVIRONMENT)], [required(STEEL)])
    data["terms"].reverse()
    result = review(runtime, student, data)
    assert [str(t.term) for t in result.terms] == ["115-2", "116-2"]
    assert DEPT in result.terms[1].newly_met


def test_a_planned_course_counts_in_the_category_given_or_of_the_earlier_attempt(
    runtime: Runtime, student: Student
) -> None:
    given = review(runtime, student, two_terms([{"code": ENVIRONMENT, "category": "professional-required"}], []))
    (record,) = given.terms[0].courses
    assert (record.category, record.category_from) == ("professional-required", "plan")
    # a course the student failed before is planned again in the category it had
    document = civil_student_document()
    document["courses"].append(
        {"code": STEEL, "title": "鋼結構設計", "credits": 3, "term": "114-2", "grade": "40", "category": "free"}
    )
    failed = student_from_dict(document)
    again = review(runtime, failed, two_terms([], [STEEL]))
    assert again.ok
    (record,) = again.terms[1].courses
    assert (record.category, record.category_from) == ("free", "record")


def test_an_unknown_course_a_past_term_and_an_unreadable_term_are_named(runtime: Runtime, student: Student) -> None:
    result = review(
        runtime,
        student,
        {"terms": [{"term": "114-2", "courses": [ENVIRONMENT]}, {"term": "116-1", "courses": ["XYZ"]}]},
    )
    assert not result.ok and not result.terms
    texts = {p.render() for p in result.problems}
    assert "$.terms[0].term: 114-2 is not after the current term 115-1: only future terms can be planned" in texts
    assert '$.terms[1].courses[0]: no course "XYZ" in NTUT\'s catalogue' in texts
    zh = {p.render("zh-TW") for p in result.problems}
    assert "$.terms[1].courses[0]: NTUT 的課程目錄中沒有課程「XYZ」" in zh
    with pytest.raises(InputError) as raised:
        plan_from_dict({"terms": [{"term": "115-3", "courses": [7]}], "note": "x"})
    rendered = str(raised.value)
    assert "$.note: unknown field" in rendered
    assert "$.terms[0].term: '115-3' is not a term" in rendered
    assert "$.terms[0].courses[0]: must be an object" in rendered


def test_a_term_over_the_maximum_load_is_flagged_and_refused(runtime: Runtime, student: Student) -> None:
    catalog = catalog_of("ntut")
    assert catalog is not None
    taken = {c.code for c in student.courses}
    codes = [c.code for c in catalog.courses.values() if c.code not in taken and c.credits == 3 and "1" in c.semesters]
    result = review(runtime, student, {"terms": [{"term": "116-1", "courses": codes[:9]}]})
    (term,) = result.terms  # still audited, so the page can show the term flagged
    assert term.over and term.credits == Decimal(27) and term.maximum == Decimal(25)
    assert not result.ok
    (problem,) = result.problems
    assert problem.render().startswith("$.terms[0].courses: 27 credits in 116-1, over the maximum of 25 credits a")
    assert "上限 25 學分" in problem.render("zh-TW")


def test_a_course_passed_planned_twice_or_in_progress_is_refused(runtime: Runtime, student: Student) -> None:
    document = civil_student_document()
    document["courses"].append({"code": STEEL, "title": "鋼結構設計", "credits": 3, "term": "115-1"})
    enrolled = student_from_dict(document)
    # 3403001 鋼筋混凝土(一) was passed in 114-1; PE (體育) is repeatable at NTUT, so planning it again is fine
    result = review(runtime, enrolled, two_terms(["3403001", "1001002", STEEL], [ENVIRONMENT, ENVIRONMENT]))
    texts = {p.render() for p in result.problems}
    assert texts == {
        '$.terms[0].courses[0]: course "3403001" 鋼筋混凝土(一) was already passed (3403001@114-1) and would not '
        "count again",
        '$.terms[0].courses[2]: course "3405141" 鋼結構設計 is already in progress in 115-1',
        '$.terms[1].courses[1]: course "3403010" 環境工程 is already planned in 116-2',
    }


def test_a_course_offered_in_the_other_semester_is_a_warning_not_an_error(runtime: Runtime, student: Student) -> None:
    result = review(runtime, student, {"terms": [{"term": "116-1", "courses": [ENVIRONMENT]}]})
    assert result.ok and result.terms
    (warning,) = result.warnings
    assert warning.render() == (
        '$.terms[0].courses[0]: course "3403010" 環境工程 is offered only in the spring semester (catalogue), '
        "not in 116-1"
    )


def test_a_summer_with_a_maximum_of_zero_is_refused(runtime: Runtime, student: Student) -> None:
    from dataclasses import replace

    institution = runtime.policy_set.institution
    load = institution.study_load
    assert load is not None
    no_summer = institution.model_copy(update={"study_load": load.model_copy(update={"summer_max": Decimal(0)})})
    closed = compile(replace(runtime.policy_set, institution=no_summer))
    result = plan_review(
        closed,
        student,
        plan_from_dict({"terms": [{"term": "115-S", "courses": [ENVIRONMENT]}]}),
        catalog_of("ntut"),
        CURRENT,
    )
    assert [p.code for p in result.problems] == ["no-summer"]
    assert review(runtime, student, {"terms": [{"term": "115-S", "courses": [ENVIRONMENT]}]}).ok


def test_an_empty_plan_and_no_catalogue(runtime: Runtime, student: Student) -> None:
    assert [p.code for p in plan_review(runtime, student, Plan(), catalog_of("ntut"), CURRENT).problems] == ["no-terms"]
    plan = plan_from_dict(two_terms([ENVIRONMENT], []))
    assert [p.code for p in plan_review(runtime, student, plan, None, CURRENT).problems] == ["no-catalogue"]
    assert plan_from_dict(plan.as_dict()) == plan
