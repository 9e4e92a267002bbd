"""XLSX exports: text that looks like a formula is written as text."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from menkan.web.exports import xlsx_bytes


def test_text_starting_with_equals_is_kept_as_text_not_a_formula() -> None:
    content = xlsx_bytes(["name", "note"], [['=HYPERLINK("http://x","y")', "=1+1"], ["王小明", 3]])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [cell.data_type for cell in sheet[2]] == ["s", "s"]
    assert sheet["A2"].value == '=HYPERLINK("http://x","y")'
    assert sheet["B3"].value == 3
