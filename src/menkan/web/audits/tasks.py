"""Celery tasks (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

from menkan.web.audits import services
from menkan.web.records.models import Student


@shared_task(name="menkan.audit_students")
def audit_students_task(pks: list[int]) -> None:
    students = list(Student.objects.filter(pk__in=pks).select_related("institution", "department", "school_class"))
    services.students_audit(students)


@shared_task(name="menkan.batch_chunk")
def batch_chunk_task(run_pk: int, pks: list[int]) -> None:
    services.batch_chunk(run_pk, pks)
