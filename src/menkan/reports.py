"""Pass-rate reports over audit results, and their renderers (text, CSV, JSON, XLSX).

For each reported item (a requirement id, e.g. `self-learning.resilience`): how many seniors it applies to,
how many passed it (status `met`), how many did not, and the rate, for the whole institution, each college
and each department; plus the seniors who passed every item. The shape is that of NCUT's 114-1 tables
(大四學生數 / 通過人數 / 未通過人數 / 通過率, "87.77%").

Seniors: students in their `senior_year`-th study year (default 4) as of the report's term, by the engine's
one definition (`menkan.engine.study_year`): two enrolled semesters make a year, from `admitted_into_year`
in the admission term; semesters on leave do not advance it (a student admitted 111-1 into year 1 is in year
4 in 114-1 and 114-2, or in 114-2 and 115-1 after one semester of leave; a transfer admitted 113-1 into year 3
is in year 4 in 114-1). Students past that year (extension years, 延修) are not seniors. A senior counts for an
item only when the item applies to them (it is in their audit result); the "all" figure counts the seniors
to whom every item applies, and passed means every item met.

Rates are percentages rounded half-up to two decimals (1320 / 1504 → 87.77%).

Pure: imports only `menkan.engine` (the portal reuses it over stored results; the CLI over a JSONL file).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from menkan.engine import AuditResult, InputError, InputProblem, PolicySet, Student, Term, audit
from menkan.engine import study_year as engine_study_year
from menkan.engine.policy.loader import INSTITUTION_FILE
from menkan.engine.policy.models import Institution

PASS_RATES_SCHEMA = "menkan.pass-rates/1"
FORMATS = ("text", "json", "csv", "xlsx")
_HUNDREDTH = Decimal("0.01")

Level = Literal["university", "college", "department"]


@dataclass(frozen=True, slots=True)
class ReportItem:
    """One reported item: a requirement (by full id) and how the report's columns name it."""

    id: str
    label: dict[str, str]
    short: dict[str, str]


@dataclass(frozen=True, slots=True)
class PassRateSpec:
    """What an institution's pass-rate report shows (institution.yaml `extra.pass_rates`)."""

    items: tuple[ReportItem, ...]
    senior_year: int = 4
    title: dict[str, str] = field(default_factory=lambda: {"zh-TW": "大四學生通過率", "en": "Pass rates of seniors"})
    all_label: dict[str, str] = field(default_factory=lambda: {"zh-TW": "全數通過", "en": "Passed all"})


def pass_rate_spec(policy_set: PolicySet) -> PassRateSpec:
    """The institution's report items from `workflows.pass_rates` (the loader checked their ids); without one,
    every top-level requirement."""
    source = f"{policy_set.id}/{INSTITUTION_FILE}"
    model = policy_set.institution.workflows.pass_rates
    if model is None:
        items = tuple(
            ReportItem(r.id, r.title.as_dict(), r.title.as_dict()) for p in policy_set.policies for r in p.requirements
        )
        if not items:
            raise InputError([InputProblem(source, ("workflows", "pass_rates"), "no requirements to report on")])
        return PassRateSpec(items)
    spec = PassRateSpec(
        tuple(ReportItem(i.id, i.label.as_dict(), (i.short or i.label).as_dict()) for i in model.items),
        model.senior_year,
    )
    if model.title is not None:
        spec = replace(spec, title=model.title.as_dict())
    if model.all is not None:
        spec = replace(spec, all_label=model.all.label.as_dict())
    return spec


