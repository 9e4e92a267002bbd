"""Exports of records in the import layout (the file re-imports unchanged)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from menkan.web.accounts.api import User
from menkan.web.exports import xlsx_bytes
from menkan.web.records.codec import block_columns, fragment
from menkan.web.records.imports.layouts import KIND_OF_CATEGORY, KINDS, LAYOUTS, ImportKind
from menkan.web.records.models import (
    CourseRecord,
    Institution,
    RecordException,
    Student,
)
from menkan.web.records.selectors import (
    activities_visible_to,
    certificates_visible_to,
    students_visible_to,
)


def _records(queryset: QuerySet[Any], block: str, *extra: str) -> Iterator[tuple[str, dict[str, Any], list[Any]]]:
    """Each row as (student id, its entry of `menkan.student/1` by the record codec, the `extra` columns)."""
    for student_id, *values in queryset.values_list("student__student_id", *block_columns(block), *extra):
        cut = len(values) - len(extra)
        yield student_id, fragment(block, values[:cut]), values[cut:]


def _export_rows(kind: str, user: User, institution: Institution | None) -> Iterator[list[Any]]:
    """The rows of the export: each record as the codec reads it, written in the import's layout (the category as
    its 選別 word too, yes / no as Y / N): what the import reads back into the same record."""
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
        courses = CourseRecord.objects.filter(student__in=students).order_by("student__student_id", "term", "code")
        for student_id, c, _extra in _records(courses, "courses"):
            category = c.get("category", "")
            yield [
                student_id,
                c["term"],
                c["code"],
                c["title"],
                c["credits"],
                c.get("offered_by", ""),
                KIND_OF_CATEGORY.get(category, category),
                c.get("grade") or "",
                category,
                c.get("delivery", "in-person"),
                "; ".join(c.get("tags", ())),
                "Y" if c.get("transfer") else "N",
                c.get("level", ""),
            ]
    elif kind == "activities":
        activities = activities_visible_to(user)
        if institution is not None:
            activities = activities.filter(student__institution=institution)
        activities = activities.order_by("student__student_id", "term", "item", "title", "id")
        for student_id, a, _extra in _records(activities, "activities"):
            yield [
                student_id,
                a["item"],
                a["hours"],
                a["term"],
                a["title"],
                a.get("unit", ""),
                dt.date.fromisoformat(a["date"]) if "date" in a else None,
                "Y" if a.get("passed", True) else "N",
            ]
    elif kind == "exceptions":
        approved = RecordException.objects.filter(status=RecordException.Status.APPROVED)
        approved = approved.filter(student__in=students_visible_to(user)).select_related("student")
        if institution is not None:
            approved = approved.filter(student__institution=institution)
        for e in approved.order_by("student__student_id", "pk"):
            yield [
                e.student.student_id,
                e.kind,
                e.requirement,
                e.course,
                e.replaces,
                e.recognised_as,
                e.amount,
                e.credits,
                e.category,
                ",".join(e.tags or []),
                e.title,
                e.term,
                e.reason,
            ]
    else:
        certificates = certificates_visible_to(user)
        if institution is not None:
            certificates = certificates.filter(student__institution=institution)
        certificates = certificates.order_by("student__student_id", "term", "code")
        # the unit is who registered the certificate, a column of the row but no field of the record
        for student_id, c, (unit,) in _records(certificates, "certificates", "unit"):
            yield [student_id, c["code"], c["title"], c["term"], c.get("level", ""), unit]


def export_headers(kind: ImportKind) -> list[str]:
    """The header an export writes for each column (the first name of each, as docs/import.md lists them)."""
    return [column.headers[0] for column in LAYOUTS[kind] if column.name != "year"]


def records_export(*, kind: ImportKind, user: User, institution: Institution | None = None) -> bytes:
    """The records of `kind` that `user` may see (of one institution, or all), as XLSX in the import layout:
    the file re-imports unchanged."""
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    return xlsx_bytes(export_headers(kind), _export_rows(kind, user, institution), title=kind)
