"""Pass-rate reports (menkan.reports, `menkan report pass-rates`).

The main cohort reproduces NCUT's 114-1 tables (/regulations/003): 1504 seniors in 16 departments with the
document's passes per item and 443 who passed all four; the university figures, every department's and the
rates come out as the document prints them, in all four formats."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from conftest import activity, certificate, make_student
from menkan.cli import main
from menkan.engine import AuditResult, RequirementResult, Student, Term, load_shipped, student_to_dict
from menkan.engine.policy.loader import SHIPPED_POLICIES as POLICIES
from menkan.reports import (
    PassRateReport,
    ReportItem,
    Tally,
    audit_pass_rates,
    pass_rate_spec,
    pass_rates,
    render_csv,
    render_json,
    render_text,
    render_xlsx,
    study_year,
)

ITEMS = ["self-learning.resilience", "self-learning.improvement", "self-learning.social", "self-learning.license"]
SHORT = ["抗壓", "精進", "社會接軌", "證照"]

# The document's department tables: seniors, then passed and rate per item (抗壓, 精進, 社會接軌, 證照), as printed.
DOCUMENT: dict[str, tuple[int, list[tuple[int, str]]]] = {
    "化材": (155, [(135, "87.10%"), (110, "70.97%"), (76, "49.03%"), (45, "29.03%")]),
    "機械": (107, [(95, "88.79%"), (81, "75.70%"), (64, "59.81%"), (47, "43.93%")]),
    "冷凍": (106, [(101, "95.28%"), (77, "72.64%"), (65, "61.32%"), (14, "13.21%")]),
    "智動": (44, [(34, "77.27%"), (17, "38.64%"), (20, "45.45%"), (11, "25.00%")]),
    "電機": (142, [(128, "90.14%"), (111, "78.17%"), (93, "65.49%"), (70, "49.30%")]),
    "電子": (111, [(101, "90.99%"), (69, "62.16%"), (61, "54.95%"), (45, "40.54%")]),
    "資工": (141, [(127, "90.07%"), (94, "66.67%"), (78, "55.31%"), (31, "21.99%")]),
    "智慧": (47, [(37, "78.72%"), (30, "63.83%"), (36, "76.59%"), (26, "55.32%")]),
    "文創": (48, [(40, "83.33%"), (35, "72.92%"), (41, "85.41%"), (28, "58.33%")]),
    "景觀": (40, [(32, "80.00%"), (20, "50.00%"), (39, "97.50%"), (1, "2.50%")]),
    "應英": (47, [(38, "80.85%"), (35, "74.47%"), (22, "46.80%"), (7, "14.89%")]),
    "工管": (189, [(169, "89.42%"), (139, "73.54%"), (93, "49.20%"), (141, "74.60%")]),
    "企管": (100, [(93, "93.00%"), (84, "84.00%"), (70, "70.00%"), (51, "51.00%")]),
    "資管": (85, [(72, "84.71%"), (57, "67.06%"), (40, "47.05%"), (82, "96.47%")]),
    "行流": (105, [(95, "90.48%"), (90, "85.71%"), (71, "67.61%"), (62, "59.05%")]),
    "健管": (37, [(23, "62.16%"), (22, "59.46%"), (22, "59.45%"), (1, "2.70%")]),
}
# The document's 社會接軌 column truncates where every other column rounds (健管: 22 / 37 is 59.46% under 精進
# and 59.45% under 社會接軌). menkan rounds half-up everywhere; these cells differ from the print by 0.01.
TRUNCATED = {
    "資工": "55.32%",
    "智慧": "76.60%",
    "文創": "85.42%",
    "應英": "46.81%",
    "工管": "49.21%",
    "資管": "47.06%",
    "行流": "67.62%",
    "健管": "59.46%",
}
PASSED_ALL = 443  # "全數通過人數443位(29.45%)"


def _all_passed_by_department() -> dict[str, int]:
    """How many of each department pass all four (the document gives only the total, 443): as many as the
    passes allow, lowered department by department until the total is the document's."""
    bounds = {}
    for department, (seniors, items) in DOCUMENT.items():
        passes = [p for p, _ in items]
        first_three, licence = min(passes[:3]), passes[3]
        bounds[department] = (max(0, first_three + licence - seniors), min(first_three, licence))
    chosen = {department: high for department, (_, high) in bounds.items()}
    excess = sum(chosen.values()) - PASSED_ALL
    for department, (low, high) in bounds.items():
        cut = min(excess, high - low)
        chosen[department] -= cut
        excess -= cut
    assert excess == 0
    return chosen


