"""Imports (CSV / XLSX, validated then applied atomically, idempotent) and exports in the same layout."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from menkan.engine import InputError
from menkan.web.audits.models import AuditResult
from menkan.web.audits.services import student_audit
from menkan.web.errors import problem_reason
from menkan.web.records.imports import ImportReport, export_headers, import_run, parse_term, records_export
from menkan.web.records.models import Activity, Certificate, CourseRecord, SchoolClass, Student
from menkan.web.records.services import student_import_document

from .conftest import World, course, student_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reasons_in_english() -> Iterator[None]:
    """The reasons below are read in English; the zh-TW interface's are tested with the page (see the end)."""
    with translation.override("en"):
        yield


SIS_HEADER = ["學號", "學期", "永久課號", "課名", "學分數", "開課單位", "選別", "成績"]
GOOD_COURSES = [
    ["B112340001", "112-2", "3401004", "工程靜力學", "3", "CE", "必", "78"],
    ["B112340001", "112-2", "1410039", "論語", "2", "通識中心", "通", "91"],
    ["B112590001", "112-2", "5901010", "資料結構", "3", "CS", "必", ""],
]


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(
    world: World, kind: str, content: bytes, *, role: str = "registrar", filename: str = "", **kw: Any
) -> ImportReport:
    return import_run(
        kind=kind,  # type: ignore[arg-type]
        filename=filename or f"{kind}.csv",
        content=content,
        institution=world.institution,
        user=world.users[role],
        **kw,
    )


def snapshot() -> dict[str, int]:
    """How many records and history rows there are (a refused import must leave both as they were)."""
    counts = {}
    for model in (Student, CourseRecord, Activity, Certificate):
        counts[model.__name__] = model.objects.count()
        counts[f"history {model.__name__}"] = model.history.model.objects.count()  # type: ignore[attr-defined]
    counts["classes"] = SchoolClass.objects.count()
    return counts


def problems(report: ImportReport) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in report.problems]


# ---------------------------------------------------------------------------------------------- acceptance


def test_a_csv_with_one_bad_row_is_refused_with_a_report_and_the_database_is_unchanged(world: World) -> None:
    before = snapshot()
    grades = {c.pk: c.grade for c in CourseRecord.objects.all()}
    rows = [SIS_HEADER, *GOOD_COURSES[:2], ["B112340001", "112-2", "3401005", "材料力學", "three", "CE", "必", "80"]]
    rows.append(["B112340001", "112-1", "1401032", "微積分", "3", "MA", "必", "59"])  # a valid update, not written
    report = run(world, "courses", csv_bytes(rows))
    assert not report.ok
    assert not report.applied
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (problem.row, problem.column) == (4, "學分數")  # header is row 1: the third data row is row 4
    assert "'three' is not a number" in problem.reason
    assert report.created == report.updated == report.unchanged == 0
    assert snapshot() == before
    assert {c.pk: c.grade for c in CourseRecord.objects.all()} == grades


def test_the_same_good_file_imported_twice_leaves_one_copy(world: World) -> None:
    content = csv_bytes([SIS_HEADER, *GOOD_COURSES])
    before = CourseRecord.objects.count()
    first = run(world, "courses", content)
    assert first.ok, first.problems
    assert (first.rows, first.created, first.updated, first.unchanged, first.applied) == (3, 3, 0, 0, True)
    history = snapshot()
    second = run(world, "courses", content)
    assert (second.rows, second.created, second.updated, second.unchanged, second.applied) == (3, 0, 0, 3, True)
    assert CourseRecord.objects.count() == before + 3
    assert snapshot() == history  # not even a history row: nothing was saved again
    course = CourseRecord.objects.get(student=world.own, code="3401004", term="112-2")
    assert (course.title, course.credits, course.grade, course.category) == (
        "工程靜力學",
        Decimal("3"),
        "78",
        "professional-required",
    )
    assert CourseRecord.objects.get(student=world.other, code="5901010").grade is None  # empty grade: in progress


