"""The `menkan` command: worksheets, JSON, errors as one located line with exit status 2, policy commands."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from menkan.cli import main

POLICIES = Path(__file__).parent / "policies"
EXAMPLE = POLICIES / "exampleu"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def student(student_id: str = "S1", **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "institution": "exampleu",
        "department": "CE",
        "admission_term": "112-1",
        "courses": [
            {
                "code": "M1",
                "title": "微積分",
                "credits": 3,
                "term": "112-1",
                "grade": "85",
                "category": "major",
            },
            {
                "code": "M9",
                "title": "物理",
                "credits": 3,
                "term": "112-1",
                "grade": "40",
                "category": "major",
            },
        ],
    }
    data.update(extra)
    return data


def test_text_worksheet_shows_tree_marks_progress_and_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "s1.json"
    path.write_text(json.dumps(student(), ensure_ascii=False), encoding="utf-8")
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert code == 0, err
    assert "✗ 畢業資格 Graduation  0 / 2 requirements" in out
    assert "✗ 專業 Major  3 / 10 credits" in out
    assert "→ 尚缺 7 學分 / 7 credits more needed" in out
    assert "物理 (M9@112-1) failed" in out
    assert "✗ 必修課程 Required courses  1 / 2 courses" in out


def test_jsonl_gives_one_json_result_per_line(tmp_path: Path) -> None:
    path = tmp_path / "cohort.jsonl"
    lines = [json.dumps(student(f"S{i}"), ensure_ascii=False) for i in range(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run("audit", str(path), "--policies", str(EXAMPLE), "--format", "json", "--as-of", "113-1")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["student_id"] for r in results] == ["S0", "S1", "S2"]
    assert all(r["schema"] == "menkan.audit/1" and r["as_of"] == "113-1" for r in results)


def test_broken_student_file_is_one_line_with_file_line_and_path_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "students.jsonl"
    bad = student("S2")
    bad["courses"] = [{"code": "A", "title": "a", "credits": -1, "term": "112-1"}]
    path.write_text(json.dumps(student()) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE), "--format", "json")
    assert code == 2
    assert err == f"menkan: {path}:2 $.courses[0].credits: must be ≥ 0\n"


def test_malformed_json_and_unknown_fields_are_located(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{"schema": "menkan.student/1", "student_id": ', encoding="utf-8")
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert code == 2
    assert err.startswith(f"menkan: {path}:1 $: not valid JSON")
    path.write_text(json.dumps(student(nickname="x")), encoding="utf-8")
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert (code, err) == (2, f"menkan: {path} $.nickname: unknown field\n")


def test_unknown_grade_is_an_input_error_not_a_traceback(tmp_path: Path) -> None:
    data = student()
    data["courses"] = [{"code": "A", "title": "a", "credits": 3, "term": "112-1", "grade": "Z+"}]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert code == 2
    assert err == "menkan: S1 $.courses[0].grade: 'Z+' is not a grade on exampleu's scale\n"


def test_broken_policy_check_lists_every_error_and_exits_2() -> None:
    code, out, err = run("policy", "check", str(POLICIES / "broken"))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 4
    assert all("graduation.yaml:" in line for line in err.splitlines())


def test_policy_check_of_the_shipped_policies_passes() -> None:
    code, out, err = run("policy", "check")
    assert code == 0, err
    assert "ok  nycu" in out


def test_policy_schema_is_json_schema_of_the_policy_language() -> None:
    code, out, _ = run("policy", "schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["title"] == "Policy"
    assert "Credits" in schema["$defs"]


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(student()), encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "menkan.cli",
            "audit",
            str(path),
            "--policies",
            str(EXAMPLE),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["status"] == "not-met"