def _result(student_id: str, as_of: str, passes: list[bool]) -> AuditResult:
    children = [
        RequirementResult(
            item, {"zh-TW": item, "en": item}, "hours", "met" if ok else "not-met", "hours", None, None, "t"
        )
        for item, ok in zip(ITEMS, passes, strict=True)
    ]
    group = RequirementResult(
        "self-learning",
        {"zh-TW": "自主學習", "en": "Self-directed learning"},
        "all",
        "met" if all(passes) else "not-met",
        "requirements",
        None,
        None,
        "t",
        children=children,
    )
    return AuditResult(student_id, "ncut", Term.parse(as_of), [group])


def document_cohort() -> tuple[list[AuditResult], list[Student]]:
    """1504 seniors as of 114-1: in each department, the first `passed` students pass 抗壓, 精進 and 社會接軌;
    the licence passes are placed so that the department's chosen number passes all four."""
    results, students = [], []
    all_passed = _all_passed_by_department()
    for dept_no, (department, (seniors, items)) in enumerate(DOCUMENT.items(), start=1):
        passes = [p for p, _ in items]
        start = min(passes[:3]) - all_passed[department]
        for index in range(seniors):
            student_id = f"NC111{dept_no:02d}{index:04d}"
            flags = [index < passes[0], index < passes[1], index < passes[2], start <= index < start + passes[3]]
            results.append(_result(student_id, "114-1", flags))
            students.append(
                make_student(student_id=student_id, institution="ncut", department=department, admission_term="111-1")
            )
    return results, students


@pytest.fixture(scope="module")
def report() -> PassRateReport:
    ncut = load_shipped("ncut")
    spec = pass_rate_spec(ncut)
    results, students = document_cohort()
    return pass_rates(results, students, ncut.institution, spec)


def test_the_university_table_of_the_document(report):
    uni = report.university
    assert uni.seniors == 1504
    assert [
        (uni.items[i].seniors, uni.items[i].passed, uni.items[i].not_passed, uni.items[i].rate_text) for i in ITEMS
    ] == [
        (1504, 1320, 184, "87.77%"),
        (1504, 1071, 433, "71.21%"),
        (1504, 891, 613, "59.24%"),
        (1504, 662, 842, "44.02%"),
    ]
    assert (uni.all.passed, uni.all.rate_text) == (443, "29.45%")


def test_the_department_tables_of_the_document(report):
    departments = {row.id: row for row in report.departments}
    assert list(departments) == list(DOCUMENT)
    for department, (seniors, items) in DOCUMENT.items():
        row = departments[department]
        assert row.seniors == seniors, department
        for item_id, (passed, printed) in zip(ITEMS, items, strict=True):
            tally = row.items[item_id]
            assert tally.passed == passed, (department, item_id)
            if item_id == "self-learning.social" and department in TRUNCATED:
                exact = Decimal(passed) * 100 / Decimal(seniors)
                assert printed == f"{exact.quantize(Decimal('0.01'), rounding='ROUND_DOWN')}%"
                assert tally.rate_text == TRUNCATED[department], department
            else:
                assert tally.rate_text == printed, (department, item_id)


def test_colleges_add_up_their_departments(report):
    assert [(c.id, c.name["zh-TW"], c.seniors) for c in report.colleges] == [
        ("工程", "工程學院", 412),
        ("電資", "電資學院", 441),
        ("文創", "文創學院", 135),
        ("管理", "管理學院", 516),
    ]
    for college in report.colleges:
        members = [d for d in report.departments if d.college == college.id]
        for item_id in ITEMS:
            assert college.items[item_id].passed == sum(d.items[item_id].passed for d in members)
        assert college.all.passed == sum(d.all.passed for d in members)
    engineering = report.colleges[0]
    assert engineering.items["self-learning.resilience"].rate_text == "88.59%"  # 365 / 412


@pytest.mark.parametrize(
    ("passed", "seniors", "text"),
    [
        (1320, 1504, "87.77%"),
        (443, 1504, "29.45%"),
        (1, 40, "2.50%"),
        (2, 3, "66.67%"),
        (1, 8, "12.50%"),
        (0, 5, "0.00%"),
    ],
)
def test_rates_have_two_decimals_rounded_half_up(passed, seniors, text):
    assert Tally(seniors, passed).rate_text == text
    assert Tally(seniors, passed).rate == Decimal(text.rstrip("%"))


def test_no_seniors_has_no_rate():
    assert Tally().rate is None
    assert Tally().rate_text == "-"
    assert Tally().as_dict() == {"seniors": 0, "passed": 0, "not_passed": 0, "rate": None, "rate_text": "-"}


# The same numbers in every format ------------------------------------------------------------------------

