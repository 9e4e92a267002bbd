"""Policy files: every shipped policy validates; a broken one gets every error with file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from menkan.engine import InputError, load_policy_dir, shipped_institutions
from menkan.engine.policy.loader import SHIPPED_POLICIES, load_shipped

POLICIES = Path(__file__).parent / "policies"


@pytest.mark.parametrize("institution", shipped_institutions())
def test_every_shipped_policy_folder_validates(institution: str) -> None:
    policy_set = load_policy_dir(SHIPPED_POLICIES / institution)
    assert policy_set.id == institution
    assert policy_set.policies


def test_shipped_policies_include_the_engine_issue_institutions() -> None:
    assert {"nycu", "ntut"} <= set(shipped_institutions())


def test_broken_policy_reports_every_problem_with_line_and_path() -> None:
    with pytest.raises(InputError) as caught:
        load_policy_dir(POLICIES / "broken")
    rendered = [problem.render() for problem in caught.value.problems]
    source = str(POLICIES / "broken" / "graduation.yaml")
    assert rendered == [
        f"{source}:14 $.requirements[0].children[0].min: must be ≥ 0",
        f"{source}:19 $.requirements[0].children[1].kind: unknown kind hourz; expected one of 'all', 'any', "
        "'credits', 'courses', 'hours', 'certificates', 'average', 'tiered', 'ethics', 'semester-credits', "
        "'study-period', 'leave-limit', 'semesters-left', 'failed-share', 'passed-by-study-end', 'exams', "
        "'ref', 'rank', 'admission'",
        f"{source}:22 $.requirements[0].children[2].cites: required",
        f"{source}:26 $.requirements[0].children[2].colour: unknown field",
    ]


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


INSTITUTION = "schema: menkan.institution/1\nid: tiny\nname: {zh-TW: 小, en: Tiny}\n"
HEADER = "schema: menkan.policy/1\nid: {id}\ninstitution: tiny\ntitle: {{zh-TW: 政策, en: Policy}}\nrequirements:\n"


def test_overflow_must_target_a_credit_requirement_of_the_same_exclusive_group(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    _write(
        tmp_path,
        "p.yaml",
        HEADER.format(id="p")
        + """  - id: g
    kind: all
    exclusive: true
    title: {zh-TW: 組, en: Group}
    cites: "Art. 1"
    children:
      - id: a
        kind: credits
        min: 3
        overflow: {into: nowhere}
        title: {zh-TW: 甲, en: A}
        cites: "Art. 1"
""",
    )
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == "$.requirements[0].children[0].overflow.into"
    assert problem.line == 15
    assert "not another credit requirement" in problem.reason


def test_requirement_ids_are_unique_across_policy_files(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    body = "  - {id: x, kind: ethics, title: {zh-TW: 操行, en: Ethics}, cites: 'Art. 2'}\n"
    _write(tmp_path, "a.yaml", HEADER.format(id="a") + body)
    _write(tmp_path, "b.yaml", HEADER.format(id="b") + body)
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    assert [p.reason for p in caught.value.problems] == [f"requirement id 'x' is already used in {tmp_path / 'a.yaml'}"]


def test_references_must_name_an_existing_requirement(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    body = "  - {id: x, kind: ref, ref: nothing.here, title: {zh-TW: 參照, en: Ref}, cites: 'Art. 2'}\n"
    _write(tmp_path, "a.yaml", HEADER.format(id="a") + body)
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    assert caught.value.problems[0].reason == "no requirement has id 'nothing.here'"


def test_a_study_period_field_must_name_a_study_period_requirement(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    body = (
        "  - {id: e, kind: ethics, title: {zh-TW: 操行, en: Ethics}, cites: 'Art. 2'}\n"
        "  - {id: s, kind: semesters-left, study_period: e, title: {zh-TW: 提前, en: Early}, cites: 'Art. 3'}\n"
    )
    _write(tmp_path, "a.yaml", HEADER.format(id="a") + body)
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == "$.requirements[1].study_period"
    assert problem.reason == "no study-period requirement has id 'e'"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    _write(tmp_path, "a.yaml", "schema: menkan.policy/1\nid: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    problem = caught.value.problems[0]
    assert problem.reason.startswith("not valid YAML")
    assert problem.line == 3


def test_terms_in_yaml_stay_terms_not_numbers_or_dates(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    body = (
        "  - {id: x, kind: ethics, title: {zh-TW: 操行, en: Ethics}, cites: 'Art. 2',"
        " effective: {from: 113-2, to: 114-S}}\n"
    )
    _write(tmp_path, "a.yaml", HEADER.format(id="a") + body)
    policy_set = load_policy_dir(tmp_path)
    effective = policy_set.policies[0].requirements[0].effective
    assert effective is not None
    assert str(effective.start) == "113-2"
    assert str(effective.end) == "114-S"


def test_unknown_institution_is_a_clear_error() -> None:
    with pytest.raises(InputError) as caught:
        load_shipped("nowhere")
    assert "no policies for institution 'nowhere'" in caught.value.problems[0].reason


def test_an_ambiguous_overflow_target_must_be_given_by_full_id(tmp_path: Path) -> None:
    _write(tmp_path, "institution.yaml", INSTITUTION)
    leaf = "{{id: {id}, kind: credits, min: 1, title: {{zh-TW: 甲, en: A}}, cites: 'Art. 1'{extra}}}"
    _write(
        tmp_path,
        "p.yaml",
        HEADER.format(id="p")
        + f"""  - id: g
    kind: all
    exclusive: true
    title: {{zh-TW: 組, en: Group}}
    cites: "Art. 1"
    children:
      - {leaf.format(id="src", extra=", overflow: {into: x}")}
      - {{id: p, kind: all, title: {{zh-TW: 乙, en: P}}, cites: "Art. 1", children: [{leaf.format(id="x", extra="")}]}}
      - {{id: q, kind: all, title: {{zh-TW: 丙, en: Q}}, cites: "Art. 1", children: [{leaf.format(id="x", extra="")}]}}
""",
    )
    with pytest.raises(InputError) as caught:
        load_policy_dir(tmp_path)
    (problem,) = caught.value.problems
    assert problem.reason == "overflow target 'x' is ambiguous in exclusive group 'g' (g.p.x, g.q.x): give the full id"


def test_one_mapper_turns_pydantic_locations_into_paths_of_the_data() -> None:
    """Records, policies and institution settings locate a pydantic error by the same rule (`data_location`)."""
    from menkan.engine.errors import data_location

    policy = {"requirements": [{"kind": "courses", "id": "x", "courses": [{"code": "A"}]}]}
    # the tag of a tagged union is dropped once; a field named like the tag is kept
    assert data_location(("requirements", 0, "courses", "courses", 0, "credits"), policy) == (
        "requirements",
        0,
        "courses",
        0,
        "credits",
    )
    assert str(data_location(("requirements", 0, "courses", "min"), policy)) == "$.requirements[0].min"
    # union members and validators that pydantic names in a location are not places in the data
    record = {"courses": [{"code": "A", "grade": "x"}]}
    assert data_location(("courses", 0, "function-after[check(), str]", "grade"), record) == ("courses", 0, "grade")
    assert data_location(("admission_term",), record) == ("admission_term",)