def test_the_upload_page_shows_the_report_naming_row_and_column(world: World) -> None:
    rows = [SIS_HEADER, GOOD_COURSES[0], ["B112340001", "113-5", "3401005", "材料力學", "3", "CE", "必", "80"]]
    before = snapshot()
    response = world.client("registrar").post(
        "/imports/",
        {"institution": "ntut", "kind": "courses", "file": SimpleUploadedFile("grades.csv", csv_bytes(rows))},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-problems"' in html
    assert "<td>3</td><td>學期</td>" in html
    assert "「113-5」不是學期" in html  # the page speaks zh-TW (the default language)
    assert snapshot() == before


def test_the_upload_page_applies_a_good_file_and_shows_the_counts(world: World) -> None:
    client = world.client("registrar")
    assert client.get("/imports/").status_code == 200
    upload = SimpleUploadedFile("grades.csv", csv_bytes([SIS_HEADER, *GOOD_COURSES]))
    response = client.post("/imports/", {"institution": "ntut", "kind": "courses", "file": upload})
    html = response.content.decode()
    assert 'data-applied="true"' in html
    assert "<td>3</td><td>3</td><td>0</td><td>0</td>" in html
    latest = CourseRecord.objects.get(code="3401004").history.first()  # type: ignore[attr-defined]
    assert latest.history_user == world.users["registrar"]


def test_validate_only_on_the_page_writes_nothing(world: World) -> None:
    before = snapshot()
    upload = SimpleUploadedFile("grades.csv", csv_bytes([SIS_HEADER, *GOOD_COURSES]))
    response = world.client("registrar").post(
        "/imports/", {"institution": "ntut", "kind": "courses", "file": upload, "validate_only": "on"}
    )
    assert 'data-applied="false"' in response.content.decode()
    assert 'data-ok="true"' in response.content.decode()
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_row_is_refused_for_the_reason_its_record_would_be(world: World, language: str) -> None:
    """A row becomes a course of `menkan.student/1` that the engine validates, as it validates the record written
    through the API: the reason for a value the record refuses is the engine's own, in the user's language."""
    negative = student_document("B112340001", "340", "CE-112", courses=[course("3401005", "材料力學", -1, "112-2")])
    bad_grade = student_document(
        "B112340001", "340", "CE-112", courses=[course("3401005", "材料力學", 3, "112-2", "101")]
    )
    rows = [SIS_HEADER, ["B112340001", "112-2", "3401005", "材料力學", "-1", "CE", "必", "101"]]
    with translation.override(language):
        reasons = {p.column: p.reason for p in run(world, "courses", csv_bytes(rows)).problems}
        api = {}
        for document in (negative, bad_grade):
            with pytest.raises(InputError) as refused:
                student_import_document(world.institution, document)
            api.update({str(problem.path[-1]): problem_reason(problem) for problem in refused.value.problems})
    assert reasons["學分數"] == api["credits"]
    assert reasons["成績"].startswith(api["grade"] + ("：" if language == "zh-hant" else ": "))


def test_a_students_row_is_validated_as_the_students_record(world: World) -> None:
    """A students' row is the student's own fields of `menkan.student/1`, validated by the engine (year 0: ≥ 1)."""
    header = ["學號", "系所", "入學學期", "入學年級"]
    report = run(world, "students", csv_bytes([header, ["B113340009", "340", "113-1", "0"], ["", "340", "113-1", "2"]]))
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (2, "入學年級", "must be ≥ 1"),
        (3, "學號", "required: the cell is empty"),
    ]