Key = tuple[str, str, str]
Figures = dict[Key, tuple[int, int, int, str]]


def _figures(report: PassRateReport) -> Figures:
    figures: Figures = {}
    for row in report.rows():
        for item_id, tally in [*row.items.items(), ("all", row.all)]:
            figures[(row.level, row.id, item_id)] = (tally.seniors, tally.passed, tally.not_passed, tally.rate_text)
    return figures


def _from_json(text: str) -> Figures:
    data = json.loads(text)
    figures: Figures = {}
    for row in [data["university"], *data["colleges"], *data["departments"]]:
        for item_id, tally in [*row["items"].items(), ("all", row["all"])]:
            assert tally["rate"] == float(tally["rate_text"].rstrip("%"))
            figures[(row["level"], row["id"], item_id)] = (
                tally["seniors"],
                tally["passed"],
                tally["not_passed"],
                tally["rate_text"],
            )
    return figures


def _from_csv(text: str) -> Figures:
    return {
        (r["level"], r["id"], r["item"]): (int(r["seniors"]), int(r["passed"]), int(r["not_passed"]), r["rate"])
        for r in csv.DictReader(io.StringIO(text))
    }


def _percent(value: float) -> str:
    return f"{Decimal(str(value)) * 100:.2f}%"


def _from_xlsx(data: bytes) -> Figures:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["data"]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    assert header[-1] == "rate"
    assert sheet.cell(row=2, column=len(header)).number_format == "0.00%"
    return {
        (level, row_id, item): (seniors, passed, not_passed, _percent(rate))
        for level, _, row_id, _, _, item, _, _, seniors, passed, not_passed, rate in rows
    }


def _from_text(text: str, report: PassRateReport) -> Figures:
    """Read the text tables back: the items over the university, the all-passed line, colleges, departments."""
    figures: Figures = {}
    labels = {item.label["zh-TW"]: item.id for item in report.items}
    lines = text.splitlines()
    for line in lines:
        cells = line.split()
        if cells and cells[0] in labels:
            seniors, passed, not_passed, rate = cells[1:]
            figures[("university", report.institution, labels[cells[0]])] = (
                int(seniors),
                int(passed),
                int(not_passed),
                rate,
            )
        match = re.match(r"全數通過人數 (\d+) 位（(.+)），大四學生 (\d+) 位", line)
        if match:
            passed, seniors = int(match.group(1)), int(match.group(3))
            figures[("university", report.institution, "all")] = (seniors, passed, seniors - passed, match.group(2))
    colleges = {c.name["zh-TW"]: c.id for c in report.colleges}
    departments = {d.name["zh-TW"]: d.id for d in report.departments}
    section = lines.index("各學院")
    for line in lines[section:]:
        cells = line.split()
        if not cells or cells[0] not in colleges:
            continue
        if len(cells) == 2 + 2 * (len(ITEMS) + 1):
            level, row_id, numbers = "college", colleges[cells[0]], cells[1:]
        else:
            level, row_id, numbers = "department", departments[cells[1]], cells[2:]
        seniors = int(numbers[0])
        for index, item_id in enumerate([*ITEMS, "all"]):
            passed, rate = int(numbers[1 + 2 * index]), numbers[2 + 2 * index]
            figures[(level, row_id, item_id)] = (seniors, passed, seniors - passed, rate)
    return figures


def test_the_same_numbers_in_all_four_formats(report):
    expected = _figures(report)
    assert len(expected) == (1 + 4 + 16) * 5
    assert _from_json(render_json(report)) == expected
    assert _from_csv(render_csv(report)) == expected
    assert _from_xlsx(render_xlsx(report)) == expected
    assert _from_text(render_text(report), report) == expected


def test_text_shows_the_documents_tables(report):
    text = render_text(report)
    assert text.splitlines()[0] == "國立勤益科技大學  大四學生自主學習畢業門檻通過率  114-1  (大四：第4學年)"
    assert re.search(r"抗壓\(教務處\)\s+1504\s+1320\s+184\s+87\.77%", text)
    assert "全數通過人數 443 位（29.45%），大四學生 1504 位" in text
    assert re.search(r"工程學院\s+化材\s+155\s+135\s+87\.10%\s+110\s+70\.97%\s+76\s+49\.03%\s+45\s+29\.03%", text)
    english = render_text(report, "en")
    assert re.search(r"Resilience \(Academic Affairs\)\s+1504\s+1320\s+184\s+87\.77%", english)
    assert "Passed all: 443 (29.45%) of 1504 seniors" in english


