"""The plan of an import: its rows by column, and what each row would change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from menkan.engine import InputProblem
from menkan.web.accounts.api import User
from menkan.web.errors import problem_reason
from menkan.web.records.codec import SCHEMA
from menkan.web.records.imports.layouts import IGNORED, KIND_NAMES, LAYOUTS, RECORD_KIND, ImportKind, header_key
from menkan.web.records.imports.permissions import ImportScope
from menkan.web.records.imports.reading import Table, cell_text
from menkan.web.records.imports.report import MAX_PROBLEMS, ImportProblem, ImportReport
from menkan.web.records.imports.values import BadValue, limited, parse_term, required
from menkan.web.records.models import (
    Activity,
    Institution,
    Student,
)
from menkan.web.records.selectors import (
    WritePermission,
    record_write_permission,
)
from menkan.web.records.services import record_validator


@dataclass
class Change:
    """What one row does: create `model(**key, **fields)` (no `instance`), or update `instance` with `fields`
    (`changed` False: it already holds them)."""

    row: int
    model: type[models.Model]
    key: dict[str, Any]
    fields: dict[str, Any]
    instance: models.Model | None
    changed: bool


@dataclass
class Run:
    kind: ImportKind
    institution: Institution
    user: User
    scope: ImportScope
    table: Table
    report: ImportReport
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)  # field name → (index, header as written)
    changes: list[Change] = field(default_factory=list)
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)
    overflow: bool = False  # more than MAX_PROBLEMS problems: the rest are not listed
    permissions: dict[str, WritePermission] = field(default_factory=dict)
    validator: Callable[[Any], list[InputProblem]] | None = None

    def validate(self, document: dict[str, Any]) -> list[InputProblem]:
        """The problems of a record of the institution, as every write of records validates it."""
        if self.validator is None:
            self.validator = record_validator(self.institution)
        return self.validator(document)

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


# The rest of a record around one row's fragment: valid, so that every problem found is the fragment's own.
_HOLDER = {"schema": SCHEMA, "student_id": "-", "institution": "-", "department": "-", "admission_term": "100-1"}


# Valid values of the required fields of the fragments, standing in for a value already found wrong.
_STAND_INS: dict[str, Any] = {"code": "-", "title": "-", "credits": 0, "term": "100-1", "item": "-", "hours": 0}


def fragment_document(block: str, fragment: dict[str, Any]) -> dict[str, Any]:
    """A `menkan.student/1` document holding just this entry of `block` (what a row of an import validates as);
    `block` "" for the student's own fields (a row of the students' import)."""
    return {**_HOLDER, **fragment} if not block else {**_HOLDER, block: [fragment]}


def _field_of(block: str, path: Sequence[str | int]) -> str:
    """The field of the fragment a problem's path is in ("" for none)."""
    if not block:
        return str(path[0]) if len(path) == 1 else ""
    return str(path[2]) if len(path) > 2 and path[0] == block else ""


