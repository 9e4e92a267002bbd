"""Imports of students, course records, activities and certificates from CSV / XLSX, and exports in the same layout.

An import is validated completely before anything is written: every row, every column. With any problem the
report lists them (row, column, reason) and the database is not touched. Otherwise every change is applied in
one transaction, by natural key (a second import of the same file changes nothing). The accepted headers and
values are documented in docs/import.md; the tables below are the single source of that documentation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from menkan.engine import Term
from menkan.web.accounts.models import Role, RoleAssignment, User
from menkan.web.exports import xlsx_bytes
from menkan.web.records.models import (
    Activity,
    Certificate,
    CourseRecord,
    Department,
    Institution,
    SchoolClass,
    Student,
)
from menkan.web.records.selectors import (
    RecordKind,
    WritePermission,
    activities_visible_to,
    certificates_visible_to,
    record_write_permission,
    record_writer,
    students_visible_to,
)

ImportKind = Literal["students", "courses", "activities", "certificates"]
KINDS: tuple[ImportKind, ...] = get_args(ImportKind)
KIND_LABELS = {
    "students": gettext_lazy("Students"),
    "courses": gettext_lazy("Course records"),
    "activities": gettext_lazy("Activities"),
    "certificates": gettext_lazy("Certificates"),
}
# The same in a sentence ("you may not import course records into <code>").
KIND_NAMES = {
    "students": gettext_lazy("students"),
    "courses": gettext_lazy("course records"),
    "activities": gettext_lazy("activity hours"),
    "certificates": gettext_lazy("certificates"),
}
# The kind of record one row of an import writes (what `record_write_permission` is asked about).
RECORD_KIND: dict[str, RecordKind] = {
    "students": "student",
    "courses": "course",
    "activities": "activity",
    "certificates": "certificate",
}

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 1000
HEADER_SEARCH_ROWS = 10  # a title line or two above the header (as SIS exports have) is skipped


# --------------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file was refused. `row` is the row as the user sees it in the file (the header is row 1,
    the first data row 2); 0 means the file as a whole. `column` is the header as written in the file."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "applied": self.applied,
            "ok": self.ok,
            "problems": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems],
        }


# --------------------------------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Column:
    """One column of a layout: the field it fills, its header names (the first is the one exports write)."""

    name: str
    headers: tuple[str, ...]
    required: bool = False


_YEAR = Column("year", ("學年", "學年度", "year", "academic_year"))
STUDENT_ID_COLUMN = Column("student_id", ("學號", "student_id", "student_no", "學生學號"), required=True)
_NOTE = ("備註", "note", "notes", "remark", "remarks")

LAYOUTS: dict[str, tuple[Column, ...]] = {
    "students": (
        STUDENT_ID_COLUMN,
        Column("name", ("姓名", "name", "學生姓名")),
        Column("department", ("系所", "department", "dept", "系所代碼", "系別", "科系"), required=True),
        Column("class_code", ("班級", "class_code", "class", "班級代碼")),
        Column("division", ("學制", "division")),
        Column("degree", ("學位", "degree", "學位別")),
        Column("admission_term", ("入學學期", "admission_term", "入學學年期"), required=True),
        Column("admitted_into_year", ("入學年級", "admitted_into_year", "admitted_year")),
    ),
    "courses": (
        STUDENT_ID_COLUMN,
        Column("term", ("學期", "term", "semester", "學年期", "學年學期"), required=True),
        Column("code", ("永久課號", "code", "course_code", "課號", "課程代碼", "科目代碼", "課程編號"), required=True),
        Column("title", ("課名", "title", "course_title", "課程名稱", "科目名稱"), required=True),
        Column("credits", ("學分數", "credits", "學分"), required=True),
        Column("offered_by", ("開課單位", "offered_by", "開課系所")),
        Column("kind", ("選別", "修別", "必選修", "選課別", "課別", "kind", "course_type")),
        Column("grade", ("成績", "grade", "score", "分數", "學期成績")),
        Column("category", ("類別", "category", "課程類別")),
        Column("delivery", ("授課方式", "delivery", "遠距教學", "遠距")),
        Column("tags", ("標籤", "tags")),
        Column("transfer", ("抵免", "transfer")),
        Column("level", ("課程層級", "level", "層級")),
        _YEAR,
    ),
    "activities": (
        STUDENT_ID_COLUMN,
        Column("item", ("項目", "item", "認證項目"), required=True),
        Column("hours", ("時數", "hours", "認證時數"), required=True),
        Column("term", ("學期", "term", "semester", "學年期"), required=True),
        Column("title", ("活動名稱", "title", "名稱"), required=True),
        Column("unit", ("單位", "unit", "主辦單位", "認證單位")),
        Column("date", ("日期", "date", "活動日期")),
        Column("passed", ("通過", "passed", "是否通過")),
        _YEAR,
    ),
    "certificates": (
        STUDENT_ID_COLUMN,
        Column("code", ("證照代碼", "code", "證照代號"), required=True),
        Column("title", ("證照名稱", "title", "名稱"), required=True),
        Column("term", ("學期", "term", "semester", "學年期"), required=True),
        Column("level", ("級別", "level", "等級")),
        Column("unit", ("單位", "unit", "登錄單位")),
        _YEAR,
    ),
}

# Columns a real SIS export carries that menkan reads past (never stores): anything else is an error.
IGNORED: dict[str, tuple[str, ...]] = {
    "students": ("性別", "身分證字號", "出生日期", "生日", "電子郵件", "email", "電話", "地址", "在學狀態", *_NOTE),
    "courses": (
        "姓名",
        "name",
        "班級",
        "系所",
        "系級",
        "年級",
        "教師",
        "授課教師",
        "開課序號",
        "課程序號",
        "選課序號",
        "序號",
        "時數",
        *_NOTE,
    ),
    "activities": ("姓名", "name", "班級", "系所", *_NOTE),
    "certificates": ("姓名", "name", "班級", "系所", "發證日期", "發證單位", "證號", "證照字號", *_NOTE),
}

# 選別 (how the SIS classes a course) → `category` of menkan.student/1 (see docs/import.md).
CATEGORY_OF_KIND: dict[str, str] = {
    **dict.fromkeys(
        ("必", "必修", "專業必修", "系必修", "系定必修", "校訂專業必修", "部訂專業必修", "▲", "●"),
        "professional-required",
    ),
    **dict.fromkeys(("選", "選修", "專業選修", "系選修", "★"), "professional-elective"),
    **dict.fromkeys(("通", "通識", "博雅", "通識博雅", "通識課程"), "gen-ed"),
    **dict.fromkeys(
        ("共必", "共同必修", "校共同必修", "校訂共同必修", "校定共同必修", "部訂共同必修", "△", "○"), "common-required"
    ),
    **dict.fromkeys(("共選", "共同選修", "自由選修", "自選", "自由", "☆"), "free"),
    **dict.fromkeys(("跨域", "跨域選修"), "cross-domain"),
}
# The 選別 an export writes for a category (so a registrar reading the file sees the SIS word).
KIND_OF_CATEGORY = {
    "professional-required": "必修",
    "professional-elective": "選修",
    "gen-ed": "通識",
    "common-required": "共同必修",
    "free": "自由選修",
    "cross-domain": "跨域",
}
DIVISIONS = {
    **dict.fromkeys(("日間部", "日間部四技", "四技", "大學部", "學士班", "日間學士班"), "day-bachelor"),
    **dict.fromkeys(("進修部", "進修部四技", "夜間部", "進修學士班"), "evening-bachelor"),
    **dict.fromkeys(("碩士班", "日間碩士班"), "master"),
    **dict.fromkeys(("碩士在職專班", "在職專班"), "executive-master"),
    "博士班": "doctor",
}
DEGREES = {
    **dict.fromkeys(("bachelor", "學士", "大學", "大學部", "學士班"), "bachelor"),
    **dict.fromkeys(("master", "碩士", "碩士班"), "master"),
    **dict.fromkeys(("doctor", "phd", "博士", "博士班"), "doctor"),
    **dict.fromkeys(("associate", "副學士", "專科", "二專", "五專"), "associate"),
}
DELIVERIES = {
    **dict.fromkeys(("remote", "online", "遠距", "遠距教學", "線上", "y", "yes", "是", "true", "1"), "remote"),
    **dict.fromkeys(("", "in-person", "實體", "面授", "n", "no", "否", "false", "0"), "in-person"),
}
LEVELS = {
    **dict.fromkeys(("", "-"), ""),
    **dict.fromkeys(("undergraduate", "大學部", "學士"), "undergraduate"),
    **dict.fromkeys(("graduate", "研究所", "碩博士", "碩士", "博士"), "graduate"),
}
YES = ("y", "yes", "true", "1", "是", "v", "✓", "○", "通過")
NO = ("", "n", "no", "false", "0", "否", "x", "不通過")
WITHDRAWN_WORDS = ("停修", "棄修", "退選")  # read as the institution's first withdrawal mark (W)
TRANSFER_WORDS = ("抵免",)  # grade 抵免: a transferred course, passed (P)

_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")


def header_key(header: Any) -> str:
    """A header compared case-, width- and space-insensitively (`Student ID` = `student_id` = `學號 `)."""
    text = unicodedata.normalize("NFKC", str(header if header is not None else "")).casefold()
    return re.sub(r"[\s_\-.*:]", "", text)


# --------------------------------------------------------------------------------------------------- reading


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


@dataclass
class _Table:
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


def table_read(filename: str, content: bytes) -> _Table:
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
    return _Table(header_row, headers, rows[header_at + 1 :])


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


# --------------------------------------------------------------------------------------------------- values


class BadValue(ValueError):
    """A cell's value is not valid: the message is the reason shown to the user."""


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_SEMESTERS = {
    "1": "1",
    "2": "2",
    "s": "S",
    "上": "1",
    "下": "2",
    "暑": "S",
    "一": "1",
    "二": "2",
    "暑修": "S",
    "暑期": "S",
}
_TERM_FORMS = (
    re.compile(r"^(\d{2,3})\s*[-/_.]\s*([12sS])$"),  # 112-1, 112/2, 112-S, 99-1
    re.compile(r"^(\d{3})([12sS])$"),  # 1121, 112S (a 3-digit year: 112 alone is not 11-2)
    re.compile(r"^(\d{2,3})\s*(?:學年度?)?\s*(上|下|暑修|暑期|暑)(?:學期)?$"),  # 112上, 112學年度下學期, 112暑
    re.compile(r"^(\d{2,3})\s*學年度?\s*第?\s*([12一二])\s*學期$"),  # 112學年度第1學期
)
_TERM_HELP = gettext_lazy("expected ROC year and semester: 112-1, 112-2, 112-S (also 1121, 112上, 112下, 112暑)")