def test_every_problem_of_every_row_is_reported(world: World) -> None:
    rows = [
        SIS_HEADER,
        ["B999999999", "112-2", "3401004", "工程靜力學", "3", "CE", "必", "78"],  # no such student
        ["B112340001", "112-3", "3401005", "材料力學", "-1", "CE", "必", "101"],  # term, credits, grade
        ["B112340001", "112-2", "3401006", "", "3", "CE", "主修", "A+"],  # title, 選別, letter at NTUT
        ["110550001", "112-2", "1", "x", "1", "", "", ""],  # another institution's student
        ["B112340001", "112-2", "3401004", "工程靜力學", "3", "CE", "必", "78"],
        ["B112340001", "1122", "3401004", "工程靜力學", "3", "CE", "必", "78"],  # the same course again (1122)
        ["B112340001", "112-2", "3401007", "結構學", "2.25", "CE", "必", "70"],  # two decimal places
    ]
    before = snapshot()
    report = run(world, "courses", csv_bytes(rows))
    assert problems(report) == [
        (2, "學號"),
        (3, "學期"),
        (3, "學分數"),
        (3, "成績"),
        (4, "課名"),
        (4, "選別"),
        (4, "成績"),
        (5, "學號"),
        (7, "永久課號"),
        (8, "學分數"),
    ]
    reasons = {(p.row, p.column): p.reason for p in report.problems}
    assert reasons[(2, "學號")] == "no student B999999999 in ntut"
    assert reasons[(5, "學號")] == "no student 110550001 in ntut"
    assert reasons[(7, "永久課號")] == "the same course in the same term as row 6"
    assert reasons[(3, "學分數")] == "must be ≥ 0"  # the engine's reason (its NonNegative credits)
    assert "is not a grade on ntut's scale: expected a score 0–100" in reasons[(4, "成績")]
    assert reasons[(4, "課名")] == "required: the cell is empty"
    assert snapshot() == before


def test_header_problems_name_the_header_row_and_column(world: World) -> None:
    rows = [["學號", "學期", "永久課號", "學分數", "教室"], ["B112340001", "112-2", "3401004", "3", "A101"]]
    report = run(world, "courses", csv_bytes(rows))
    assert problems(report) == [(1, "教室"), (1, "課名")]
    assert "unknown column" in report.problems[0].reason
    assert report.problems[1].reason == "required column is missing"


def test_headers_are_matched_in_english_and_chinese_whatever_the_case_and_spacing(world: World) -> None:
    rows = [
        ["Student ID", "TERM", "course_code", " Title ", "credits", "Offered By", "Category", "grade", "姓名", "Tags"],
        ["B112340001", "112-2", "3401004", "工程靜力學", "3", "CE", "professional-elective", "78", "王小明", "a; b"],
    ]
    report = run(world, "courses", csv_bytes(rows))
    assert report.ok, report.problems
    course = CourseRecord.objects.get(code="3401004")
    assert (course.category, course.tags) == ("professional-elective", ["a", "b"])


def test_the_kind_maps_to_a_category_and_an_explicit_category_overrides_it(world: World) -> None:
    header = [*SIS_HEADER, "category", "遠距"]
    rows = [
        header,
        ["B112340001", "112-2", "A1", "甲", "2", "", "必", "80", "", ""],
        ["B112340001", "112-2", "A2", "乙", "2", "", "選", "80", "", ""],
        ["B112340001", "112-2", "A3", "丙", "2", "", "通", "80", "", "Y"],
        ["B112340001", "112-2", "A4", "丁", "2", "", "共同必修", "80", "", ""],
        ["B112340001", "112-2", "A5", "戊", "2", "", "共同選修", "80", "", ""],
        ["B112340001", "112-2", "A6", "己", "2", "", "△", "80", "gen-ed", ""],
        ["B112340001", "112-2", "A7", "庚", "2", "", "", "80", "", ""],
    ]
    assert run(world, "courses", csv_bytes(rows)).ok
    categories = dict(CourseRecord.objects.filter(code__startswith="A").values_list("code", "category"))
    assert categories == {
        "A1": "professional-required",
        "A2": "professional-elective",
        "A3": "gen-ed",
        "A4": "common-required",
        "A5": "free",
        "A6": "gen-ed",
        "A7": "",
    }
    assert CourseRecord.objects.get(code="A3").delivery == "remote"
    assert CourseRecord.objects.get(code="A2").delivery == "in-person"


