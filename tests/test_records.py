"""Records: ROC terms, `menkan.student/1` validation with JSON-path errors, and the round trip to JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import activity, certificate, course, make_student, student_dict
from menkan.engine import InputError, Term, load_students, student_from_dict, student_to_dict
from menkan.engine.records import read_students

# --- terms ----------------------------------------------------------------------------------------


def test_term_parse_reads_year_and_semester():
    assert Term.parse("114-1") == Term(114, "1")
    assert Term.parse("114-S") == Term(114, "S")
    assert Term.parse("99-2") == Term(99, "2")
    assert str(Term.parse("114-S")) == "114-S"
    assert Term.parse("114-S").is_summer is True
    assert Term.parse("114-2").is_summer is False


def test_term_texts_parse_the_same_when_seen_again_and_written_loosely():
    # Canonical texts are parsed once and shared (issue #15); loose ones are parsed each time, to the same term.
    for text in (" 113-2", "113-2 ", "113-2", "113-2", "\t113-2\n"):
        term = Term.parse(text)
        assert (term, str(term), term.year, term.semester, term.rank) == (Term(113, "2"), "113-2", 113, "2", 454)
    assert str(Term.parse("013-1")) == "13-1"  # not the canonical text: parsed, not kept
    assert Term.parse("113-2") is Term.parse("113-2")
    for bad in ("113-3", "1134-1", "", 1132, None, ["113-2"]):
        with pytest.raises(ValueError, match="not a term"):
            Term.parse(bad)


def test_term_ordering_puts_summer_after_the_spring_semester():
    terms = [Term.parse(text) for text in ("115-1", "114-S", "114-1", "113-2", "114-2")]
    assert [str(term) for term in sorted(terms)] == ["113-2", "114-1", "114-2", "114-S", "115-1"]
    assert Term.parse("114-1") < Term.parse("114-2") < Term.parse("114-S") < Term.parse("115-1")
    assert Term.parse("99-S") < Term.parse("100-1")
    assert max(terms) == Term.parse("115-1")


@pytest.mark.parametrize("text", ["114-3", "114", "1-1", "1140-1", "114-s", "114_1", "abc", "", "114-1-1"])
def test_term_parse_rejects_malformed_terms(text):
    with pytest.raises(ValueError, match="not a term"):
        Term.parse(text)


def test_term_parse_rejects_non_strings():
    with pytest.raises(ValueError, match="not a term"):
        Term.parse(114)  # type: ignore[arg-type]


# --- student_from_dict errors ---------------------------------------------------------------------


def problems_of(data) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        student_from_dict(data)
    return [(problem.path, problem.reason) for problem in caught.value.problems]


def test_student_unknown_field_is_an_error_with_its_path():
    assert problems_of(student_dict(nickname="小明")) == [("$.nickname", "unknown field")]
    rows = [{**course("A1", "微積分", 3, "112-1"), "colour": "red"}]
    assert problems_of(student_dict(courses=rows)) == [("$.courses[0].colour", "unknown field")]


def test_student_negative_credits_is_an_error_with_its_path():
    rows = [course("A1", "微積分", 3, "112-1"), course("A2", "物理", -1, "112-1")]
    assert problems_of(student_dict(courses=rows)) == [("$.courses[1].credits", "must be ≥ 0")]


def test_student_negative_hours_is_an_error_with_its_path():
    assert problems_of(student_dict(activities=[activity("social", -2, "112-1", "淨灘")])) == [
        ("$.activities[0].hours", "must be ≥ 0")
    ]


def test_student_bad_term_is_an_error_with_its_path():
    expected = "not a term: '112-3' (expected ROC year and semester, e.g. 114-1, 114-2, 114-S)"
    assert problems_of(student_dict(courses=[course("A1", "微積分", 3, "112-3")])) == [("$.courses[0].term", expected)]
    assert problems_of(student_dict(admission_term="112")) == [
        ("$.admission_term", "not a term: '112' (expected ROC year and semester, e.g. 114-1, 114-2, 114-S)")
    ]


def test_student_missing_schema_is_an_error():
    data = student_dict()
    del data["schema"]
    assert problems_of(data) == [("$.schema", 'required (use "menkan.student/1")')]


def test_student_wrong_schema_is_an_error():
    assert problems_of(student_dict(schema="menkan.student/2")) == [("$.schema", "must be one of 'menkan.student/1'")]


def test_student_missing_required_field_is_an_error():
    data = student_dict()
    del data["student_id"]
    assert problems_of(data) == [("$.student_id", "required")]


def test_student_bad_values_have_readable_reasons():
    rows = [course("A1", "微積分", "three", "112-1", delivery="hybrid")]
    assert problems_of(student_dict(courses=rows)) == [
        ("$.courses[0].credits", "must be a number"),
        ("$.courses[0].delivery", "must be one of 'in-person' or 'remote'"),
    ]


def test_student_list_field_given_a_non_list_says_it_must_be_a_list():
    # JSON has lists, not tuples: the reason must not leak the Python type.
    assert problems_of(student_dict(courses={"code": "A1"})) == [("$.courses", "must be a list")]
    assert problems_of(student_dict(flags="indigenous")) == [("$.flags", "must be a list")]


def test_student_every_problem_is_reported_at_once():
    rows = [course("A1", "微積分", -3, "112-4")]
    assert sorted(problems_of(student_dict(courses=rows, nickname="x"))) == [
        ("$.courses[0].credits", "must be ≥ 0"),
        ("$.courses[0].term", "not a term: '112-4' (expected ROC year and semester, e.g. 114-1, 114-2, 114-S)"),
        ("$.nickname", "unknown field"),
    ]


def test_student_not_an_object_is_an_error():
    assert problems_of(["not", "a", "student"]) == [("$", "must be a JSON object")]


def test_load_students_jsonl_names_the_file_and_line(tmp_path):
    path = tmp_path / "cohort.jsonl"
    good = json.dumps(student_dict(student_id="S1"), ensure_ascii=False)
    bad = json.dumps(student_dict(student_id="S2", courses=[course("A1", "微積分", -1, "112-1")]), ensure_ascii=False)
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_students(path)
    problem = caught.value.problems[0]
    assert problem.source.endswith("cohort.jsonl")
    assert (problem.line, problem.path, problem.reason) == (2, "$.courses[0].credits", "must be ≥ 0")
    assert str(caught.value).endswith("cohort.jsonl:2 $.courses[0].credits: must be ≥ 0")


def test_a_problem_is_data_its_path_a_tuple_and_its_reason_in_both_languages(tmp_path):
    path = tmp_path / "cohort.jsonl"
    bad = student_dict(student_id="S2", courses=[course("A1", "微積分", -1, "112-1")])
    path.write_text(json.dumps(student_dict()) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    reads = list(read_students(path))
    assert [read.student is not None for read in reads] == [True, False]
    (problem,) = reads[1].problems
    assert (problem.source, problem.line, tuple(problem.path)) == (str(path), 2, ("courses", 0, "credits"))
    assert problem.json_path == "$.courses[0].credits"
    assert problem.texts == {"zh-TW": "必須 ≥ 0", "en": "must be ≥ 0"}
    assert problem.render("zh-TW") == f"{path}:2 $.courses[0].credits: 必須 ≥ 0"


def test_a_problem_in_a_json_document_across_lines_is_at_the_line_of_its_value(tmp_path):
    path = tmp_path / "one.json"
    text = json.dumps(
        student_dict(courses=[course("A1", "微積分", 3, "112-1"), course("A2", "物理", -1, "112-1")]), indent=2
    )
    path.write_text(text, encoding="utf-8")
    line = next(number for number, raw in enumerate(text.splitlines(), 1) if '"credits": -1' in raw)
    with pytest.raises(InputError) as caught:
        load_students(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (line, "$.courses[1].credits")


# --- the record itself and its round trip ---------------------------------------------------------


def test_student_defaults_and_decimal_credits():
    student = make_student(courses=[course("A1", "微積分", 2.5, "112-1")])
    assert student.degree == "bachelor"
    assert student.division == "day-bachelor"
    assert student.courses[0].credits == Decimal("2.5")
    assert student.courses[0].term == Term.parse("112-1")
    assert student.courses[0].ref == "A1@112-1"
    assert student.courses[0].delivery == "in-person"


def test_student_to_dict_round_trips():
    student = make_student(
        flags=["indigenous"],
        courses=[
            course("A1", "微積分", 2.5, "112-1", tags=["gen-ed:自然"], offered_by="MA", category="gen-ed"),
            course("A2", "暑修", 3, "112-S", grade=None, delivery="remote", transfer=True, level="undergraduate"),
        ],
        activities=[activity("social", 8, "113-1", "淨灘志工", unit="學務處")],
        certificates=[certificate("TQC-OA", "TQC 電腦應用 乙級", "113-2", level="乙級")],
        enrollment=[
            {"term": "112-1", "status": "enrolled"},
            {"term": "112-2", "status": "leave", "reason": "military"},
        ],
        ethics=[{"term": "112-1", "passed": True}],
        programs=[{"program": "AVM", "registered_term": "113-1"}],
    )
    data = student_to_dict(student)
    assert data["schema"] == "menkan.student/1"
    assert data["courses"][0]["credits"] == 2.5
    assert data["courses"][1]["credits"] == 3
    assert "grade" not in data["courses"][1]
    assert data["courses"][1]["term"] == "112-S"
    assert student_from_dict(json.loads(json.dumps(data, ensure_ascii=False))) == student


def test_student_to_dict_leaves_out_defaults():
    data = student_to_dict(make_student())
    assert data == {
        "schema": "menkan.student/1",
        "student_id": "S11200001",
        "institution": "testu",
        "department": "CE",
        "admission_term": "112-1",
    }
    assert student_from_dict(data) == make_student()
