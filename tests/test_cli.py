"""The `menkan` command: worksheets, JSON, errors as one located line with exit status 2, policy commands."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def with_grade(grade: str, student_id: str = "S1") -> dict[str, object]:
    data = student(student_id)
    courses = data["courses"]
    assert isinstance(courses, list)
    courses[1] = {**courses[1], "grade": grade}
    return data


def test_unknown_grade_names_the_file_and_path_not_the_student(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(with_grade("Z+")), encoding="utf-8")
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert (code, out) == (2, "")
    assert err == f"menkan: {path} $.courses[1].grade: 'Z+' is not a grade on exampleu's scale\n"


def test_unknown_grade_in_a_json_across_lines_names_the_line_of_the_grade(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    text = json.dumps(with_grade("Z+"), ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    line = next(number for number, raw in enumerate(text.splitlines(), 1) if '"Z+"' in raw)
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert code == 2
    assert err == f"menkan: {path}:{line} $.courses[1].grade: 'Z+' is not a grade on exampleu's scale\n"


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_unknown_grade_in_jsonl_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [student("S1"), with_grade("101", "S2")])
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE), "--format", "json")
    assert (code, out) == (2, "")
    assert err == f"menkan: {path}:2 $.courses[1].grade: '101' is not a grade on exampleu's scale\n"


def cohort_with_bad_lines_3_and_7(tmp_path: Path) -> Path:
    records = [student(f"S{n}") for n in range(1, 9)]
    records[2] = with_grade("abc", "S3")
    records[6] = student("S7", admission_term="112-3")
    return write_jsonl(tmp_path / "cohort.jsonl", records)


def test_jsonl_is_validated_whole_first_every_bad_line_is_listed_and_nothing_is_audited(tmp_path: Path) -> None:
    path = cohort_with_bad_lines_3_and_7(tmp_path)
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE), "--format", "json")
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == f"menkan: {path}:3 $.courses[1].grade: 'abc' is not a grade on exampleu's scale"
    assert lines[1].startswith(f"menkan: {path}:7 $.admission_term: not a term")


def test_keep_going_audits_the_good_lines_and_reports_the_bad_ones_with_exit_2(tmp_path: Path) -> None:
    path = cohort_with_bad_lines_3_and_7(tmp_path)
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE), "--format", "json", "--keep-going")
    assert code == 2
    audited = [json.loads(line)["student_id"] for line in out.splitlines()]
    assert audited == ["S1", "S2", "S4", "S5", "S6", "S8"]
    assert [line.split()[1] for line in err.splitlines()] == [f"{path}:3", f"{path}:7"]


def test_a_file_of_many_bad_lines_lists_the_first_20_and_counts_the_rest(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [with_grade("Z", f"S{n}") for n in range(25)])
    code, out, err = run("audit", str(path), "--policies", str(EXAMPLE))
    lines = err.splitlines()
    assert (code, out, len(lines)) == (2, "", 21)
    assert lines[19].startswith(f"menkan: {path}:20 $.courses[1].grade:")
    assert lines[20] == "menkan: … and 5 more"


def test_a_student_of_an_institution_without_policies_is_located(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [student("S1", institution="nowhere")])
    code, _, err = run("audit", str(path))
    assert code == 2
    assert err.startswith(f"menkan: {path}:1 $.institution: no policies for institution 'nowhere'")
    code, _, err = run("audit", str(path), "--policies", str(EXAMPLE))
    assert err == f"menkan: {path}:1 $.institution: is 'nowhere', but the policies are 'exampleu''s\n"


def test_audit_reads_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in (student("S1"), with_grade("Z", "S2")))
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, _, err = run("audit", "-", "--policies", str(EXAMPLE))
    assert (code, err) == (2, "menkan: <stdin>:2 $.courses[1].grade: 'Z' is not a grade on exampleu's scale\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(student("S1"))))
    code, out, err = run("audit", "-", "--policies", str(EXAMPLE), "--format", "json")
    assert (code, err, json.loads(out)["student_id"]) == (0, "", "S1")


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