def test_xlsx_has_the_documents_sheets(report):
    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    assert workbook.sheetnames == ["university", "colleges", "departments", "data"]
    university = [row for row in workbook["university"].iter_rows(values_only=True)]
    assert university[1] == ("項目", "大四學生數", "通過人數", "未通過人數", "通過率")
    assert university[2][:4] == ("抗壓(教務處)", 1504, 1320, 184)
    assert _percent(university[2][4]) == "87.77%"
    assert university[-1][:3] == ("全數通過", 1504, 443)
    departments = workbook["departments"]
    header = [cell for cell in next(departments.iter_rows(values_only=True))]
    assert header[:4] == ["學院", "學系", "大四學生數", "抗壓"]
    first = next(departments.iter_rows(min_row=3, values_only=True))
    assert first[:5] == ("工程學院", "化材", 155, 135, pytest.approx(0.871))
    assert departments.cell(row=3, column=5).number_format == "0.00%"


# Who is a senior ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("admission", "into", "as_of", "year"),
    [
        ("111-1", 1, "114-1", 4),
        ("111-1", 1, "114-2", 4),
        ("111-1", 1, "113-2", 3),
        ("113-1", 3, "114-1", 4),
        ("110-1", 1, "114-1", 5),
    ],
)
def test_study_year(admission, into, as_of, year):
    student = make_student(institution="ncut", admission_term=admission, admitted_into_year=into)
    assert study_year(student, Term.parse(as_of)) == year


def test_study_year_leaves_leave_semesters_out():
    # One definition (menkan.engine.study_year): a semester on leave does not advance the study year.
    leave = [{"term": "112-2", "status": "leave", "reason": "illness"}]
    student = make_student(institution="ncut", admission_term="111-1", enrollment=leave)
    assert [study_year(student, Term.parse(t)) for t in ("114-1", "114-2", "115-1")] == [3, 4, 4]


def test_only_seniors_to_whom_an_item_applies_count():
    ncut = load_shipped("ncut")
    spec = pass_rate_spec(ncut)
    seniors = [
        make_student(student_id="A", institution="ncut", department="資工", admission_term="111-1"),
        make_student(
            student_id="B", institution="ncut", department="資工", admission_term="113-1", admitted_into_year=3
        ),
    ]
    others = [
        make_student(student_id="C", institution="ncut", department="資工", admission_term="112-1"),  # a junior
        make_student(student_id="D", institution="ncut", department="資工", admission_term="110-1"),  # 5th year
    ]
    results = [_result(s.student_id, "114-1", [True, True, True, True]) for s in seniors + others]
    night = make_student(student_id="E", institution="ncut", department="資工", admission_term="111-1")
    results.append(AuditResult("E", "ncut", Term.parse("114-1"), []))  # the thresholds do not apply to them
    report = pass_rates(results, [*seniors, *others, night], ncut.institution, spec.items)
    assert report.university.seniors == 2
    assert report.university.all.as_dict()["rate_text"] == "100.00%"
    assert [d.id for d in report.departments] == ["資工"]


def test_results_must_share_the_term_and_have_a_record():
    ncut = load_shipped("ncut")
    items = [ReportItem("self-learning", {"zh-TW": "自主學習", "en": "Self"}, {"zh-TW": "自主學習", "en": "Self"})]
    student = make_student(student_id="A", institution="ncut", department="資工", admission_term="111-1")
    with pytest.raises(ValueError, match="no student record"):
        pass_rates([_result("Z", "114-1", [True] * 4)], [student], ncut.institution, items)
    second = make_student(student_id="B", institution="ncut", department="資工", admission_term="111-1")
    mixed = [_result("A", "114-1", [True] * 4), _result("B", "114-2", [True] * 4)]
    with pytest.raises(ValueError, match="as of 114-2"):
        pass_rates(mixed, [student, second], ncut.institution, items)


def test_an_institution_without_a_report_configuration_reports_its_top_level_requirements():
    nycu = load_shipped("nycu")
    spec = pass_rate_spec(nycu)
    assert spec.senior_year == 4
    assert [item.id for item in spec.items] == [r.id for p in nycu.policies for r in p.requirements]
    assert "graduation" in [item.id for item in spec.items]


# Real audits and the command -----------------------------------------------------------------------------


