"""Any change to a student's records is announced (`hooks.student_records_changed`); audits re-audits on it."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from menkan.web.records.hooks import student_records_changed
from menkan.web.records.models import Activity, Certificate, CourseRecord, RecordException, Student


@receiver([post_save, post_delete], sender=CourseRecord)
@receiver([post_save, post_delete], sender=Activity)
@receiver([post_save, post_delete], sender=Certificate)
def _record_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    student_records_changed.send(sender=sender, student_pk=instance.student_id)


@receiver(post_save, sender=Student)
def _student_changed(sender: type, instance: Student, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    student_records_changed.send(sender=sender, student_pk=instance.pk)


@receiver([post_save, post_delete], sender=RecordException)
def _exception_changed(sender: type, instance: RecordException, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    student_records_changed.send(sender=sender, student_pk=instance.student_id)