def test_sis_grade_words_withdrawn_and_transferred(world: World) -> None:
    rows = [
        SIS_HEADER,
        ["B112340001", "112-2", "B1", "甲", "2", "", "選", "停修"],
        ["B112340001", "112-2", "B2", "乙", "2", "", "選", "抵免"],
        ["B112340001", "112-2", "B3", "丙", "2", "", "選", "通過"],
        ["B112340001", "112-2", "B4", "丁", "2", "", "選", "85.0"],
    ]
    assert run(world, "courses", csv_bytes(rows)).ok
    records = {c.code: (c.grade, c.transfer) for c in CourseRecord.objects.filter(code__startswith="B")}
    assert records == {"B1": ("W", False), "B2": ("P", True), "B3": ("通過", False), "B4": ("85", False)}


@pytest.mark.parametrize(
    ("text", "year", "term"),
    [
        ("112-1", "", "112-1"),
        ("112-S", "", "112-S"),
        ("112-s", "", "112-S"),
        ("1122", "", "112-2"),
        ("112S", "", "112-S"),
        ("112上", "", "112-1"),
        ("112下", "", "112-2"),
        ("112暑", "", "112-S"),
        ("112學年度第2學期", "", "112-2"),
        ("99-1", "", "99-1"),
        ("１１２－１", "", "112-1"),
        ("1", "112", "112-1"),
        ("上", "112", "112-1"),
        ("暑", "112", "112-S"),
        ("112-2", "112", "112-2"),
    ],
)
def test_term_forms(text: str, year: str, term: str) -> None:
    assert parse_term(text, year) == term


@pytest.mark.parametrize(("text", "year"), [("112-3", ""), ("2023-1", ""), ("112", ""), ("", ""), ("3", "112")])
def test_term_forms_refused(text: str, year: str) -> None:
    with pytest.raises(ValueError):
        parse_term(text, year)


def test_a_separate_academic_year_column(world: World) -> None:
    rows = [
        ["學號", "學年", "學期", "永久課號", "課名", "學分數", "成績"],
        ["B112340001", "112", "2", "3401004", "工程靜力學", "3", "78"],
    ]
    assert run(world, "courses", csv_bytes(rows)).ok
    assert CourseRecord.objects.get(code="3401004").term == "112-2"


def test_a_title_line_above_the_header_is_skipped_and_rows_keep_their_numbers(world: World) -> None:
    rows = [["國立臺北科技大學 112學年度第2學期 成績"], SIS_HEADER, ["B112340001", "112-2", "X", "甲", "x", "", "", ""]]
    report = run(world, "courses", csv_bytes(rows))
    assert problems(report) == [(3, "學分數")]


# ---------------------------------------------------------------------------------------------- formats


def test_xlsx_import_with_numbers_and_dates_in_cells(world: World) -> None:
    rows: list[list[Any]] = [SIS_HEADER, ["B112340001", "112-2", 3401004, "工程靜力學", 3, "CE", "必", 78]]
    rows.append(["B112340001", "112-2", "1410039", "論語", 2.0, "通識中心", "通", 91.5])
    report = run(world, "courses", xlsx_file(rows), filename="grades.xlsx")
    assert report.ok, report.problems
    assert report.created == 2
    assert CourseRecord.objects.get(code="3401004").grade == "78"
    assert CourseRecord.objects.get(code="1410039").grade == "91.5"
    assert run(world, "courses", xlsx_file(rows), filename="grades.xlsx").unchanged == 2


def test_xlsx_is_recognised_by_content_whatever_the_name(world: World) -> None:
    content = xlsx_file([SIS_HEADER, GOOD_COURSES[0]])
    assert run(world, "courses", content, filename="upload.bin").created == 1