def parse_term(text: str, year: str = "") -> str:
    """A term in any accepted form as `112-1` / `112-2` / `112-S`. With `year` (a separate 學年 column), `text`
    may be only the semester (1, 2, S, 上, 下, 暑)."""
    value = _nfkc(text)
    if year:
        year_text = _nfkc(year)
        if not re.fullmatch(r"\d{2,3}", year_text):
            raise BadValue(_("academic year '%(value)s' is not an ROC year such as 112") % {"value": year})
        semester = _SEMESTERS.get(value.casefold().removeprefix("第").removesuffix("學期"))
        if semester is None:
            if value.startswith(year_text):
                return parse_term(value)
            raise BadValue(_("semester '%(value)s' is not 1, 2 or S (上, 下, 暑)") % {"value": text})
        return f"{int(year_text)}-{semester}"
    for form in _TERM_FORMS:
        match = form.match(value)
        if match:
            semester = _SEMESTERS[match.group(2).casefold()]
            term = f"{int(match.group(1))}-{semester}"
            try:
                Term.parse(term)
            except ValueError:
                break
            return term
    raise BadValue(_("'%(value)s' is not a term (%(help)s)") % {"value": text, "help": _TERM_HELP})


def _decimal(text: str, what: str, *, places: int, limit: int) -> Decimal:
    value_text = _nfkc(text)
    try:
        value = Decimal(value_text)
    except InvalidOperation:
        raise BadValue(_("'%(value)s' is not a number") % {"value": text}) from None
    if not value.is_finite():
        raise BadValue(_("'%(value)s' is not a number") % {"value": text})
    if value < 0:
        raise BadValue(_("%(what)s must be ≥ 0 (got %(value)s)") % {"what": what, "value": text})
    if value >= limit:
        raise BadValue(
            _("%(what)s must be less than %(limit)s (got %(value)s)") % {"what": what, "limit": limit, "value": text}
        )
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise BadValue(
            _("%(what)s may have at most %(places)s decimal place (got %(value)s)")
            % {"what": what, "places": places, "value": text}
        )
    return value.quantize(Decimal(1).scaleb(-places))