def _cohort_file(tmp_path: Path) -> Path:
    """Four NCUT students (two seniors: one passes everything, one passes only 抗壓), a junior, a night-division
    senior, and an NTUT student."""
    full = [
        activity("resilience", 3, "113-1", "醫務心理學"),
        activity("improvement", 3, "112-1", "電子資源線上教育訓練：Scopus"),
        activity("social", 24, "112-2", "淨灘志工"),
    ]
    licence = [certificate("TS-B-SOFTWARE", "電腦軟體設計 乙級技術士", "113-2")]
    records: list[dict[str, Any]] = [
        {"student_id": "NC1", "activities": full, "certificates": licence},
        {"student_id": "NC2", "activities": full[:1]},
        {"student_id": "NC3", "activities": full, "admission_term": "112-1"},
        {"student_id": "NC4", "activities": full, "certificates": licence, "division": "night-bachelor"},
    ]
    lines = [
        student_to_dict(
            make_student(**{"institution": "ncut", "department": "資工", "admission_term": "111-1", **record})
        )
        for record in records
    ]
    lines.append(student_to_dict(make_student(student_id="T1", institution="ntut")))
    path = tmp_path / "cohort.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_audit_pass_rates_audits_and_counts(tmp_path):
    from menkan.engine import iter_students

    report, skipped = audit_pass_rates(iter_students(_cohort_file(tmp_path)), load_shipped("ncut"), Term.parse("114-1"))
    assert skipped == 1
    uni = report.university
    assert uni.seniors == 2
    assert [uni.items[i].passed for i in ITEMS] == [2, 1, 1, 1]
    assert uni.all.rate_text == "50.00%"


def test_cli_report_in_every_format(tmp_path):
    path = _cohort_file(tmp_path)
    base = ["report", "pass-rates", str(path), "--institution", "ncut", "--as-of", "114-1"]
    code, out, err = run_cli(*base, "--format", "json")
    assert code == 0
    assert "skipped 1 students of other institutions" in err
    data = json.loads(out)
    assert data["schema"] == "menkan.pass-rates/1"
    assert data["university"]["items"]["self-learning.improvement"]["rate_text"] == "50.00%"
    code, out, _ = run_cli(*base)
    assert code == 0 and "全數通過人數 1 位（50.00%），大四學生 2 位" in out
    code, out, _ = run_cli(*base, "--format", "csv")
    assert code == 0 and "university,,ncut,國立勤益科技大學" in out
    target = tmp_path / "rates.xlsx"
    code, _, _ = run_cli(*base, "--format", "xlsx", "--output", str(target))
    assert code == 0
    assert _from_xlsx(target.read_bytes()) == _from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "xlsx"], "give --output FILE"),
        (["--institution", "nowhere"], "no policies for institution 'nowhere'"),
    ],
)
def test_cli_report_errors(tmp_path, extra, message):
    path = _cohort_file(tmp_path)
    code, out, err = run_cli("report", "pass-rates", str(path), "--institution", "ncut", "--as-of", "114-1", *extra)
    assert code == 2
    assert message in err
    assert out == ""


def test_cli_report_missing_file(tmp_path):
    code, _, err = run_cli(
        "report", "pass-rates", str(tmp_path / "none.jsonl"), "--institution", "ncut", "--as-of", "114-1"
    )
    assert code == 2
    assert "no such file" in err


def test_a_report_item_that_is_no_requirement_is_an_error(tmp_path):
    folder = tmp_path / "ncut"
    shutil.copytree(POLICIES / "ncut", folder)
    settings = folder / "institution.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("id: self-learning.improvement", "id: self-learning.reading"),
        encoding="utf-8",
    )
    base = ["report", "pass-rates", str(_cohort_file(tmp_path)), "--institution", "ncut", "--as-of", "114-1"]
    code, out, err = run_cli(*base, "--policies", str(folder))
    assert code == 2
    line = next(
        i
        for i, text in enumerate(settings.read_text(encoding="utf-8").splitlines(), 1)
        if "self-learning.reading" in text
    )
    where = f"{settings}:{line} $.workflows.pass_rates.items[1].id"
    assert err == f"menkan: {where}: no requirement has id 'self-learning.reading'\n"
    assert out == ""


def test_cli_report_validates_the_whole_file_first(tmp_path):
    path = _cohort_file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[1])
    broken["courses"] = [{"code": "X", "title": "x", "credits": 3, "term": "112-1", "grade": "101"}]
    lines[1] = json.dumps(broken, ensure_ascii=False)
    lines[3] = lines[3].replace('"schema"', '"schemas"', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["report", "pass-rates", str(path), "--institution", "ncut", "--as-of", "114-1", "--format", "json"]
    code, out, err = run_cli(*base)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"menkan: {path}:2 $.courses[0].grade: '101' is not a grade on ncut's scale",
        f'menkan: {path}:4 $.schema: required (use "menkan.student/1")',
    ]
    code, out, err = run_cli(*base, "--keep-going")
    assert code == 2
    assert json.loads(out)["university"]["seniors"] == 1  # NC1 alone: NC2 (line 2) and NC4 (line 4) refused
