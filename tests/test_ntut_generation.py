"""The NTUT graduation policy generated from the real 115 standards: up to date, valid, complete per department."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from menkan.engine import Term, audit, load_policy_dir, student_from_dict
from menkan.engine.policy.loader import PolicySet, walk
from menkan.engine.policy.models import AllOf, Courses, Credits, Requirement

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_ntut_policy.py"
NTUT = ROOT / "src" / "menkan" / "policies" / "ntut"
DATA = ROOT.parent / "shared" / "data" / "ntut"
STANDARDS = DATA / "standards-115.json"

needs_data = pytest.mark.skipif(not STANDARDS.exists(), reason=f"NTUT data not found at {DATA}")


@cache
def standards() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STANDARDS.read_text(encoding="utf-8"))
    return data


def day_bachelor_departments() -> dict[str, dict[str, Any]]:
    """The 四技 programs that are departments (not the 通識中心 / 校院級課程 course pools), by division code."""
    return {
        p["division"]: p
        for p in standards()["programs"]
        if p["matric"] == "7"
        and p["title"].startswith("四技")
        and "通識中心" not in p["title"]
        and "校院級課程" not in p["title"]
    }


@cache
def policy_set() -> PolicySet:
    return load_policy_dir(NTUT)


def requirements() -> dict[str, Requirement]:
    return {full_id: node for policy in policy_set().policies for full_id, node in walk(policy.requirements)}


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(DATA), *args], capture_output=True, text=True, check=False
    )


@needs_data
def test_the_shipped_files_are_what_the_script_generates() -> None:
    result = run_script("--check")
    assert result.returncode == 0, result.stderr


@needs_data
def test_check_fails_when_a_generated_file_was_edited(tmp_path: Path) -> None:
    out = tmp_path / "ntut"
    assert run_script("--out", str(out)).returncode == 0
    assert run_script("--out", str(out), "--check").returncode == 0
    graduation = out / "graduation.yaml"
    graduation.write_text(graduation.read_text(encoding="utf-8").replace("min: 132", "min: 128"), encoding="utf-8")
    result = run_script("--out", str(out), "--check")
    assert result.returncode == 1
    assert "graduation.yaml" in result.stderr


def test_the_generated_folder_loads() -> None:
    loaded = policy_set()
    assert loaded.institution.id == "ntut"
    assert [policy.id for policy in loaded.policies] == ["ntut-graduation", "ntut-micro-programs"]
    assert loaded.institution.identity.same_title
    assert loaded.institution.grading.pass_score_by_degree == {"master": 70, "doctor": 70}


def test_the_credit_tree_follows_the_regulation() -> None:
    nodes = requirements()
    assert {
        "graduation.credits.common-required.gen-ed",
        "graduation.credits.common-required.school-common",
        "graduation.credits.professional-required",
        "graduation.credits.professional-elective",
        "graduation.credits.free",
    } <= set(nodes)
    credits = nodes["graduation.credits"]
    assert isinstance(credits, AllOf) and credits.exclusive
    assert credits.total is not None and credits.total.min == 132
    gen_ed = nodes["graduation.credits.common-required.gen-ed"]
    assert isinstance(gen_ed, Credits) and gen_ed.min == 15
    assert gen_ed.overflow is not None and gen_ed.overflow.into == "free" and gen_ed.overflow.max == 4
    elective = nodes["graduation.credits.professional-elective"]
    assert isinstance(elective, Credits) and elective.overflow is not None and elective.overflow.max is None
    free = nodes["graduation.credits.free"]
    assert isinstance(free, Credits) and free.exclude is not None and free.exclude.tags == ["military"]
    # The regulation's own example, 能源系, needs no department override of 65 / 19.
    for leaf_id in ("graduation.credits.professional-required", "graduation.credits.professional-elective"):
        leaf = nodes[leaf_id]
        assert isinstance(leaf, Credits)
        assert all("450" not in (override.when.department or []) for override in leaf.overrides)
    assert all(node.cites for node in nodes.values())


@needs_data
def test_every_day_bachelor_department_has_a_required_course_list() -> None:
    nodes = requirements()
    expected = day_bachelor_departments()
    assert len(expected) == 43
    assert {department.id for department in policy_set().institution.departments} == set(expected)
    for code, program in expected.items():
        node = nodes[f"graduation.required-courses.dept-{code}"]
        assert isinstance(node, Courses)
        assert node.applies_to is not None and node.applies_to.department == [code]
        listed = Counter((ref.code, ref.title) for ref in node.courses)
        wanted = Counter(
            (c["course_code"], c["name_zh"])
            for c in program["courses"]
            if c["requirement"]["symbol"] in "▲△" and not c["group_id"]
        )
        assert listed == wanted, code


@needs_data
def test_the_civil_engineering_list_holds_known_courses() -> None:
    node = requirements()["graduation.required-courses.dept-340"]
    assert isinstance(node, Courses)
    listed = Counter((ref.code, ref.title, ref.credits) for ref in node.courses)
    assert listed[("3401004", "工程靜力學", 3)] == 1
    assert listed[("3402010", "材料力學", 4)] == 1
    assert listed[("1401036", "微積分及演習", 3)] == 2  # a year-long course: once per semester
    assert listed[("1001002", "體育", 0)] == 4  # zero credits, still required, every semester of years 1-2
    assert listed[("1404006", "國文", 2)] == 1
    humanities = [ref for ref in node.courses if ref.code == "1420001"]
    assert len(humanities) == 2 and all(ref.alternatives for ref in humanities)  # 博雅 slots filled from a pool


@needs_data
def test_a_choice_group_becomes_its_own_requirement() -> None:
    group = requirements()["graduation.required-courses.dept-360-group-2"]
    assert isinstance(group, Courses) and group.min == 3 and len(group.courses) == 5


def test_multi_semester_courses_and_pe_are_repeatable() -> None:
    repeatable = policy_set().institution.repeats.repeatable
    assert repeatable is not None and repeatable.titles is not None
    assert {"體育", "微積分及演習", "物理", "學院專業英文"} <= set(repeatable.titles)


def _student_following(code: str, *, skip_humanities: bool = False) -> dict[str, Any]:
    """A student of department `code` who took what its standard lists (博雅 and English slots from pools)."""
    programs = {p["division"]: p for p in standards()["programs"] if p["matric"] == "7"}
    pools = {
        dimension: list(programs[division]["courses"])
        for dimension, division in {
            "人文與藝術": "14K",
            "社會與法治": "14L",
            "自然與科學": "14F",
            "創新與創業": "14H",
        }.items()
    }
    english = {
        "學院專業英文": [c for c in programs["AA3"]["courses"] if c["study_year"] == 1],
        "跨領域專業英文": [c for c in programs["AA3"]["courses"] if c["study_year"] == 2],
    }
    courses = []
    electives = 0.0
    for c in programs[code]["courses"]:
        symbol, title = c["requirement"]["symbol"], c["name_zh"]
        record = {
            "code": c["course_code"],
            "title": title,
            "credits": c["credits"],
            "term": f"{111 + c['study_year']}-{c['study_sem']}",
            "grade": "80",
        }
        if symbol == "△" and ("向度" in title or title == "通識課程"):
            dimension = title.split("-", 1)[1] if title.startswith("學院指定向度-") else "社會與法治"
            if skip_humanities and dimension == "人文與藝術":
                dimension = "社會與法治"
            taken = pools[dimension].pop()
            record.update(code=taken["course_code"], title=taken["name_zh"], category="gen-ed")
        elif symbol == "△" and title in english:
            taken = english[title].pop()
            record.update(code=taken["course_code"], title=taken["name_zh"], category="common-required")
        elif symbol == "△":
            record["category"] = "common-required"
        elif symbol == "▲":
            record["category"] = "professional-required"
        elif symbol == "★" and electives < 40:
            electives += c["credits"]
            record["category"] = "professional-elective"
        else:
            record.update(category="free", tags=["military"] if title.startswith("全民國防教育") else ["pe"])
        courses.append(record)
    for c in [c for c in programs["590"]["courses"] if c["requirement"]["symbol"] == "★"][:8]:
        courses.append(
            {"code": c["course_code"], "title": c["name_zh"], "credits": c["credits"], "term": "115-2", "grade": "70"}
            | {"category": "free"}
        )
    return {
        "schema": "menkan.student/1",
        "student_id": f"T{code}",
        "institution": "ntut",
        "department": code,
        "admission_term": "112-1",
        "courses": courses,
        # the cross-domain condition (students admitted from 112), met by a minor: tests/test_ntut_microprograms.py
        "certificates": [{"code": "credential:minor", "title": "輔系", "term": "115-2"}],
    }


@needs_data
def test_a_student_who_follows_the_civil_engineering_standard_graduates() -> None:
    result = audit(student_from_dict(_student_following("340")), policy_set(), Term.parse("115-2"))
    assert result.status == "met", [(r.id, r.status) for r in result.requirements]


@needs_data
def test_a_missing_gen_ed_dimension_shows_in_the_department_list() -> None:
    result = audit(
        student_from_dict(_student_following("340", skip_humanities=True)), policy_set(), Term.parse("115-2")
    )
    dept = result.find("graduation.required-courses.dept-340")
    assert dept is not None and dept.status == "not-met"
    found = result.find("graduation.credits.common-required.gen-ed")
    assert found is not None and found.status == "met"


def test_the_script_is_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff not installed")
    result = subprocess.run([ruff, "check", str(SCRIPT)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stdout