def _flag(text: str) -> bool:
    value = _nfkc(text).casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    raise BadValue(_("'%(value)s' is not yes or no (Y/N, 是/否)") % {"value": text})


def _date(text: str) -> dt.date | None:
    value = _nfkc(text)
    if not value:
        return None
    match = re.fullmatch(r"(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", value) or re.fullmatch(
        r"(\d{3,4})(\d{2})(\d{2})", value
    )
    if match is None:
        raise BadValue(_("'%(value)s' is not a date (2024-05-20, 2024/5/20 or ROC 113/05/20)") % {"value": text})
    year, month, day = (int(part) for part in match.groups())
    if year < 1911:
        year += 1911  # ROC year
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue(_("'%(value)s' is not a date on the calendar") % {"value": text}) from None


def _limited(text: str, model: type[models.Model], name: str) -> str:
    limit = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    if limit is not None and len(text) > limit:
        raise BadValue(_("longer than %(limit)s characters") % {"limit": limit})
    return text


def _required(text: str) -> str:
    if not text:
        raise BadValue(_("required: the cell is empty"))
    return text


def _choice(text: str, table: dict[str, str], what: Any, *, slugs: bool = False) -> str:
    """A value from `table` (its keys compared case-insensitively); with `slugs`, also any code such as
    `day-bachelor` as it is."""
    value = _nfkc(text)
    mapped = table.get(value.casefold(), table.get(value))
    if mapped is not None:
        return mapped
    if slugs and _SLUG.match(value):
        return value
    raise BadValue(_("'%(value)s' is not a known %(what)s") % {"value": text, "what": what})


def _division(text: str) -> str:
    if not _nfkc(text):
        return "day-bachelor"
    return _limited(
        _choice(text, DIVISIONS, _("學制 (division; or its code, e.g. day-bachelor)"), slugs=True), Student, "division"
    )


