"""Renderers of a policy impact report: a text listing, JSON, CSV (one line per changed requirement) and XLSX."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from menkan.foresight.impact import ImpactReport, Outcome, as_number

FORMATS = ("text", "json", "csv", "xlsx")
CSV_COLUMNS = (
    "student_id",
    "department",
    "as_of",
    "old_status",
    "new_status",
    "requirement",
    "unit",
    "old_requirement_status",
    "old_earned",
    "old_required",
    "new_requirement_status",
    "new_earned",
    "new_required",
)


def render_text(report: ImpactReport) -> str:
    """Totals, then each changed student with every changed requirement old → new, then the counts."""
    term = report.as_of or "each student's latest term"
    lines = [
        f"{report.institution}: policy impact as of {term}",
        f"audited {report.audited} students, {report.changed_count} changed, {report.failed} not audited",
    ]
    for impact in report.changed:
        lines += ["", f"{impact.student_id}  {impact.department}  {impact.old_status} → {impact.new_status}"]
        lines += [f"  {change.id}  {change.old.text()} → {change.new.text()}" for change in impact.changes]
    lines += ["", "by department (audited / changed)"]
    lines += [f"  {name}  {t.audited} / {t.changed}" for name, t in sorted(report.by_department.items())]
    lines += ["", "by overall status (old → new: students)"]
    lines += [f"  {old} → {new}: {count}" for (old, new), count in sorted(report.transitions.items())]
    if report.failures:
        lines += ["", "not audited"]
        lines += [f"  {f.student_id} ({f.side} policies): {f.reason}" for f in report.failures]
        if report.failed > len(report.failures):
            lines.append(f"  … and {report.failed - len(report.failures)} more")
    return "\n".join(lines) + "\n"


def render_json(report: ImpactReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def _amounts(outcome: Outcome) -> list[Any]:
    return [outcome.status, as_number(outcome.earned), as_number(outcome.required)]


def rows(report: ImpactReport) -> Iterator[list[Any]]:
    """CSV_COLUMNS rows: one per changed requirement of each changed student (earned/required as numbers)."""
    for impact in report.changed:
        head = [impact.student_id, impact.department, str(impact.as_of), impact.old_status, impact.new_status]
        if not impact.changes:
            yield [*head, "", "", "", None, None, "", None, None]
        for change in impact.changes:
            unit = change.new.unit or change.old.unit
            yield [*head, change.id, unit, *_amounts(change.old), *_amounts(change.new)]


def render_csv(report: ImpactReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(["" if value is None else value for value in row] for row in rows(report))
    return buffer.getvalue()


def render_xlsx(report: ImpactReport) -> bytes:
    """A workbook: the changed requirements (the CSV's rows), the counts by department and by status, totals."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "changes"
    sheet.append(list(CSV_COLUMNS))
    for row in rows(report):
        sheet.append(row)
    tables: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "departments",
            ["department", "audited", "changed"],
            [[name, t.audited, t.changed] for name, t in sorted(report.by_department.items())],
        ),
        (
            "transitions",
            ["old_status", "new_status", "students"],
            [[old, new, count] for (old, new), count in sorted(report.transitions.items())],
        ),
        (
            "totals",
            ["institution", "as_of", "audited", "changed", "failed"],
            [[report.institution, report.as_of, report.audited, report.changed_count, report.failed]],
        ),
    ]
    for title, header, values in tables:
        table = workbook.create_sheet(title)
        table.append(header)
        for value in values:
            table.append(value)
    for table in workbook.worksheets:
        for cell in table[1]:
            cell.font = bold
    buffer = io.BytesIO()
    workbook.save(buffer)
    return bytes(buffer.getvalue())


def render(report: ImpactReport, fmt: str) -> str | bytes:
    """The report in one of FORMATS: text, json and csv as text, xlsx as bytes."""
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
