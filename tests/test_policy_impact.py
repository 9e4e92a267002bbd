"""Policy impact (issue 14 item 1): lowering NTUT's professional-elective minimum changes exactly the students
expected, in the pure module (foresight.impact) and in `menkan policy impact` (text, JSON, CSV, XLSX)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from menkan.cli import main
from menkan.engine import (
    SHIPPED_POLICIES,
    AuditResult,
    RequirementResult,
    Term,
    compile,
    load_policy_dir,
    load_shipped,
    student_from_dict,
)
from menkan.foresight.impact import ImpactReport, compare, impact_report, impacts

AS_OF = "113-1"
ELECTIVE = "graduation.credits.professional-elective"
FREE = "graduation.credits.free"
# Department 340's professional-elective minimum (shared with 831) in the generated NTUT policy: 11 credits.
OLD_MINIMUM, NEW_MINIMUM = 11, 9
_OVERRIDE = "          - '340'\n          - '831'\n        min: {}"

# (student id, department, professional-elective credits): with 340's minimum lowered from 11 to 9,
#   B112340007: 7 credits, below the new minimum: still short, the same 7 earned: unchanged;
#   B112340010: 10, between the two: the electives turn met, and the 1 credit over 9 overflows into free;
#   B112340011: 11, exactly the old minimum: still met, but 2 credits now overflow into free (0 → 2);
#   B112340014: 14, above both: free goes from the 3 credits over 11 to the 5 over 9;
#   B112590011: 11 in department 590, whose minimum (20) is not changed: unchanged.
STUDENTS = (
    ("B112340007", "340", 7),
    ("B112340010", "340", 10),
    ("B112340011", "340", 11),
    ("B112340014", "340", 14),
    ("B112590011", "590", 11),
)
CHANGED = {
    "B112340010": {ELECTIVE: (("not-met", 10, 11), ("met", 10, 9)), FREE: (("not-met", 0, 20), ("not-met", 1, 20))},
    "B112340011": {FREE: (("not-met", 0, 20), ("not-met", 2, 20))},
    "B112340014": {FREE: (("not-met", 3, 20), ("not-met", 5, 20))},
}


def elective_document(student_id: str, department: str, credits: int) -> dict[str, Any]:
    """An NTUT day-bachelor student with `credits` one-credit professional electives (and nothing else)."""
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"學生{student_id[-3:]}",
        "institution": "ntut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": "112-1",
        "courses": [
            {
                "code": f"PE{department}{i:02d}",
                "title": f"專業選修{i}",
                "credits": 1,
                "term": "112-1",
                "grade": "85",
                "category": "professional-elective",
            }
            for i in range(credits)
        ],
    }


def documents() -> list[dict[str, Any]]:
    return [elective_document(*row) for row in STUDENTS]


def lowered_folder(target: Path) -> Path:
    """A copy of the shipped NTUT folder with department 340's professional-elective minimum lowered to 9."""
    folder = target / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    graduation = folder / "graduation.yaml"
    text = graduation.read_text(encoding="utf-8")
    assert text.count(_OVERRIDE.format(OLD_MINIMUM)) == 1, "the generated NTUT policy changed: find 340's minimum"
    graduation.write_text(text.replace(_OVERRIDE.format(OLD_MINIMUM), _OVERRIDE.format(NEW_MINIMUM)), "utf-8")
    return folder


def outcomes(change: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return tuple((change[side]["status"], change[side]["earned"], change[side]["required"]) for side in ("old", "new"))  # type: ignore[return-value]


def assert_expected_changes(students: list[dict[str, Any]]) -> None:
    """The changed students of a menkan.impact/1 document are exactly CHANGED, requirement by requirement."""
    found = {s["student_id"]: {c["id"]: outcomes(c) for c in s["changes"]} for s in students}
    assert found == CHANGED
    assert all(s["old_status"] == s["new_status"] == "not-met" for s in students)


def _report(tmp_path: Path) -> ImpactReport:
    current = compile(load_shipped("ntut"))
    new = compile(load_policy_dir(lowered_folder(tmp_path)))
    students = (student_from_dict(document) for document in documents())  # a stream, read once
    return impact_report(current, new, students, Term.parse(AS_OF))


def test_lowering_the_elective_minimum_changes_exactly_the_expected_students(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert report.audited == 5 and report.changed_count == 3 and report.failed == 0
    assert_expected_changes(report.as_dict()["students"])
    assert {name: (t.audited, t.changed) for name, t in report.by_department.items()} == {"340": (4, 3), "590": (1, 0)}
    assert report.transitions == {("not-met", "not-met"): 5}
    document = report.as_dict()
    assert document["schema"] == "menkan.impact/1" and document["as_of"] == AS_OF
    assert document["totals"] == {"audited": 5, "changed": 3, "failed": 0}


def test_the_same_policies_change_nobody_and_a_requirement_on_one_side_only_is_a_change() -> None:
    current = compile(load_shipped("ntut"))
    students = [student_from_dict(document) for document in documents()]
    assert not [i for i in impacts(current, current, students, Term.parse(AS_OF)) if i.changed]

    def node(rid: str, status: Any, earned: int, required: int = 10, *children: RequirementResult) -> RequirementResult:
        title = {"zh-TW": rid, "en": rid}
        return RequirementResult(
            rid,
            title,
            "credits",
            status,
            "credits",
            required=Decimal(required),
            earned=Decimal(earned),
            cites="x",
            children=list(children),
        )

    term = Term.parse(AS_OF)
    old = AuditResult("S", "ntut", term, [node("a", "met", 10, 10, node("a.x", "met", 10)), node("gone", "met", 1, 1)])
    new = AuditResult("S", "ntut", term, [node("a", "met", 10, 12, node("a.x", "met", 10)), node("added", "met", 1, 1)])
    impact = compare(students[0], old, new)
    # `a` only needs more now (10 → 12) but its status and earned credits are the same: not a change
    assert [(c.id, c.old.text(), c.new.text()) for c in impact.changes] == [
        ("gone", "met 1 / 1 credits", "absent"),
        ("added", "absent", "met 1 / 1 credits"),
    ]
    assert impact.changed and impact.old_status == impact.new_status == "met"


def test_the_preview_streams_one_student_at_a_time(tmp_path: Path) -> None:
    """The students are read lazily (a generator of 5 is consumed as it goes) and no full result is kept."""
    current = compile(load_shipped("ntut"))
    new = compile(load_policy_dir(lowered_folder(tmp_path)))
    read: list[str] = []

    def stream() -> Any:
        for document in documents():
            read.append(document["student_id"])
            yield student_from_dict(document)

    first = next(impacts(current, new, stream(), Term.parse(AS_OF)))
    assert read == ["B112340007"] and first.student_id == "B112340007" and not first.changed
    seen: list[int] = []
    impact_report(current, new, stream(), Term.parse(AS_OF), progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]


# --------------------------------------------------------------------------------------------------- the CLI


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli_inputs(tmp_path: Path) -> tuple[Path, Path]:
    students = tmp_path / "students.jsonl"
    students.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents()), encoding="utf-8")
    return lowered_folder(tmp_path), students