def _category(text: str) -> str:
    value = _nfkc(text)
    if not value:
        return ""
    if value in CATEGORY_OF_KIND:
        return CATEGORY_OF_KIND[value]
    if _SLUG.match(value.casefold()):
        return value.casefold()
    raise BadValue(
        _("'%(value)s' is not a known 選別 or category (必/選/通/共同必修/跨域…, or a code)") % {"value": text}
    )


def _tags(text: str) -> list[str]:
    tags: list[str] = []
    for part in re.split(r"[;,、|\n]", text):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


# --------------------------------------------------------------------------------------------------- permissions


@dataclass(frozen=True)
class ImportScope:
    """What a user may import into one institution: the kinds, and for unit staff the units they act for
    (`units` None: any unit, as the registrar)."""

    kinds: tuple[ImportKind, ...]
    units: frozenset[str] | None


_REGISTRAR_KINDS: tuple[ImportKind, ...] = KINDS
_UNIT_KINDS: tuple[ImportKind, ...] = ("activities", "certificates")


def import_scope(user: User, institution: Institution) -> ImportScope | None:
    """The registrar (or a superuser) may import everything; unit staff activities and certificates, each row only
    for an item their unit owns (`records.selectors.record_write_permission` decides per row); nobody else anything
    (None)."""
    writer = record_writer(user, institution)
    if writer is None:
        return None
    if writer.registrar:
        return ImportScope(_REGISTRAR_KINDS, None)
    return ImportScope(_UNIT_KINDS, writer.units)


def import_institutions(user: User) -> list[tuple[Institution, ImportScope]]:
    """The institutions `user` may import into, each with what they may import there."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        institutions: Iterable[Institution] = Institution.objects.order_by("code")
    else:
        ids = RoleAssignment.objects.filter(user=user, role__in=(Role.REGISTRAR, Role.UNIT_STAFF)).values(
            "institution_id"
        )
        institutions = Institution.objects.filter(pk__in=ids).order_by("code")
    result = []
    for institution in institutions:
        scope = import_scope(user, institution)
        if scope is not None:
            result.append((institution, scope))
    return result


# --------------------------------------------------------------------------------------------------- planning


@dataclass
class _Change:
    """What one row does: create `model(**key, **fields)` (no `instance`), or update `instance` with `fields`
    (`changed` False: it already holds them)."""

    row: int
    model: type[models.Model]
    key: dict[str, Any]
    fields: dict[str, Any]
    instance: models.Model | None
    changed: bool


@dataclass
class _Run:
    kind: ImportKind
    institution: Institution
    user: User
    scope: ImportScope
    table: _Table
    report: ImportReport
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)  # field name → (index, header as written)
    changes: list[_Change] = field(default_factory=list)
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)
    overflow: bool = False  # more than MAX_PROBLEMS problems: the rest are not listed
    permissions: dict[str, WritePermission] = field(default_factory=dict)

    def problem(self, row: int, column: str, reason: str) -> None:
        if len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(ImportProblem(row, column, reason))
        else:
            self.overflow = True

    def permission(self, ref: str = "") -> WritePermission:
        """May the user write this row's record (of item or code `ref`)? Asked once per item in a file."""
        if ref not in self.permissions:
            self.permissions[ref] = record_write_permission(self.user, self.institution, RECORD_KIND[self.kind], ref)
        return self.permissions[ref]

    def header(self, name: str) -> str:
        if name in self.columns:
            return self.columns[name][1]
        column = next(c for c in LAYOUTS[self.kind] if c.name == name)
        return column.headers[0]


class _Row:
    """One data row: its cells by field name, and the problems found in it."""

    def __init__(self, run: _Run, number: int, cells: list[Any]) -> None:
        self.run = run
        self.number = number
        self.cells = cells
        self.bad = False

    def has(self, name: str) -> bool:
        return name in self.run.columns

    def raw(self, name: str) -> str:
        if name not in self.run.columns:
            return ""
        index = self.run.columns[name][0]
        return cell_text(self.cells[index]) if index < len(self.cells) else ""

    def get(self, name: str, convert: Callable[[str], Any] = lambda text: text) -> Any:
        """The converted value of a column, or None after recording the problem."""
        try:
            return convert(self.raw(name))
        except BadValue as exc:
            self.fail(name, str(exc))
            return None

    def fail(self, name: str, reason: str) -> None:
        self.bad = True
        self.run.problem(self.number, self.run.header(name), reason)

    def duplicate(self, key: tuple[Any, ...], name: str, message: str) -> bool:
        """Whether `key` was in an earlier row (then the problem is `message`, which names that `%(row)s`)."""
        first = self.run.seen.get(key)
        if first is not None:
            self.fail(name, message % {"row": first})
            return True
        self.run.seen[key] = self.number
        return False