def test_an_xlsx_problem_names_the_sheet_row(world: World) -> None:
    rows: list[list[Any]] = [SIS_HEADER, GOOD_COURSES[0], [], ["B112340001", "112-2", "Y", "乙", "", "", "", ""]]
    report = run(world, "courses", xlsx_file(rows), filename="grades.xlsx")
    assert problems(report) == [(4, "學分數")]  # the blank row 3 is skipped but still counted


def test_big5_csv(world: World) -> None:
    content = csv_bytes([SIS_HEADER, *GOOD_COURSES], encoding="cp950")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = run(world, "courses", content)
    assert report.ok, report.problems
    assert CourseRecord.objects.get(code="1410039").title == "論語"


def test_utf8_without_bom_and_tab_separated(world: World) -> None:
    report = run(world, "courses", csv_bytes([SIS_HEADER, *GOOD_COURSES], encoding="utf-8", delimiter="\t"))
    assert report.ok, report.problems
    assert report.created == 3


def test_unreadable_files_are_refused_as_a_whole(world: World) -> None:
    assert problems(run(world, "courses", b"")) == [(0, "")]
    assert "no data rows" in run(world, "courses", csv_bytes([SIS_HEADER])).problems[0].reason
    assert "XLSX" in run(world, "courses", b"PK\x03\x04broken", filename="x.xlsx").problems[0].reason
    assert ".xls" in run(world, "courses", b"\xd0\xcf\x11\xe0", filename="old.xls").problems[0].reason


def test_a_dry_run_writes_nothing_but_counts_what_it_would_do(world: World) -> None:
    rows = [SIS_HEADER, *GOOD_COURSES, ["B112340001", "112-1", "1401032", "微積分", "3", "MA", "必", "59"]]
    before = snapshot()
    report = run(world, "courses", csv_bytes(rows), apply=False)
    assert report.ok
    assert not report.applied
    assert (report.created, report.updated, report.unchanged) == (3, 1, 0)
    assert snapshot() == before


def test_report_as_dict_is_json_ready(world: World) -> None:
    import json

    report = run(world, "courses", csv_bytes([SIS_HEADER, ["B112340001", "112-2", "X", "甲", "x", "", "", ""]]))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["ok"] is False
    assert data["problems"] == [{"row": 2, "column": "學分數", "reason": "'x' is not a number"}]


# ---------------------------------------------------------------------------------------------- other kinds