def test_cli_text_lists_the_changed_students_old_to_new(cli_inputs: tuple[Path, Path]) -> None:
    folder, students = cli_inputs
    code, out, err = run("policy", "impact", str(folder), str(students), "--as-of", AS_OF)
    assert code == 0, err
    assert "audited 5 students, 3 changed, 0 not audited" in out
    assert f"  {ELECTIVE}  not-met 10 / 11 credits → met 10 / 9 credits" in out
    assert f"  {FREE}  not-met 0 / 20 credits → not-met 2 / 20 credits" in out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("B1")}
    assert listed == set(CHANGED)
    assert "  340  4 / 3" in out and "  590  1 / 0" in out and "not-met → not-met: 5" in out


def test_cli_json_csv_and_xlsx_hold_the_same_changes(cli_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    folder, students = cli_inputs
    code, out, err = run("policy", "impact", str(folder), str(students), "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert_expected_changes(document["students"])
    assert document["by_department"] == [
        {"department": "340", "audited": 4, "changed": 3},
        {"department": "590", "audited": 1, "changed": 0},
    ]
    assert document["transitions"] == [{"old": "not-met", "new": "not-met", "students": 5}]

    code, out, err = run("policy", "impact", str(folder), str(students), "--as-of", AS_OF, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    by_student: dict[str, dict[str, Any]] = {}
    for row in rows:
        old = (row["old_requirement_status"], int(row["old_earned"]), int(row["old_required"]))
        new = (row["new_requirement_status"], int(row["new_earned"]), int(row["new_required"]))
        by_student.setdefault(row["student_id"], {})[row["requirement"]] = (old, new)
    assert by_student == CHANGED

    target = tmp_path / "impact.xlsx"
    code, out, err = run(
        "policy", "impact", str(folder), str(students), "--as-of", AS_OF, "--format", "xlsx", "--output", str(target)
    )
    assert code == 0, err
    workbook = load_workbook(target, read_only=True)
    assert workbook.sheetnames == ["changes", "departments", "transitions", "totals"]
    header, *values = list(workbook["changes"].iter_rows(values_only=True))
    cells = [dict(zip(header, row, strict=True)) for row in values]
    from_xlsx: dict[str, dict[str, Any]] = {}
    for row in cells:
        old = (row["old_requirement_status"], row["old_earned"], row["old_required"])
        new = (row["new_requirement_status"], row["new_earned"], row["new_required"])
        from_xlsx.setdefault(str(row["student_id"]), {})[str(row["requirement"])] = (old, new)
    assert from_xlsx == CHANGED
    assert list(workbook["departments"].iter_rows(values_only=True)) == [
        ("department", "audited", "changed"),
        ("340", 4, 3),
        ("590", 1, 0),
    ]
    assert list(workbook["totals"].iter_rows(values_only=True))[1] == ("ntut", AS_OF, 5, 3, 0)


def test_cli_bad_records_are_located_and_nothing_is_compared(cli_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = cli_inputs
    bad = documents()
    bad[1]["courses"][0]["grade"] = "101"
    bad[3] = {**bad[3], "institution": "nycu", "admission_term": "110-1", "department": "CS"}
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in bad), encoding="utf-8")
    code, out, err = run("policy", "impact", str(folder), str(path), "--as-of", AS_OF)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"menkan: {path}:2 $.courses[0].grade: '101' is not a grade on ntut's scale"
    assert lines[1] == f"menkan: {path}:4 $.institution: is 'nycu', but the policies are 'ntut''s"
    code, out, err = run("policy", "impact", str(folder), str(path), "--as-of", AS_OF, "--keep-going")
    assert code == 2 and "audited 3 students, 1 changed" in out and "\nB112340011  340" in out


def test_cli_a_broken_new_policy_is_located_and_a_missing_folder_refused(
    cli_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, students = cli_inputs
    (folder / "graduation.yaml").write_text("schema: menkan.policy/1\nid: x\n  bad: [\n", encoding="utf-8")
    code, out, err = run("policy", "impact", str(folder), str(students))
    assert code == 2 and out == ""
    assert f"{folder / 'graduation.yaml'}:3 $: not valid YAML" in err
    code, _, err = run("policy", "impact", str(tmp_path / "nowhere"), str(students))
    assert code == 2 and "not a policy folder" in err