def _map_headers(run: _Run) -> None:
    layout = LAYOUTS[run.kind]
    by_key = {header_key(header): column for column in layout for header in column.headers}
    ignored = {header_key(header) for header in IGNORED[run.kind]}
    row = run.table.header_row
    for index, header in enumerate(run.table.headers):
        key = header_key(header)
        if not key:
            if any(cell_text(cells[index]) for _number, cells in run.table.rows if index < len(cells)):
                run.problem(row, f"#{index + 1}", _("a column with values has no header"))
            continue
        column = by_key.get(key)
        if column is None:
            if key not in ignored:
                known = "、".join(c.headers[0] for c in layout)
                run.problem(
                    row,
                    header,
                    _("unknown column for %(kind)s (known: %(known)s; see docs/import.md)")
                    % {"kind": KIND_NAMES[run.kind], "known": known},
                )
            continue
        if column.name in run.columns:
            run.problem(row, header, _("the same column as '%(header)s'") % {"header": run.columns[column.name][1]})
            continue
        run.columns[column.name] = (index, header)
    for column in layout:
        if column.required and column.name not in run.columns:
            run.problem(row, column.headers[0], _("required column is missing"))


def _students_of(run: _Run) -> dict[str, Student]:
    index = run.columns["student_id"][0]
    ids = {cell_text(cells[index]) for _number, cells in run.table.rows if index < len(cells)}
    students = Student.objects.filter(institution=run.institution, student_id__in=ids - {""})
    return {s.student_id: s for s in students.select_related("department", "school_class")}


def _student(row: _Row, students: dict[str, Student]) -> Student | None:
    student_id = row.get("student_id", _required)
    if student_id is None:
        return None
    student = students.get(student_id)
    if student is None:
        row.fail(
            "student_id",
            _("no student %(id)s in %(institution)s") % {"id": student_id, "institution": row.run.institution.code},
        )
    return student


def _term(row: _Row) -> str | None:
    year = row.raw("year")
    return row.get("term", lambda text: parse_term(_required(text), year))


def _plan_change(row: _Row, model: type[models.Model], key: dict[str, Any], fields: dict[str, Any], existing: Any):
    changed = existing is None or any(getattr(existing, name) != value for name, value in fields.items())
    row.run.changes.append(_Change(row.number, model, key, fields, existing, changed))


def _permitted(row: _Row, name: str, ref: str | None) -> WritePermission | None:
    """The permission to write the row's record of item or code `ref` (None, after recording the refusal in the
    column `name`, when the user may not: `record_write_permission` decides, as on every other page)."""
    if ref is None:
        return None
    permission = row.run.permission(ref)
    if not permission:
        row.fail(name, permission.reason)
        return None
    return permission


def _unit(row: _Row, existing: Any, owner: str | None) -> str | None:
    """The unit a row is registered for. The registrar: the 單位 cell as written (any unit, or none). Unit staff:
    the office owning the item (one of theirs, or the permission would have refused the row); a 單位 cell naming
    another unit is refused, and so is a change of a record that another unit (or the registrar) registered."""
    units = row.run.scope.units
    unit = row.get("unit", lambda text: _limited(text, Activity, "unit")) if row.has("unit") else None
    if units is None:
        return unit  # the registrar: any unit, or none
    if unit and unit not in units:
        mine = "、".join(sorted(units))
        row.fail(
            "unit",
            _("unit %(unit)s is not yours (%(mine)s): you may register only your unit's records")
            % {"unit": unit, "mine": mine},
        )
        return None
    if unit and unit != owner:
        row.fail("unit", _("the item is %(owner)s's: write %(owner)s or leave the cell empty") % {"owner": owner})
        return None
    unit = owner
    if existing is not None and existing.unit != unit:
        registered_by = existing.unit or _("the registrar")
        row.fail(
            "unit", _("this record is registered by %(owner)s; only they may change it") % {"owner": registered_by}
        )
        return None
    return unit


# The planners: validate every row and work out what it would change.


def _file_permitted(run: _Run) -> bool:
    """Students and course records are the registrar's whatever the row: asked once, refused for the whole file."""
    permission = run.permission()
    if not permission:
        run.problem(0, "", permission.reason)
    return permission.allowed


