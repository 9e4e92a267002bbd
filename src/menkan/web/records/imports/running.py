"""An import run: validate the whole file, then apply it in one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from menkan.web.accounts.api import User
from menkan.web.records.imports.layouts import KIND_NAMES, KINDS, ImportKind
from menkan.web.records.imports.permissions import import_scope
from menkan.web.records.imports.planners import PLANNERS
from menkan.web.records.imports.planning import Change, Run, headers_map
from menkan.web.records.imports.reading import ImportFileError, table_read
from menkan.web.records.imports.report import MAX_PROBLEMS, ImportProblem, ImportReport
from menkan.web.records.models import (
    Department,
    Institution,
    SchoolClass,
)


def _apply(run: Run) -> None:
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


def _count(report: ImportReport, changes: Iterable[Change]) -> None:
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
    run = Run(kind, institution, user, scope, table, report)
    headers_map(run)
    if report.problems:
        return report
    if not table.rows:
        report.problems.append(ImportProblem(table.header_row, "", _("the file has a header but no data rows")))
        return report
    if not apply:
        PLANNERS[kind](run)
        _in_file_order(run)
        if report.ok:
            _count(report, run.changes)
        return report
    try:
        with transaction.atomic():
            PLANNERS[kind](run)  # inside the transaction: what is compared is what gets written
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


def _in_file_order(run: Run) -> None:
    """Problems by row, and within a row from left to right (as the user reads the file); a last line says when
    there were more than are listed."""
    position = {header: index for index, header in reversed(list(enumerate(run.table.headers)))}
    run.report.problems.sort(key=lambda p: (p.row, position.get(p.column, len(position))))
    if run.overflow:
        more = _("more than %(limit)s problems: only the first are listed") % {"limit": MAX_PROBLEMS}
        run.report.problems.append(ImportProblem(0, "", more))
