"""Renderers of a pass-rate report: text tables, JSON, CSV (long form) and an XLSX workbook."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from menkan.reports.counting import PassRateReport, Tally

FORMATS = ("text", "json", "csv", "xlsx")

_LABELS = {
    "zh-TW": {
        "item": "項目",
        "seniors": "大四學生數",
        "passed": "通過人數",
        "not_passed": "未通過人數",
        "rate": "通過率",
        "college": "學院",
        "department": "學系",
        "as_of": "學期",
        "senior": "大四：第{year}學年",
        "all_line": "{label}人數 {passed} 位（{rate}），大四學生 {seniors} 位",
        "by_college": "各學院",
        "by_department": "各學系",
        "none": "（無大四學生）",
    },
    "en": {
        "item": "Item",
        "seniors": "Seniors",
        "passed": "Passed",
        "not_passed": "Not passed",
        "rate": "Rate",
        "college": "College",
        "department": "Department",
        "as_of": "term",
        "senior": "seniors: study year {year}",
        "all_line": "{label}: {passed} ({rate}) of {seniors} seniors",
        "by_college": "By college",
        "by_department": "By department",
        "none": "(no seniors)",
    },
}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def _table(groups: list[tuple[str, int]] | None, header: list[str], rows: list[list[str]], left: int) -> str:
    """Columns aligned by display width; the first `left` columns left-aligned, the others (numbers) right-aligned.

    `groups`: an optional line above the header, each (title, number of columns it spans)."""
    gap = "  "
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    if groups is not None:
        cells, start = [], 0
        for title, span in groups:
            span_width = sum(widths[start : start + span]) + len(gap) * (span - 1)
            if _width(title) > span_width:  # widen the group's last column to fit its title
                widths[start + span - 1] += _width(title) - span_width
                span_width = _width(title)
            cells.append(_pad(title, span_width, right=False))
            start += span
        lines.append(gap.join(cells).rstrip())
    lines.append(gap.join(_pad(cell, widths[i], right=False) for i, cell in enumerate(header)).rstrip())
    for row in rows:
        lines.append(gap.join(_pad(cell, widths[i], right=i >= left) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def render_text(report: PassRateReport, lang: str = "zh-TW") -> str:
    """The document's tables as text: items over the university, then by college and by department."""
    words = _LABELS.get(lang, _LABELS["zh-TW"])
    key = "zh-TW" if lang not in ("zh-TW", "en") else lang
    heading = (
        f"{report.institution_name[key]}  {report.title[key]}  {report.as_of}"
        f"  ({words['senior'].format(year=report.senior_year)})"
    )
    out = [heading, ""]
    uni = report.university
    rows = [
        [item.label[key], str(t.seniors), str(t.passed), str(t.not_passed), t.rate_text]
        for item in report.items
        for t in [uni.items[item.id]]
    ]
    out.append(
        _table(None, [words["item"], words["seniors"], words["passed"], words["not_passed"], words["rate"]], rows, 1)
    )
    out.append("")
    out.append(
        words["all_line"].format(
            label=report.all_label[key], passed=uni.all.passed, rate=uni.all.rate_text, seniors=uni.all.seniors
        )
    )
    for title, scope_rows, with_college in (
        (words["by_college"], report.colleges, False),
        (words["by_department"], report.departments, True),
    ):
        out += ["", title]
        if not scope_rows:
            out.append(words["none"])
            continue
        college_names = {c.id: c.name[key] for c in report.colleges}
        lead = [words["college"], words["department"]] if with_college else [words["college"]]
        header = [*lead, words["seniors"]]
        groups: list[tuple[str, int]] = [("", len(lead) + 1)]
        for item in report.items:
            header += [words["passed"], words["rate"]]
            groups.append((item.short[key], 2))
        header += [words["passed"], words["rate"]]
        groups.append((report.all_label[key], 2))
        table_rows = []
        for row in scope_rows:
            names = (
                [college_names.get(row.college or "", row.college or "-"), row.name[key]]
                if with_college
                else [row.name[key]]
            )
            cells = [*names, str(row.seniors)]
            for item in report.items:
                tally = row.items[item.id]
                cells += [str(tally.passed), tally.rate_text]
            cells += [str(row.all.passed), row.all.rate_text]
            table_rows.append(cells)
        out.append(_table(groups, header, table_rows, len(lead)))
    return "\n".join(out) + "\n"


