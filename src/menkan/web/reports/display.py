"""Page-ready forms of a pass-rate report: the document's tables as rows of cells, and bar charts as SVG geometry
(rendered by the template, no JavaScript)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from menkan.reports import PassRateReport, Row, Tally

Texts = dict[str, str]


@dataclass(frozen=True, slots=True)
class Cell:
    """One item's figures in a row of a table."""

    label: Texts
    tally: Tally


@dataclass(frozen=True, slots=True)
class TableRow:
    college: Texts | None
    name: Texts
    seniors: int
    cells: tuple[Cell, ...]  # the report's items, then "passed all"


@dataclass(frozen=True, slots=True)
class Tables:
    items: tuple[Cell, ...]  # the university: one per item
    all: Cell
    seniors: int
    columns: tuple[Texts, ...]  # short labels of the items, then the "passed all" label
    colleges: tuple[TableRow, ...]
    departments: tuple[TableRow, ...]


def _cells(report: PassRateReport, row: Row) -> tuple[Cell, ...]:
    cells = [Cell(item.short, row.items[item.id]) for item in report.items]
    return (*cells, Cell(report.all_label, row.all))


def report_tables(report: PassRateReport) -> Tables:
    """The tables of the document: items over the university, then by college and by department."""
    college_names = {row.id: row.name for row in report.colleges}
    uni = report.university
    return Tables(
        items=tuple(Cell(item.label, uni.items[item.id]) for item in report.items),
        all=Cell(report.all_label, uni.all),
        seniors=uni.seniors,
        columns=(*(item.short for item in report.items), report.all_label),
        colleges=tuple(TableRow(None, row.name, row.seniors, _cells(report, row)) for row in report.colleges),
        departments=tuple(
            TableRow(
                college_names.get(row.college or "", {"zh-TW": row.college or "-", "en": row.college or "-"}),
                row.name,
                row.seniors,
                _cells(report, row),
            )
            for row in report.departments
        ),
    )


# --- bar charts ---------------------------------------------------------------------------------------------------

BAR_AREA = 320  # 100 %
RATE_WIDTH = 130  # the rate and counts, right of the bars
ROW_HEIGHT = 22
BAR_HEIGHT = 15
TOP = 20  # room for the scale
UNIT = 6.5  # px per display-width unit at 12 px (a CJK character is two units)
MAX_LABEL_UNITS = 44  # longer names are shortened on the chart (the bar's title keeps the whole name)


def _units(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shortened(text: str) -> str:
    if _units(text) <= MAX_LABEL_UNITS:
        return text
    kept = ""
    for ch in text:
        if _units(kept + ch) > MAX_LABEL_UNITS - 1:
            break
        kept += ch
    return kept.rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Bar:
    name: str  # the whole name (the bar's title and accessible label)
    label: str  # the name as shown left of the bar
    college_level: bool  # a college's bar (its departments follow it, indented)
    rate_text: str
    passed: int
    seniors: int
    x: int  # where the bars start
    y: int
    width: float

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 3

    @property
    def label_x(self) -> int:
        return 4 if self.college_level else 16

    @property
    def rate_x(self) -> float:
        return round(self.x + self.width + 6, 1)


@dataclass(frozen=True, slots=True)
class Chart:
    """One item's pass rates, each college followed by its departments."""

    key: str
    label: Texts
    bars: tuple[Bar, ...]
    width: int
    height: int
    ticks: tuple[tuple[int, float], ...]  # (percent, x) of the scale's lines

    @property
    def scale_bottom(self) -> int:
        return self.height - 4


def report_charts(report: PassRateReport, lang: str = "zh-TW") -> list[Chart]:
    """A bar chart per item (and one for "passed all"): the colleges' rates, each followed by its departments',
    with the names in `lang` ("zh-TW" or "en")."""
    order: list[Row] = []
    for college in report.colleges:
        order.append(college)
        order += [row for row in report.departments if row.college == college.id]
    listed = {id(row) for row in order}
    order += [row for row in report.departments if id(row) not in listed]
    names = [row.name.get(lang) or row.name.get("zh-TW") or row.id for row in order]
    labels = [_shortened(name) for name in names]
    left = 16 + round(max((_units(label) for label in labels), default=8) * UNIT) + 8
    entries: list[tuple[str, Texts, list[Tally]]] = [
        (item.id, item.label, [row.items[item.id] for row in order]) for item in report.items
    ]
    entries.append(("all", report.all_label, [row.all for row in order]))
    ticks = tuple((percent, left + BAR_AREA * percent / 100) for percent in (0, 25, 50, 75, 100))
    charts = []
    for key, label, tallies in entries:
        bars = []
        for index, (row, tally) in enumerate(zip(order, tallies, strict=True)):
            rate = tally.rate
            width = 0.0 if rate is None else round(float(rate) / 100 * BAR_AREA, 1)
            bars.append(
                Bar(
                    names[index],
                    labels[index],
                    row.level == "college",
                    tally.rate_text,
                    tally.passed,
                    tally.seniors,
                    left,
                    TOP + index * ROW_HEIGHT,
                    width,
                )
            )
        height = TOP + len(bars) * ROW_HEIGHT + 4
        charts.append(Chart(key, label, tuple(bars), left + BAR_AREA + RATE_WIDTH, height, ticks))
    return charts