def _plan_students(run: _Run) -> None:
    if not _file_permitted(run):
        return
    institution = run.institution
    # A department by its code, or by a name no other department of the institution bears.
    listed = list(Department.objects.filter(institution=institution))
    named: dict[str, list[Department]] = {}
    for department in listed:
        for name in {header_key(department.name_zh), header_key(department.name_en)} - {""}:
            named.setdefault(name, []).append(department)
    departments = {name: found[0] for name, found in named.items() if len(found) == 1}
    departments.update({header_key(department.code): department for department in listed})
    students = _students_of(run)
    for number, cells in run.table.rows:
        row = _Row(run, number, cells)
        student_id = row.get("student_id", lambda text: _limited(_required(text), Student, "student_id"))
        fields: dict[str, Any] = {}
        if row.has("name"):
            fields["name"] = row.get("name", lambda text: _limited(text, Student, "name"))
        department_text = row.get("department", _required)
        department = departments.get(header_key(department_text)) if department_text else None
        if department_text and department is None:
            row.fail(
                "department",
                _("no department '%(value)s' in %(institution)s (give its code)")
                % {"value": department_text, "institution": institution.code},
            )
        fields["department"] = department
        if row.has("class_code"):
            fields["class_code"] = row.get("class_code", lambda text: _limited(text, SchoolClass, "code"))
        if row.has("division"):
            fields["division"] = row.get("division", _division)
        if row.has("degree"):
            fields["degree"] = row.get("degree", lambda text: _degree(text))
        fields["admission_term"] = row.get("admission_term", lambda text: parse_term(_required(text)))
        if row.has("admitted_into_year"):
            fields["admitted_into_year"] = row.get("admitted_into_year", _year_of_study)
        if (
            student_id
            and not row.bad
            and row.duplicate((student_id,), "student_id", _("the same student as row %(row)s"))
        ):
            continue
        if row.bad or student_id is None:
            continue
        existing = students.get(student_id)
        if existing is None:
            run.changes.append(
                _Change(number, Student, {"institution": institution, "student_id": student_id}, fields, None, True)
            )
            continue
        changed = any(
            (existing.school_class.code if existing.school_class else "") != value
            if name == "class_code"
            else getattr(existing, name) != value
            for name, value in fields.items()
        )
        run.changes.append(_Change(number, Student, {}, fields, existing, changed))


def _degree(text: str) -> str:
    value = _nfkc(text).casefold()
    if not value:
        return "bachelor"
    if value not in DEGREES:
        raise BadValue(
            _("'%(value)s' is not a degree (學士 bachelor, 碩士 master, 博士 doctor, 副學士 associate)")
            % {"value": text}
        )
    return DEGREES[value]


def _year_of_study(text: str) -> int:
    value = _nfkc(text)
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 10:
        raise BadValue(_("'%(value)s' is not a year of study (1, 2, 3 …)") % {"value": text})
    return int(value)


def _grade_reader(institution: Institution) -> Any:
    """The institution's grade scale (from its current policy), as the engine reads grades."""
    from menkan.engine.ledger import GradeScale
    from menkan.engine.policy.models import Grading
    from menkan.web.audits.services import policy_current, policy_set_of

    version = policy_current(institution)
    grading = policy_set_of(version).institution.grading if version is not None else Grading()
    return GradeScale(grading)


def _plan_courses(run: _Run) -> None:
    if not _file_permitted(run):
        return
    scale = _grade_reader(run.institution)
    grading = scale.grading
    withdrawn = grading.withdrawn_marks[0] if grading.withdrawn_marks else "W"
    passed = grading.pass_marks[0] if grading.pass_marks else "P"
    students = _students_of(run)
    existing = {
        (c.student_id, c.code, c.term): c for c in CourseRecord.objects.filter(student__in=list(students.values()))
    }

    def grade(text: str) -> tuple[str | None, bool]:
        value = _nfkc(text)
        if not value:
            return None, False
        if value in TRANSFER_WORDS:
            return passed, True
        if value in WITHDRAWN_WORDS:
            return withdrawn, False
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            value = format(number.normalize() + 0, "f")
        for candidate in (value, value.upper()):
            if scale.read(candidate, "bachelor") is not None:
                return _limited(candidate, CourseRecord, "grade"), False
        marks = "/".join([*grading.pass_marks[:1], *grading.fail_marks[:1], *grading.withdrawn_marks[:1]])
        letters = "、".join(letter.letter for letter in grading.letters)
        if letters:
            expected = _("a score 0–100, a letter (%(letters)s), %(marks)s or empty") % {
                "letters": letters,
                "marks": marks,
            }
        else:
            expected = _("a score 0–100, %(marks)s or empty") % {"marks": marks}
        raise BadValue(
            _("'%(value)s' is not a grade at %(institution)s: expected %(scale)s")
            % {"value": text, "institution": run.institution.code, "scale": expected}
        )

    for number, cells in run.table.rows:
        row = _Row(run, number, cells)
        student = _student(row, students)
        term = _term(row)
        code = row.get("code", lambda text: _limited(_required(text), CourseRecord, "code"))
        fields: dict[str, Any] = {
            "title": row.get("title", lambda text: _limited(_required(text), CourseRecord, "title")),
            "credits": row.get(
                "credits", lambda text: _decimal(_required(text), _("the credits"), places=1, limit=10000)
            ),
        }
        if row.has("offered_by"):
            fields["offered_by"] = row.get("offered_by", lambda text: _limited(text, CourseRecord, "offered_by"))
        if row.has("grade"):
            fields["grade"], transferred = row.get("grade", grade) or (None, False)
            if transferred:
                fields["transfer"] = True
        if row.has("category") and row.raw("category"):
            fields["category"] = row.get("category", _category)
        elif row.has("kind"):
            fields["category"] = row.get("kind", _category)
        elif row.has("category"):
            fields["category"] = ""
        if "category" in fields and fields["category"] is not None:
            try:
                _limited(fields["category"], CourseRecord, "category")
            except BadValue as exc:
                row.fail("category" if row.has("category") else "kind", str(exc))
        if row.has("delivery"):
            fields["delivery"] = row.get(
                "delivery", lambda text: _choice(text, DELIVERIES, _("delivery (遠距 / 實體)"))
            )
        if row.has("tags"):
            fields["tags"] = row.get("tags", _tags)
        if row.has("transfer") and "transfer" not in fields:
            fields["transfer"] = row.get("transfer", _flag)
        if row.has("level"):
            fields["level"] = row.get(
                "level", lambda text: _choice(text, LEVELS, _("course level (undergraduate / graduate)"))
            )
        if row.bad or student is None:
            continue
        if row.duplicate((student.pk, code, term), "code", _("the same course in the same term as row %(row)s")):
            continue
        _plan_change(
            row,
            CourseRecord,
            {"student": student, "code": code, "term": term},
            fields,
            existing.get((student.pk, code, term)),
        )


