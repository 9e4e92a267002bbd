"""Exports of records in the import layout (the file re-imports unchanged)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from menkan.web.accounts.models import User
from menkan.web.exports import xlsx_bytes
from menkan.web.records.imports.layouts import KIND_OF_CATEGORY, KINDS, LAYOUTS, ImportKind
from menkan.web.records.models import (
    CourseRecord,
    Institution,
    Student,
)
from menkan.web.records.selectors import (
    activities_visible_to,
    certificates_visible_to,
    students_visible_to,
)


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