def render_json(report: PassRateReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = (
    "level",
    "college",
    "id",
    "name_zh",
    "name_en",
    "item",
    "item_zh",
    "item_en",
    "seniors",
    "passed",
    "not_passed",
    "rate",
)


def _long_rows(report: PassRateReport) -> Iterator[list[Any]]:
    """One row per scope and item (the item `all` last): the long form shared by CSV and the XLSX data sheet."""
    for row in report.rows():
        entries = [(item.id, item.label, row.items[item.id]) for item in report.items]
        entries.append(("all", report.all_label, row.all))
        for item_id, label, tally in entries:
            yield [
                row.level,
                row.college or "",
                row.id,
                row.name["zh-TW"],
                row.name["en"],
                item_id,
                label["zh-TW"],
                label["en"],
                tally.seniors,
                tally.passed,
                tally.not_passed,
                tally.rate_text,
            ]


def render_csv(report: PassRateReport) -> str:
    """Long form: one line per scope (university, college, department) and item; rates as "87.77%"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_long_rows(report))
    return buffer.getvalue()


def render_xlsx(report: PassRateReport, lang: str = "zh-TW") -> bytes:
    """A workbook: the university sheet (items), by college, by department (the document's tables), and the
    long-form data. Rates are numbers formatted as percentages with two decimals (0.8777 shows 87.77%)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    words = _LABELS.get(lang, _LABELS["zh-TW"])
    key = "zh-TW" if lang not in ("zh-TW", "en") else lang
    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "university"
    sheet.append([f"{report.institution_name[key]} {report.title[key]} {report.as_of}"])
    sheet.append([words["item"], words["seniors"], words["passed"], words["not_passed"], words["rate"]])
    uni = report.university
    for item in report.items:
        tally = uni.items[item.id]
        sheet.append([item.label[key], tally.seniors, tally.passed, tally.not_passed, _fraction(tally)])
    sheet.append([report.all_label[key], uni.all.seniors, uni.all.passed, uni.all.not_passed, _fraction(uni.all)])
    for cell in sheet[2]:
        cell.font = bold
    _percent_column(sheet, 5, first_row=3)

    college_names = {c.id: c.name[key] for c in report.colleges}
    for title, scope_rows, with_college in (
        ("colleges", report.colleges, False),
        ("departments", report.departments, True),
    ):
        sheet = workbook.create_sheet(title)
        lead = [words["college"], words["department"]] if with_college else [words["college"]]
        first = [*lead, words["seniors"]]
        second = ["" for _ in first]
        for label in [item.short[key] for item in report.items] + [report.all_label[key]]:
            first += [label, ""]
            second += [words["passed"], words["rate"]]
        sheet.append(first)
        sheet.append(second)
        for column in range(len(lead) + 2, len(first) + 1, 2):
            sheet.merge_cells(start_row=1, start_column=column, end_row=1, end_column=column + 1)
            sheet.cell(row=1, column=column).alignment = Alignment(horizontal="center")
        for cells in (sheet[1], sheet[2]):
            for cell in cells:
                cell.font = bold
        for row in scope_rows:
            names = (
                [college_names.get(row.college or "", row.college or ""), row.name[key]]
                if with_college
                else [row.name[key]]
            )
            values: list[Any] = [*names, row.seniors]
            for tally in [row.items[item.id] for item in report.items] + [row.all]:
                values += [tally.passed, _fraction(tally)]
            sheet.append(values)
        for column in range(len(lead) + 3, len(first) + 1, 2):
            _percent_column(sheet, column, first_row=3)

    sheet = workbook.create_sheet("data")
    sheet.append(list(CSV_COLUMNS))
    for values in _long_rows(report):
        tally_rate = values[-1]
        values[-1] = None if tally_rate == "-" else float(Decimal(tally_rate.rstrip("%")) / 100)
        sheet.append(values)
    _percent_column(sheet, len(CSV_COLUMNS), first_row=2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fraction(tally: Tally) -> float | None:
    rate = tally.rate
    return None if rate is None else float(rate / 100)


def _percent_column(sheet: Any, column: int, first_row: int) -> None:
    for row in range(first_row, sheet.max_row + 1):
        sheet.cell(row=row, column=column).number_format = "0.00%"


def render(report: PassRateReport, fmt: str, lang: str = "zh-TW") -> str | bytes:
    """The report in one of FORMATS: text, json and csv as text, xlsx as bytes."""
    if fmt == "text":
        return render_text(report, lang)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "xlsx":
        return render_xlsx(report, lang)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