def test_students_import_creates_and_updates_and_resolves_departments_and_classes(world: World) -> None:
    header = ["學號", "姓名", "系所", "班級", "學制", "學位", "入學學期", "入學年級"]
    rows = [
        header,
        ["B113340001", "陳一", "340", "CE-113", "日間部四技", "學士", "113-1", "1"],
        ["B113340002", "林二", "土木系", "CE-113", "", "", "113上", ""],
        ["B112340001", "王改名", "340", "CE-112", "day-bachelor", "bachelor", "112-1", "1"],
    ]
    report = run(world, "students", csv_bytes(rows))
    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
    new = Student.objects.get(student_id="B113340002")
    assert (new.department.code, new.school_class.code, new.admission_term, new.division) == (  # type: ignore[union-attr]
        "340",
        "CE-113",
        "113-1",
        "day-bachelor",
    )
    assert Student.objects.get(pk=world.own.pk).name == "王改名"
    again = run(world, "students", csv_bytes(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_students_import_refuses_unknown_departments_and_degrees(world: World) -> None:
    header = ["學號", "姓名", "系所", "學位", "入學學期"]
    rows = [header, ["B113340001", "陳一", "999", "學士", "113-1"], ["B113340002", "林二", "340", "大師", "113-1"]]
    report = run(world, "students", csv_bytes(rows))
    assert problems(report) == [(2, "系所"), (3, "學位")]
    assert not Student.objects.filter(student_id__startswith="B1133").exists()


def test_activities_and_certificates_import(world: World) -> None:
    activities = [
        ["學號", "項目", "時數", "學期", "活動名稱", "單位", "日期"],
        ["B112340001", "service", "8", "113-1", "淨灘志工", "學務處", "2024/10/05"],
        ["B112340001", "service", "4", "113-1", "淨灘志工", "學務處", "113/11/02"],
        ["B112590001", "lecture", "2.5", "113-1", "講座", "", ""],
    ]
    report = run(world, "activities", csv_bytes(activities))
    assert report.ok, report.problems
    assert report.created == 3
    dates = sorted(str(a.date) for a in Activity.objects.filter(title="淨灘志工"))
    assert dates == ["2024-10-05", "2024-11-02"]
    assert run(world, "activities", csv_bytes(activities)).unchanged == 3
    certificates = [
        ["學號", "證照代碼", "證照名稱", "學期", "級別"],
        ["B112340001", "TQC-OA", "TQC 電腦應用", "113-2", "乙級"],
    ]
    report = run(world, "certificates", csv_bytes(certificates))
    assert (report.ok, report.created) == (True, 1)
    assert Certificate.objects.get(code="TQC-OA").level == "乙級"


# ---------------------------------------------------------------------------------------------- permissions


def _post(world: World, role: str, kind: str, content: bytes, institution: str = "ntut") -> Any:
    upload = SimpleUploadedFile(f"{kind}.csv", content)
    return world.client(role).post("/imports/", {"institution": institution, "kind": kind, "file": upload})


@pytest.mark.parametrize("role", ["student", "mentor", "department-head", "program-contact", "unit-staff"])
def test_only_the_registrar_imports_courses(world: World, role: str) -> None:
    before = snapshot()
    assert _post(world, role, "courses", csv_bytes([SIS_HEADER, *GOOD_COURSES])).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["student", "mentor", "unit-staff"])
def test_only_the_registrar_imports_students(world: World, role: str) -> None:
    content = csv_bytes([["學號", "系所", "入學學期"], ["B113340001", "340", "113-1"]])
    assert _post(world, role, "students", content).status_code == 403


def test_a_registrar_imports_only_into_their_institution(world: World) -> None:
    assert _post(world, "foreign-registrar", "courses", csv_bytes([SIS_HEADER, *GOOD_COURSES])).status_code == 403


@pytest.mark.parametrize("role", ["student", "mentor", "department-officer"])
def test_people_who_may_not_import_do_not_get_the_page(world: World, role: str) -> None:
    assert world.client(role).get("/imports/").status_code == 403


def test_unit_staff_import_nothing_their_unit_does_not_own(world: World) -> None:
    """NTUT's policy names no owner of any item: activities and certificates are the registrar's alone there (the
    owners' own imports: tests/web/test_import_permissions.py)."""
    rows = [
        ["學號", "項目", "時數", "學期", "活動名稱", "單位"],
        ["B112340001", "lecture", "2", "113-1", "教學講座", "教務處"],
    ]
    before = snapshot()
    report = run(world, "activities", csv_bytes(rows), role="unit-staff")
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (2, "項目", "only the registrar of ntut registers hours of lecture")
    ]
    certificates = [["學號", "證照代碼", "證照名稱", "學期"], ["B112340001", "TOEIC-750", "多益 750", "113-1"]]
    report = run(world, "certificates", csv_bytes(certificates), role="unit-staff")
    assert problems(report) == [(2, "證照代碼")]
    assert snapshot() == before
    page = world.client("unit-staff").get("/imports/").content.decode()
    assert 'value="ntut"' in page
    assert 'value="activities"' in page
    assert 'value="courses"' not in page  # only what they may import is offered
    assert 'data-kind="students"' not in page


# ---------------------------------------------------------------------------------------------- exports