class Row:
    """One data row: its cells by field name, and the problems found in it."""

    def __init__(self, run: Run, number: int, cells: list[Any]) -> None:
        self.run = run
        self.number = number
        self.cells = cells
        self.bad = False
        self.failed: set[str] = set()  # the columns found wrong so far

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
        self.failed.add(name)
        self.run.problem(self.number, self.run.header(name), reason)

    def check(
        self,
        block: str,
        fragment: dict[str, Any],
        *,
        columns: Mapping[str, str] | None = None,
        hints: Mapping[str, str] | None = None,
    ) -> None:
        """The engine's validation of the row as a record fragment (one entry of `block`, with the field names of
        `menkan.student/1`): each problem is reported in the column its field came from (`columns` maps a field
        to another column), in the user's language, followed by the import's hint for its code (`hints`: what the
        column accepts) when there is one; a column already found wrong is not reported twice."""
        names = {column.name for column in LAYOUTS[self.run.kind]}
        columns = columns or {}
        fields = {columns.get(name, name): name for name in fragment}  # column → field
        # A field whose cell was found wrong is left to a stand-in, and so is each field the engine refuses, then
        # the fragment is validated again: a problem hidden behind another (a grade is read only in a record
        # that is otherwise valid) is found too.
        fragment = self._stand_ins(fragment, {fields[name] for name in self.failed if name in fields})
        for _attempt in range(3):
            problems = self.run.validate(fragment_document(block, fragment))
            if not problems:
                return
            refused = set()
            for problem in problems:
                path = problem.path
                field_name = _field_of(block, path)
                refused.add(field_name)
                name = columns.get(field_name, field_name)
                if name in self.failed:
                    continue
                reason = problem_reason(problem)
                hint = (hints or {}).get(problem.code)
                if hint:
                    reason = _("%(reason)s: expected %(accepted)s") % {"reason": reason, "accepted": hint}
                if name in names:
                    self.fail(name, reason)
                else:  # a field no column fills: the row as a whole
                    self.bad = True
                    self.failed.add(name)
                    self.run.problem(self.number, "", reason)
            if "" in refused:
                return
            fragment = self._stand_ins(fragment, refused)

    @staticmethod
    def _stand_ins(fragment: dict[str, Any], names: set[str]) -> dict[str, Any]:
        """The fragment with these fields replaced by valid stand-ins (a required one) or left out."""
        kept = {name: value for name, value in fragment.items() if name not in names}
        return {**{name: _STAND_INS[name] for name in names if name in _STAND_INS}, **kept}

    def duplicate(self, key: tuple[Any, ...], name: str, message: str) -> bool:
        """Whether `key` was in an earlier row (then the problem is `message`, which names that `%(row)s`)."""
        first = self.run.seen.get(key)
        if first is not None:
            self.fail(name, message % {"row": first})
            return True
        self.run.seen[key] = self.number
        return False


def headers_map(run: Run) -> None:
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


def students_of(run: Run) -> dict[str, Student]:
    index = run.columns["student_id"][0]
    ids = {cell_text(cells[index]) for _number, cells in run.table.rows if index < len(cells)}
    students = Student.objects.filter(institution=run.institution, student_id__in=ids - {""})
    return {s.student_id: s for s in students.select_related("department", "school_class")}


def row_student(row: Row, students: dict[str, Student]) -> Student | None:
    student_id = row.get("student_id", required)
    if student_id is None:
        return None
    student = students.get(student_id)
    if student is None:
        row.fail(
            "student_id",
            _("no student %(id)s in %(institution)s") % {"id": student_id, "institution": row.run.institution.code},
        )
    return student


def row_term(row: Row) -> str | None:
    year = row.raw("year")
    return row.get("term", lambda text: parse_term(required(text), year))


def change_plan(row: Row, model: type[models.Model], key: dict[str, Any], fields: dict[str, Any], existing: Any):
    changed = existing is None or any(getattr(existing, name) != value for name, value in fields.items())
    row.run.changes.append(Change(row.number, model, key, fields, existing, changed))


def row_permitted(row: Row, name: str, ref: str | None) -> WritePermission | None:
    """The permission to write the row's record of item or code `ref` (None, after recording the refusal in the
    column `name`, when the user may not: `record_write_permission` decides, as on every other page)."""
    if ref is None:
        return None
    permission = row.run.permission(ref)
    if not permission:
        row.fail(name, permission.reason)
        return None
    return permission


def row_unit(row: Row, existing: Any, owner: str | None) -> str | None:
    """The unit a row is registered for. The registrar: the 單位 cell as written (any unit, or none). Unit staff:
    the office owning the item (one of theirs, or the permission would have refused the row); a 單位 cell naming
    another unit is refused, and so is a change of a record that another unit (or the registrar) registered."""
    units = row.run.scope.units
    unit = row.get("unit", lambda text: limited(text, Activity, "unit")) if row.has("unit") else None
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