def _plan_activities(run: _Run) -> None:
    students = _students_of(run)
    existing: dict[tuple[Any, ...], Activity] = {
        (a.student_id, a.item, a.title, a.term, a.date): a
        for a in Activity.objects.filter(student__in=list(students.values()))
    }
    for number, cells in run.table.rows:
        row = _Row(run, number, cells)
        student = _student(row, students)
        item = row.get("item", lambda text: _limited(_required(text), Activity, "item"))
        permission = _permitted(row, "item", item)
        title = row.get("title", lambda text: _limited(_required(text), Activity, "title"))
        term = _term(row)
        date = row.get("date", _date)
        fields: dict[str, Any] = {
            "hours": row.get("hours", lambda text: _decimal(_required(text), _("the hours"), places=1, limit=100000))
        }
        if row.has("passed"):
            fields["passed"] = row.get("passed", lambda text: _flag(text) if text else True)
        if row.bad or student is None or permission is None:
            continue
        key = (student.pk, item, title, term, date)
        current = existing.get(key)
        unit = _unit(row, current, permission.owner)
        if row.bad:
            continue
        if unit is not None:
            fields["unit"] = unit
        if row.duplicate(key, "title", _("the same activity (student, item, title, term and date) as row %(row)s")):
            continue
        _plan_change(
            row,
            Activity,
            {"student": student, "item": item, "title": title, "term": term, "date": date},
            fields,
            current,
        )


def _plan_certificates(run: _Run) -> None:
    students = _students_of(run)
    existing = {
        (c.student_id, c.code, c.term): c for c in Certificate.objects.filter(student__in=list(students.values()))
    }
    for number, cells in run.table.rows:
        row = _Row(run, number, cells)
        student = _student(row, students)
        code = row.get("code", lambda text: _limited(_required(text), Certificate, "code"))
        permission = _permitted(row, "code", code)
        term = _term(row)
        fields: dict[str, Any] = {
            "title": row.get("title", lambda text: _limited(_required(text), Certificate, "title"))
        }
        if row.has("level"):
            fields["level"] = row.get("level", lambda text: _limited(text, Certificate, "level"))
        if row.bad or student is None or permission is None:
            continue
        key = (student.pk, code, term)
        current = existing.get(key)
        unit = _unit(row, current, permission.owner)
        if row.bad:
            continue
        if unit is not None:
            fields["unit"] = unit
        if row.duplicate(key, "code", _("the same certificate in the same term as row %(row)s")):
            continue
        _plan_change(row, Certificate, {"student": student, "code": code, "term": term}, fields, current)


_PLANNERS: dict[str, Callable[[_Run], None]] = {
    "students": _plan_students,
    "courses": _plan_courses,
    "activities": _plan_activities,
    "certificates": _plan_certificates,
}


# --------------------------------------------------------------------------------------------------- applying


def _apply(run: _Run) -> None:
    classes: dict[str, SchoolClass] = {}
    for change in run.changes:
        if not change.changed:
            continue
        fields = dict(change.fields)
        if "class_code" in fields:
            code = fields.pop("class_code")
            fields["school_class"] = _school_class(run.institution, code, fields.get("department"), classes)
        instance = change.instance
        if instance is None:
            instance = change.model(**change.key, **fields)
        else:
            for name, value in fields.items():
                setattr(instance, name, value)
        instance._history_user = run.user  # type: ignore[attr-defined]  # django-simple-history: who changed it
        instance.save()


def _school_class(
    institution: Institution, code: str, department: Department | None, cache: dict[str, SchoolClass]
) -> SchoolClass | None:
    if not code:
        return None
    if code not in cache:
        assert department is not None
        cache[code], _created = SchoolClass.objects.get_or_create(
            institution=institution, code=code, defaults={"department": department}
        )
    return cache[code]