def _read_xlsx(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_then_reimport_changes_nothing(world: World) -> None:
    run(
        world,
        "courses",
        csv_bytes([SIS_HEADER, *GOOD_COURSES, ["B112340001", "112-2", "T1", "抵", "2", "", "", "抵免"]]),
    )
    activities = [["學號", "項目", "時數", "學期", "活動名稱", "單位", "日期", "通過"]]
    activities.append(["B112340001", "service", "8.5", "113-1", "淨灘志工", "學務處", "2024-10-05", "N"])
    activities.append(["B112590001", "lecture", "2", "113-1", "講座", "", "", ""])
    assert run(world, "activities", csv_bytes(activities)).ok
    certificates = [
        ["學號", "證照代碼", "證照名稱", "學期", "級別", "單位"],
        ["B112340001", "TQC-OA", "TQC", "113-2", "乙級", ""],
    ]
    assert run(world, "certificates", csv_bytes(certificates)).ok
    CourseRecord.objects.filter(code="3401004").update(tags=["gen-ed:自然", "summer"], delivery="remote")
    client = world.client("registrar")
    for kind, model in (
        ("students", Student),
        ("courses", CourseRecord),
        ("activities", Activity),
        ("certificates", Certificate),
    ):
        response = client.get(f"/imports/export/{kind}.xlsx?institution=ntut")
        assert response.status_code == 200
        rows = _read_xlsx(response.content)
        assert rows[0] == export_headers(kind)  # type: ignore[arg-type]
        expected = model.objects.filter(
            **({"institution": world.institution} if model is Student else {"student__institution": world.institution})
        ).count()
        assert len(rows) - 1 == expected
        before = snapshot()
        report = run(world, kind, response.content, filename=f"{kind}.xlsx")
        assert report.ok, (kind, report.problems)
        assert (report.created, report.updated, report.unchanged) == (0, 0, expected), kind
        assert snapshot() == before


def test_the_courses_export_has_the_sis_columns_first(world: World) -> None:
    rows = _read_xlsx(records_export(kind="courses", user=world.users["registrar"], institution=world.institution))
    assert rows[0][:8] == SIS_HEADER
    assert ["B112340001", "112-1", "1401032", "微積分", 3, None, "必修", "85"] in [row[:8] for row in rows]


def test_exports_hold_only_what_the_user_may_see(world: World) -> None:
    rows = [["學號", "項目", "時數", "學期", "活動名稱", "單位"]]
    rows += [
        ["B112340001", "lecture", "2", "113-1", "教學講座", "教務處"],
        ["B112590001", "service", "8", "113-1", "淨灘", "學務處"],
    ]
    assert run(world, "activities", csv_bytes(rows)).ok
    student = _read_xlsx(world.client("student").get("/imports/export/courses.xlsx").content)
    assert {row[0] for row in student[1:]} == {"B112340001"}
    unit = _read_xlsx(world.client("unit-staff").get("/imports/export/activities.xlsx").content)
    assert [row[4] for row in unit[1:]] == ["教學講座"]
    assert len(_read_xlsx(world.client("unit-staff").get("/imports/export/students.xlsx").content)) == 1
    assert world.client("registrar").get("/imports/export/grades.xlsx").status_code == 404


# ---------------------------------------------------------------------------------------------- re-audit


def test_an_import_re_audits_the_changed_students_on_commit(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    student_audit(world.own)
    before_own = AuditResult.objects.get(student=world.own).document
    content = csv_bytes([SIS_HEADER, GOOD_COURSES[0]])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = run(world, "courses", content)
    assert report.created == 1
    assert callbacks
    after = AuditResult.objects.get(student=world.own).document
    assert after != before_own
    assert "3401004@112-2" in str(after)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert run(world, "courses", content).unchanged == 1
    assert callbacks == []  # nothing changed: nothing to re-audit


def test_a_refused_import_schedules_no_audit(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    rows = [SIS_HEADER, GOOD_COURSES[0], ["B112340001", "112-2", "X", "甲", "x", "", "", ""]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert not run(world, "courses", csv_bytes(rows)).ok
    assert callbacks == []


# ---------------------------------------------------------------------------------------------- documentation


def test_docs_import_md_lists_every_accepted_header_and_value() -> None:
    from pathlib import Path

    from menkan.web.records.imports import CATEGORY_OF_KIND, DEGREES, DIVISIONS, IGNORED, LAYOUTS

    text = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    words = [header for columns in LAYOUTS.values() for column in columns for header in column.headers]
    words += [header for headers in IGNORED.values() for header in headers]
    words += [*CATEGORY_OF_KIND, *DIVISIONS, *DIVISIONS.values(), *DEGREES]
    missing = [word for word in words if word not in text]
    assert missing == []


def test_utf16_tab_separated_text_as_excel_saves_it(world: World) -> None:
    content = csv_bytes([SIS_HEADER, *GOOD_COURSES], encoding="utf-16", delimiter="\t")
    assert run(world, "courses", content).created == 3


# ---------------------------------------------------------------------------------------------- the user's language


def _page_reasons(world: World, filename: str, content: bytes, language: str) -> str:
    upload = SimpleUploadedFile(filename, content)
    response = world.client("registrar").post(
        "/imports/", {"institution": "ntut", "kind": "courses", "file": upload}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="import-problems"')
    return html[start : html.index("</table>", start)]


def test_the_import_page_gives_its_reasons_in_the_users_language(world: World) -> None:
    bad_term = csv_bytes([SIS_HEADER, ["B112340001", "114-3", "3401004", "工程靜力學", "3", "CE", "必", "78"]])
    not_xlsx = b"PK\x03\x04 this is no workbook"
    zh_term = _page_reasons(world, "courses.csv", bad_term, "zh-hant")
    assert "「114-3」不是學期（請寫民國學年與學期：112-1、112-2、112-S" in zh_term
    assert "is not a term" not in zh_term and "expected" not in zh_term
    zh_file = _page_reasons(world, "courses.xlsx", not_xlsx, "zh-hant")
    assert "無法讀取的 XLSX 檔：請用 Excel 重新另存為 .xlsx，或存成 CSV" in zh_file
    assert "readable" not in zh_file
    assert "is not a term (expected ROC year and semester" in _page_reasons(world, "courses.csv", bad_term, "en")
    assert "not a readable XLSX file" in _page_reasons(world, "courses.xlsx", not_xlsx, "en")


ENGLISH = re.compile(r"\b(?:is|not|the|must|required|same|row|only|unit|expected|of|a|an)\b")


def test_every_reason_of_a_refused_file_is_in_zh_tw(world: World) -> None:
    """No English is left in a zh-TW report: headers, cells, duplicates and permissions alike."""
    headers = [["學號", "項目", "時數", "學期", "顏色", "term"], ["B112340001", "service", "1", "113-1", "紅", "113-1"]]
    rows = [
        ["學號", "項目", "時數", "學期", "活動名稱", "單位", "日期", "通過"],
        ["B999999999", "service", "x", "113-3", "", "學務處", "2024-02-30", "maybe"],
        ["B112340001", "service", "-1", "113-1", "淨灘", "學務處", "20241005", "Y"],
        ["B112340001", "service", "1.25", "113-1", "淨灘", "學務處", "2024/13/05", "Y"],
    ]
    with translation.override("zh-hant"):
        reasons = [p.reason for p in run(world, "activities", csv_bytes(headers), role="unit-staff").problems]
        reasons += [p.reason for p in run(world, "activities", csv_bytes(rows), role="unit-staff").problems]
        reasons += [p.reason for p in run(world, "courses", b"PK\x03\x04", filename="c.xlsx").problems]
        reasons += [p.reason for p in run(world, "courses", "學號\r\n".encode("utf-16"), filename="c.csv").problems]
    assert len(reasons) >= 12, reasons
    assert not [reason for reason in reasons if ENGLISH.search(reason)], reasons