@dataclass(frozen=True, slots=True)
class Tally:
    """Seniors an item applies to, and how many of them passed it."""

    seniors: int = 0
    passed: int = 0

    @property
    def not_passed(self) -> int:
        return self.seniors - self.passed

    @property
    def rate(self) -> Decimal | None:
        """The pass rate in percent, rounded half-up to two decimals (None when there are no seniors)."""
        if self.seniors == 0:
            return None
        return (Decimal(self.passed) * 100 / Decimal(self.seniors)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "-" if rate is None else f"{rate}%"

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "seniors": self.seniors,
            "passed": self.passed,
            "not_passed": self.not_passed,
            "rate": None if rate is None else float(rate),
            "rate_text": self.rate_text,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """The figures of one scope: the university, a college or a department."""

    level: Level
    id: str
    name: dict[str, str]
    college: str | None
    seniors: int
    items: dict[str, Tally]
    all: Tally

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"level": self.level, "id": self.id, "name": self.name}
        if self.level == "department":
            data["college"] = self.college
        data["seniors"] = self.seniors
        data["items"] = {item_id: tally.as_dict() for item_id, tally in self.items.items()}
        data["all"] = self.all.as_dict()
        return data


@dataclass(frozen=True, slots=True)
class PassRateReport:
    institution: str
    institution_name: dict[str, str]
    as_of: Term
    senior_year: int
    title: dict[str, str]
    items: tuple[ReportItem, ...]
    all_label: dict[str, str]
    university: Row
    colleges: tuple[Row, ...]
    departments: tuple[Row, ...]

    def rows(self) -> Iterator[Row]:
        yield self.university
        yield from self.colleges
        yield from self.departments

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": PASS_RATES_SCHEMA,
            "institution": self.institution,
            "institution_name": self.institution_name,
            "as_of": str(self.as_of),
            "senior_year": self.senior_year,
            "senior_definition": "study year = admitted_into_year + (enrolled semesters before as_of) // 2; "
            "semesters on leave do not count",
            "title": self.title,
            "items": [{"id": i.id, "label": i.label, "short": i.short} for i in self.items],
            "all_label": self.all_label,
            "university": self.university.as_dict(),
            "colleges": [row.as_dict() for row in self.colleges],
            "departments": [row.as_dict() for row in self.departments],
        }


def study_year(student: Student, as_of: Term) -> int:
    """The student's study year in `as_of`: the engine's one definition (`menkan.engine.study_year`)."""
    return engine_study_year(student, as_of)


class _Counts:
    __slots__ = ("all", "items", "seniors")

    def __init__(self, item_ids: Sequence[str]) -> None:
        self.seniors = 0
        self.items = {item_id: [0, 0] for item_id in item_ids}
        self.all = [0, 0]

    def add(self, statuses: dict[str, bool], complete: bool) -> None:
        self.seniors += 1
        for item_id, passed in statuses.items():
            self.items[item_id][0] += 1
            self.items[item_id][1] += passed
        if complete:
            self.all[0] += 1
            self.all[1] += all(statuses.values())

    def row(self, level: Level, row_id: str, name: dict[str, str], college: str | None) -> Row:
        items = {item_id: Tally(n, p) for item_id, (n, p) in self.items.items()}
        return Row(level, row_id, name, college, self.seniors, items, Tally(self.all[0], self.all[1]))