def _count(report: ImportReport, changes: Iterable[_Change]) -> None:
    for change in changes:
        if change.instance is None:
            report.created += 1
        elif change.changed:
            report.updated += 1
        else:
            report.unchanged += 1


def import_run(
    *,
    kind: ImportKind,
    filename: str,
    content: bytes,
    institution: Institution,
    user: User,
    apply: bool = True,
) -> ImportReport:
    """Validate a CSV / XLSX file of `kind` completely, then (unless `apply` is False: a dry run) apply it in one
    transaction. With any problem nothing is written and the report lists every problem.

    Raises PermissionDenied when `user` may not import `kind` into `institution` (only the registrar imports
    students and courses; unit staff activities and certificates of their own unit) and ValueError for an
    unknown kind. The counts say what the file does (or, in a dry run, would do) per row.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    scope = import_scope(user, institution)
    if scope is None or kind not in scope.kinds:
        raise PermissionDenied(
            _("you may not import %(kind)s into %(institution)s")
            % {"kind": KIND_NAMES[kind], "institution": institution.code}
        )
    report = ImportReport(kind=kind, filename=filename)
    try:
        table = table_read(filename, content)
    except ImportFileError as exc:
        report.problems.append(ImportProblem(0, "", str(exc)))
        return report
    report.rows = len(table.rows)
    run = _Run(kind, institution, user, scope, table, report)
    _map_headers(run)
    if report.problems:
        return report
    if not table.rows:
        report.problems.append(ImportProblem(table.header_row, "", _("the file has a header but no data rows")))
        return report
    if not apply:
        _PLANNERS[kind](run)
        _in_file_order(run)
        if report.ok:
            _count(report, run.changes)
        return report
    try:
        with transaction.atomic():
            _PLANNERS[kind](run)  # inside the transaction: what is compared is what gets written
            _in_file_order(run)
            if report.ok:
                _apply(run)
    except IntegrityError:
        report.problems.append(
            ImportProblem(0, "", _("someone changed the same records at the same time; nothing was written, try again"))
        )
        return report
    if report.ok:
        _count(report, run.changes)
        report.applied = True
    return report


def _in_file_order(run: _Run) -> None:
    """Problems by row, and within a row from left to right (as the user reads the file); a last line says when
    there were more than are listed."""
    position = {header: index for index, header in reversed(list(enumerate(run.table.headers)))}
    run.report.problems.sort(key=lambda p: (p.row, position.get(p.column, len(position))))
    if run.overflow:
        more = _("more than %(limit)s problems: only the first are listed") % {"limit": MAX_PROBLEMS}
        run.report.problems.append(ImportProblem(0, "", more))


# --------------------------------------------------------------------------------------------------- exports


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _export_rows(kind: str, user: User, institution: Institution | None) -> Iterator[list[Any]]:
    students: QuerySet[Student] = students_visible_to(user)
    if institution is not None:
        students = students.filter(institution=institution)
    if kind == "students":
        for s in students.select_related("department", "school_class").order_by("institution__code", "student_id"):
            yield [
                s.student_id,
                s.name,
                s.department.code,
                s.school_class.code if s.school_class else "",
                s.division,
                s.degree,
                s.admission_term,
                s.admitted_into_year,
            ]
    elif kind == "courses":
        courses = CourseRecord.objects.filter(student__in=students).select_related("student")
        for c in courses.order_by("student__student_id", "term", "code"):
            yield [
                c.student.student_id,
                c.term,
                c.code,
                c.title,
                _number(c.credits),
                c.offered_by,
                KIND_OF_CATEGORY.get(c.category, c.category),
                c.grade or "",
                c.category,
                c.delivery,
                "; ".join(c.tags),
                "Y" if c.transfer else "N",
                c.level,
            ]
    elif kind == "activities":
        activities = activities_visible_to(user)
        if institution is not None:
            activities = activities.filter(student__institution=institution)
        for a in activities.select_related("student").order_by("student__student_id", "term", "item", "title", "id"):
            yield [
                a.student.student_id,
                a.item,
                _number(a.hours),
                a.term,
                a.title,
                a.unit,
                a.date,
                "Y" if a.passed else "N",
            ]
    else:
        certificates = certificates_visible_to(user)
        if institution is not None:
            certificates = certificates.filter(student__institution=institution)
        for c in certificates.select_related("student").order_by("student__student_id", "term", "code"):
            yield [c.student.student_id, c.code, c.title, c.term, c.level, c.unit]


def export_headers(kind: ImportKind) -> list[str]:
    """The header an export writes for each column (the first name of each, as docs/import.md lists them)."""
    return [column.headers[0] for column in LAYOUTS[kind] if column.name != "year"]


def records_export(*, kind: ImportKind, user: User, institution: Institution | None = None) -> bytes:
    """The records of `kind` that `user` may see (of one institution, or all), as XLSX in the import layout:
    the file re-imports unchanged."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    return xlsx_bytes(export_headers(kind), _export_rows(kind, user, institution), title=kind)
