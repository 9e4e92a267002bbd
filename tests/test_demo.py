"""The shipped demo cohort is current and shows what it claims; worksheets of real NYCU and NTUT students."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from menkan.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "src" / "menkan" / "demo"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_demo_cohort_files_are_what_the_script_generates() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_cohort.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_menkan_demo_prints_a_line_per_student_and_a_worksheet_per_institution() -> None:
    code, out, err = run("demo", "--print", "--lang", "en")
    assert code == 0, err
    assert "== ntut: 6 students ==" in out
    assert "== nycu: 6 students ==" in out
    assert "B112340001   ✓ met" in out
    assert "B112590002   ✗ not-met" in out
    assert "B112310003   … in-progress" in out


def test_ntut_worksheet_names_the_failed_required_course() -> None:
    code, out, _ = run("audit", str(DEMO / "ntut.jsonl"), "--lang", "en")
    assert code == 0
    block = out.split("B112590002")[1].split("B112310003")[0]
    assert "✗ Required courses: Department of Computer Science and Information Engineering  41 / 42 courses" in block
    assert "→ Missing courses: 微積分 (1401032)" in block
    assert "✗ Professional required  61 / 64 credits" in block


def test_ntut_gen_ed_beyond_15_flows_at_most_4_into_free_electives() -> None:
    code, out, _ = run("audit", str(DEMO / "ntut.jsonl"), "--format", "json")
    assert code == 0
    results = {r["student_id"]: r for r in map(json.loads, out.splitlines())}
    credits = results["B112370005"]["requirements"][0]["children"][0]
    gen_ed = credits["children"][0]["children"][0]
    assert gen_ed["id"] == "graduation.credits.common-required.gen-ed"
    assert gen_ed["earned"] > 19
    assert gen_ed["details"]["overflow"] == {"into": "graduation.credits.free", "amount": 4.0}


def test_ntut_course_repeated_under_another_code_counts_once() -> None:
    _, out, _ = run("audit", str(DEMO / "ntut.jsonl"), "--format", "json")
    results = {r["student_id"]: r for r in map(json.loads, out.splitlines())}
    text = json.dumps(results["B112390006"], ensure_ascii=False)
    assert '"reason": "repeated"' in text


def test_nycu_worksheet_shows_averages_and_standing() -> None:
    code, out, _ = run("audit", str(DEMO / "nycu.jsonl"), "--lang", "en")
    assert code == 0
    first = out.split("110511034")[0]
    assert "✓ Cumulative grade point average  3.28 / 0 points" in first
    assert "✓ Minimum graduation credits  138 / 128 credits" in first
    assert "全民國防教育軍事訓練 (MIL1001@110-1) excluded" in first
    assert "✓ Study period  4 / 4 (+2) years" in first