class PassRateCounter:
    """Counts seniors one audit result at a time (so a large file need not be held in memory)."""

    def __init__(
        self,
        institution: Institution,
        items: Sequence[ReportItem],
        *,
        senior_year: int = 4,
        as_of: Term | None = None,
        title: dict[str, str] | None = None,
        all_label: dict[str, str] | None = None,
    ) -> None:
        if not items:
            raise ValueError("a pass-rate report needs at least one item")
        defaults = PassRateSpec(tuple(items))
        self.institution = institution
        self.items = tuple(items)
        self.senior_year = senior_year
        self.as_of = as_of
        self.title = title or defaults.title
        self.all_label = all_label or defaults.all_label
        self._ids = [item.id for item in self.items]
        self._university = _Counts(self._ids)
        self._colleges: dict[str, _Counts] = {}
        self._departments: dict[str, _Counts] = {}
        self._college_of = {d.id: d.college for d in institution.departments}

    def add(self, result: AuditResult, student: Student) -> bool:
        """Count one student's result; True when they are a senior to whom at least one item applies."""
        if result.student_id != student.student_id:
            raise ValueError(f"result of {result.student_id} given with the record of {student.student_id}")
        if self.as_of is None:
            self.as_of = result.as_of
        elif result.as_of != self.as_of:
            raise ValueError(f"result of {result.student_id} is as of {result.as_of}, the report as of {self.as_of}")
        if study_year(student, self.as_of) != self.senior_year:
            return False
        statuses: dict[str, bool] = {}
        for item_id in self._ids:
            found = result.find(item_id)
            if found is not None:
                statuses[item_id] = found.met
        if not statuses:
            return False
        complete = len(statuses) == len(self._ids)
        self._university.add(statuses, complete)
        department = student.department
        self._departments.setdefault(department, _Counts(self._ids)).add(statuses, complete)
        college = self._college_of.get(department)
        if college is not None:
            self._colleges.setdefault(college, _Counts(self._ids)).add(statuses, complete)
        return True

    def report(self) -> PassRateReport:
        if self.as_of is None:
            raise ValueError("no results were counted and no `as_of` was given")
        settings = self.institution
        colleges = [
            self._colleges[c.id].row("college", c.id, c.name.as_dict(), None)
            for c in settings.colleges
            if c.id in self._colleges
        ]
        known = {d.id for d in settings.departments}
        departments = [
            self._departments[d.id].row("department", d.id, d.name.as_dict(), d.college)
            for d in settings.departments
            if d.id in self._departments
        ]
        departments += [
            self._departments[code].row("department", code, {"zh-TW": code, "en": code}, None)
            for code in sorted(set(self._departments) - known)
        ]
        return PassRateReport(
            institution=settings.id,
            institution_name=settings.name.as_dict(),
            as_of=self.as_of,
            senior_year=self.senior_year,
            title=self.title,
            items=self.items,
            all_label=self.all_label,
            university=self._university.row("university", settings.id, settings.name.as_dict(), None),
            colleges=tuple(colleges),
            departments=tuple(departments),
        )


def pass_rates(
    results: Iterable[AuditResult],
    students: Iterable[Student],
    institution_settings: Institution,
    items: PassRateSpec | Sequence[ReportItem],
    *,
    senior_year: int | None = None,
    as_of: Term | None = None,
    title: dict[str, str] | None = None,
    all_label: dict[str, str] | None = None,
) -> PassRateReport:
    """The pass-rate report of `results` (audits of `students`, matched by student id, all as of one term).

    `items`: the institution's spec (`pass_rate_spec`), or just the items (then seniors are 4th-year students
    unless `senior_year` says otherwise)."""
    spec = items if isinstance(items, PassRateSpec) else PassRateSpec(tuple(items))
    by_id = {student.student_id: student for student in students}
    counter = PassRateCounter(
        institution_settings,
        spec.items,
        senior_year=senior_year or spec.senior_year,
        as_of=as_of,
        title=title or spec.title,
        all_label=all_label or spec.all_label,
    )
    for result in results:
        student = by_id.get(result.student_id)
        if student is None:
            raise ValueError(f"no student record for the result of {result.student_id}")
        counter.add(result, student)
    return counter.report()


def audit_pass_rates(
    students: Iterable[Student], policy_set: PolicySet, as_of: Term, spec: PassRateSpec | None = None
) -> tuple[PassRateReport, int]:
    """Audit `students` of the policy set's institution as of `as_of` and report their pass rates.

    Returns the report and how many students of other institutions were skipped."""
    spec = spec or pass_rate_spec(policy_set)
    counter = PassRateCounter(
        policy_set.institution,
        spec.items,
        senior_year=spec.senior_year,
        as_of=as_of,
        title=spec.title,
        all_label=spec.all_label,
    )
    skipped = 0
    for student in students:
        if student.institution != policy_set.id:
            skipped += 1
            continue
        counter.add(audit(student, policy_set, as_of), student)
    return counter.report(), skipped


# Renderers -------------------------------------------------------------------------------------------------

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
