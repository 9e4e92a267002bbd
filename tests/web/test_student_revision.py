"""Student.revision, kept by database triggers: every way a student's engine document changes bumps it (the ORM,
QuerySet.update(), bulk_create, raw SQL), and the next batch audits exactly the students it bumped."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from menkan.web.audits.models import AuditResult
from menkan.web.audits.services import batch_audit_create, batch_audit_start, student_audit
from menkan.web.records.models import Activity, Certificate, CourseRecord, Department, Student
from menkan.web.records.services import (
    exception_approve,
    exception_propose,
    exception_revoke,
    student_programs_save,
)

from .conftest import World

TRIGGERS = {
    "records_revision_student",
    "records_revision_decider",
    *(f"records_{table}_revision_code" for table in ("department", "schoolclass", "institution")),
    *(
        f"records_{table}_revision_{event}"
        for table in ("courserecord", "activity", "certificate", "recordexception")
        for event in ("insert", "update", "delete")
    ),
}


def _revisions() -> dict[int, int]:
    return dict(Student.objects.values_list("pk", "revision"))


def _bumped(before: dict[int, int]) -> set[int]:
    after = _revisions()
    assert all(after[pk] >= before[pk] for pk in before), "a revision went back"
    return {pk for pk, revision in after.items() if revision != before.get(pk)}


def _stamps() -> dict[int, tuple[Any, str]]:
    return {pk: (at, key) for pk, at, key in AuditResult.objects.values_list("student", "computed_at", "input_hash")}


def _re_audited(before: dict[int, tuple[Any, str]]) -> set[int]:
    return {pk for pk, stamp in _stamps().items() if before.get(pk) != stamp}


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_migration_created_every_trigger(db: Any) -> None:
    # (SQLite drops a table's triggers when a migration remakes the table: this says which went missing)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert names >= TRIGGERS


# --- each change bumps exactly its student ------------------------------------------------------------------------


def _bulk_update_grade(world: World) -> None:
    assert CourseRecord.objects.filter(student=world.own, code="1404006").update(grade="40") == 1


def _raw_insert_course(world: World) -> None:
    _raw(
        "INSERT INTO records_courserecord (student_id, code, title, credits, term, grade, offered_by, category, tags,"
        " delivery, transfer, level) VALUES (%s, 'X1', '新課', 2, '112-2', '90', '', 'free', '[]', 'in-person',"
        " %s, '')",
        [world.own.pk, False],
    )


def _delete_course(world: World) -> None:
    CourseRecord.objects.filter(student=world.own, code="1401032").delete()


def _raw_delete_course(world: World) -> None:
    _raw("DELETE FROM records_courserecord WHERE student_id = %s AND code = '1401032'", [world.own.pk])


def _bulk_create_activities(world: World) -> None:
    Activity.objects.bulk_create(
        [Activity(student=world.own, item="service", hours=Decimal(2), term="112-1", title=f"服務{n}") for n in (1, 2)]
    )


def _certificate_added_and_changed(world: World) -> None:
    certificate = Certificate.objects.create(student=world.own, code="TOEIC", title="多益", term="112-1")
    Certificate.objects.filter(pk=certificate.pk).update(level="金色")


def _registration_added(world: World) -> None:
    student_programs_save(world.own, [{"program": "AVM", "registered_term": "113-1"}])


def _student_field_updated(world: World) -> None:
    Student.objects.filter(pk=world.own.pk).update(flags=["disability"])


def _student_saved_from_a_stale_instance(world: World) -> None:
    stale = Student.objects.get(pk=world.own.pk)
    CourseRecord.objects.filter(student=world.own).update(grade="10")  # bumps the row, not `stale`
    stale.name = "改名"
    stale.save()  # writes the old revision back with the new name: the trigger still counts up


def _department_renamed(world: World) -> None:
    Department.objects.filter(pk=world.own.department_id).update(code="340X")


CHANGES: dict[str, Callable[[World], None]] = {
    "a bulk QuerySet.update() of a grade": _bulk_update_grade,
    "a raw SQL insert": _raw_insert_course,
    "an ORM delete": _delete_course,
    "a raw SQL delete": _raw_delete_course,
    "activities bulk-created": _bulk_create_activities,
    "a certificate added and updated": _certificate_added_and_changed,
    "a programme registration added": _registration_added,
    "the student row's own field": _student_field_updated,
    "a save from a stale instance": _student_saved_from_a_stale_instance,
    "the department's code": _department_renamed,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_change_bumps_that_student_and_the_next_batch_audits_only_them(world: World, change: str) -> None:
    batch_audit_start()
    before, stamps = _revisions(), _stamps()
    CHANGES[change](world)
    assert _bumped(before) == {world.own.pk}
    run = batch_audit_start()
    assert (run.audited, run.skipped, run.failed, run.done) == (1, run.total - 1, 0, run.total)
    assert _re_audited(stamps) == {world.own.pk}
    settled = batch_audit_start()
    assert (settled.audited, settled.skipped) == (0, run.total)


def test_what_is_not_in_the_document_does_not_bump(world: World) -> None:
    before = _revisions()
    world.own.save()  # nothing changed
    Student.objects.filter(pk=world.own.pk).update(user=None)
    CourseRecord.objects.filter(student=world.own).update(grade="85")  # (the grades it has: no row changes)
    Certificate.objects.create(student=world.other, code="C", title="證照", term="112-1")
    Certificate.objects.filter(student=world.other).update(unit="教務處")  # a certificate's unit is not in it
    assert _bumped(before) == {world.other.pk}  # the certificate added, only


def test_an_exception_bumps_when_approved_and_revoked_not_when_proposed(world: World) -> None:
    batch_audit_start()
    fields = {"kind": "exclude", "requirement": "graduation.credits.common-required.school-common"}
    fields |= {"course": "1404006", "reason": "重複修習"}
    before, stamps = _revisions(), _stamps()
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    assert _bumped(before) == set() and batch_audit_start().audited == 0
    exception_approve(world.users["department-head"], proposed.pk)
    assert _bumped(before) == {world.own.pk}
    run = batch_audit_start()
    assert run.audited == 1 and _re_audited(stamps) == {world.own.pk}
    # the decider's name is the exception's `approved_by`
    before, stamps = _revisions(), _stamps()
    head = world.users["department-head"]
    head.first_name = "主任"
    head.save()
    assert _bumped(before) == {world.own.pk}
    before = _revisions()
    world.users["registrar"].save()  # decided nothing
    assert _bumped(before) == set()
    before, stamps = _revisions(), _stamps()
    exception_revoke(head, proposed.pk, "錯誤")
    assert _bumped(before) == {world.own.pk}
    run = batch_audit_start()
    assert run.audited == 1 and _re_audited(stamps) == {world.own.pk}


def test_a_raw_sql_update_of_an_approved_exception_bumps(world: World) -> None:
    fields = {"kind": "exclude", "requirement": "graduation.credits.common-required.school-common"}
    fields |= {"course": "1404006", "reason": "重複修習"}
    exception = exception_propose(world.users["department-officer"], world.own, fields)
    exception_approve(world.users["department-head"], exception.pk)
    before = _revisions()
    _raw("UPDATE records_recordexception SET reason = %s WHERE id = %s", ["另一理由", exception.pk])
    assert _bumped(before) == {world.own.pk}


# --- what the run finds, and where ------------------------------------------------------------------------------


def test_the_run_finds_the_unchanged_when_created_and_its_chunks_carry_only_the_changed(world: World) -> None:
    batch_audit_start()
    _bulk_update_grade(world)
    run, chunks = batch_audit_create(chunk=1)
    total = Student.objects.count()
    assert chunks == [[world.own.pk]]
    assert (run.total, run.done, run.skipped) == (total, total - 1, total - 1)
    run, chunks = batch_audit_create(chunk=1, full=True)
    assert len(chunks) == total and (run.done, run.skipped) == (0, 0)


def test_a_live_audit_stores_the_key_a_batch_skips(world: World) -> None:
    batch_audit_start()
    _bulk_update_grade(world)
    assert student_audit(Student.objects.get(pk=world.own.pk)) is not None  # as a page audits
    stamps = _stamps()
    run = batch_audit_start()
    assert (run.audited, run.skipped) == (0, run.total) and _re_audited(stamps) == set()


def test_a_student_audited_after_the_run_was_created_is_counted_unchanged_by_the_chunk(world: World) -> None:
    from menkan.web.audits.services import batch_dispatch

    batch_audit_start()
    _bulk_update_grade(world)
    run, chunks = batch_audit_create()
    student_audit(Student.objects.get(pk=world.own.pk))  # a page, before the chunk ran
    batch_dispatch(run, chunks)
    run.refresh_from_db()
    assert (run.state, run.audited, run.skipped, run.done) == ("done", 0, run.total, run.total)


def test_the_time_zone_is_part_of_the_key(world: World, settings: Any) -> None:
    # an exception's `approved_on` is its decision's day in the site's time zone
    batch_audit_start()
    settings.TIME_ZONE = "UTC" if settings.TIME_ZONE != "UTC" else "Asia/Taipei"
    assert batch_audit_start().audited == Student.objects.count()


def test_a_deleted_student_is_not_counted(world: World) -> None:
    batch_audit_start()
    world.other.delete()
    run = batch_audit_start()
    assert (run.total, run.skipped, run.audited) == (Student.objects.count(), Student.objects.count(), 0)
