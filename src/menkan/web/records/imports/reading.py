"""Reading a CSV / XLSX file into its header and data rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from menkan.web.records.imports.layouts import STUDENT_ID_COLUMN, header_key

MAX_IMPORT_BYTES = 20 * 1024 * 1024


HEADER_SEARCH_ROWS = 10  # a title line or two above the header (as SIS exports have) is skipped


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


@dataclass
class Table:
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)


def _is_xlsx(filename: str, content: bytes) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04"


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Big5 (cp950)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp950", "big5hkscs"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("cannot read the file: the text is neither UTF-8 nor Big5; save it as UTF-8 CSV or as XLSX")
    )


def _read_csv(content: bytes) -> list[tuple[int, list[Any]]]:
    text = _decode(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error:
        raise ImportFileError(
            _("not a readable CSV file: check its quotes and line breaks, or save it as XLSX")
        ) from None


def _read_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFileError(_("not a readable XLSX file: save it again from Excel as .xlsx, or as CSV")) from None
    try:
        sheet = workbook.worksheets[0]
        return [(number, list(row)) for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


def _blank(cells: Sequence[Any]) -> bool:
    return all(cell_text(cell) == "" for cell in cells)


def table_read(filename: str, content: bytes) -> Table:
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            _("the file is larger than %(mb)d MB; split it") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if filename.lower().endswith(".xls") and not content.startswith(b"PK"):
        raise ImportFileError(_("old Excel .xls files are not read: save the sheet as .xlsx or as CSV"))
    raw = _read_xlsx(content) if _is_xlsx(filename, content) else _read_csv(content)
    rows = [(number, cells) for number, cells in raw if not _blank(cells)]
    if not rows:
        raise ImportFileError(_("the file is empty"))
    # The header is the first row naming the student ID column (a title line above it is skipped).
    student_headers = {header_key(h) for h in STUDENT_ID_COLUMN.headers}
    header_at = 0
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(header_key(cell) in student_headers for cell in cells):
            header_at = index
            break
    header_row, header_cells = rows[header_at]
    headers = [cell_text(cell) for cell in header_cells]
    return Table(header_row, headers, rows[header_at + 1 :])


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious `.0`, dates as ISO dates, Excel's ="0123" guard removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\u3000", " ").strip()
    if len(text) >= 3 and text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text
