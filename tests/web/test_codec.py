"""The record codec: the fast batch path and the plain path read equal records, and a written record reads back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from menkan.engine import iter_students, load_shipped, shipped_institutions, student_from_dict, student_to_dict
from menkan.web.portal import DEMO_DIR
from menkan.web.records.codec import engine_inputs, student_document, student_documents
from menkan.web.records.models import Institution, Student
from menkan.web.records.services import institution_sync, student_import_document

# A record with every block of `menkan.student/1` and every optional field of a course, activity and certificate.
EVERY_BLOCK: dict[str, Any] = {
    "schema": "menkan.student/1",
    "student_id": "B112990001",
    "institution": "ntut",
    "department": "340",
    "division": "evening-bachelor",
    "degree": "bachelor",
    "admission_term": "111-1",
    "admitted_into_year": 2,
    "name": "全欄位",
    "class_code": "340-111",
    "flags": ["indigenous", "transfer-in"],
    "courses": [
        {
            "code": "1401032",
            "title": "微積分",
            "credits": 3,
            "term": "111-1",
            "grade": "85",
            "offered_by": "14",
            "category": "professional-required",
            "tags": ["math", "core"],
            "level": "undergraduate",
        },
        {"code": "1404006", "title": "國文", "credits": 2.5, "term": "111-1", "grade": "W", "delivery": "remote"},
        {"code": "T001", "title": "抵免科目", "credits": 0, "term": "111-2", "grade": "P", "transfer": True},
        {"code": "1500001", "title": "修課中", "credits": 1.5, "term": "112-1"},
    ],
    "activities": [
        {"item": "social", "hours": 8, "term": "111-2", "title": "淨灘志工", "unit": "學務處", "date": "2023-03-04"},
        {"item": "improvement", "hours": 1.5, "term": "112-1", "title": "講座", "passed": False},
    ],
    "certificates": [
        {"code": "TQC-01", "title": "TQC 文書處理", "term": "111-2", "level": "專業級"},
        {"code": "TOEIC", "title": "多益", "term": "112-1"},
    ],
    "enrollment": [{"term": "111-1"}, {"term": "111-2", "status": "leave", "reason": "服役"}, {"term": "112-1"}],
    "ethics": [{"term": "111-1", "passed": True, "score": 85}],
    "programs": [
        {
            "program": "AVM",
            "registered_term": "111-2",
            "exception": {"reason": "系主任同意", "approved_by": "系主任", "approved_on": "2023-02-20"},
        }
    ],
    "degree_exams": [{"kind": "qualifying", "term": "112-1", "passed": True, "score": 80.5}],
    "extensions": [{"years": 1, "reason": "credits", "term": "112-1"}],
    "ranks": [{"term": "111-1", "position": 3, "size": 50}],
}


def _record(document: dict[str, Any]) -> dict[str, Any]:
    return student_to_dict(student_from_dict(document))


def _without_ids(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the row ids the codec gives activities and certificates (the written document has none)."""
    blocks = {
        name: [{k: v for k, v in entry.items() if k != "id"} for entry in record.get(name, [])]
        for name in ("activities", "certificates")
    }
    return {**record, **{name: entries for name, entries in blocks.items() if entries}}


def _assert_paths_agree(students: list[Student]) -> None:
    """Equal records as dicts, and as engine records down to each Decimal's exponent (their repr)."""
    plain = {student.pk: student_from_dict(document) for student, document in student_documents(students)}
    batch = {item.pk: item.record() for item in engine_inputs(s.pk for s in students)}
    assert {pk: student_to_dict(record) for pk, record in batch.items()} == {
        pk: student_to_dict(record) for pk, record in plain.items()
    }
    assert {pk: repr(record) for pk, record in batch.items()} == {pk: repr(record) for pk, record in plain.items()}
    assert len(plain) == len(students)


@pytest.mark.django_db
def test_the_batch_and_plain_paths_read_equal_records_for_the_demo_cohort() -> None:
    for code in shipped_institutions():
        institution_sync(load_shipped(code))
    for path in sorted(DEMO_DIR.glob("*.jsonl")):
        for record in iter_students(path):
            student_import_document(Institution.objects.get(code=record.institution), student_to_dict(record))
    students = list(Student.objects.select_related("institution", "department", "school_class").order_by("pk"))
    assert len(students) > 50
    _assert_paths_agree(students)


@pytest.mark.django_db
def test_a_record_with_every_block_is_read_alike_by_both_paths_and_reads_back_as_written() -> None:
    institution = Institution.objects.create(code="ntut", name_zh="臺北科大")
    written = _record(EVERY_BLOCK)
    student, changed = student_import_document(institution, EVERY_BLOCK)
    assert changed
    other, _ = student_import_document(institution, {**EVERY_BLOCK, "student_id": "B112990002", "courses": []})
    _assert_paths_agree([student, other])
    read = _record(student_document(student))
    assert _without_ids(read) == written
    assert read["activities"][0]["id"].startswith("activity-")
    # written again, the same document changes nothing
    assert student_import_document(institution, student_document(student))[1] is False


@pytest.mark.django_db
def test_approved_exceptions_are_read_alike_by_both_paths_and_only_approved_ones() -> None:
    from django.utils import timezone

    from menkan.web.accounts.models import User
    from menkan.web.records.models import RecordException

    institution = Institution.objects.create(code="ntut", name_zh="臺北科大")
    student, _ = student_import_document(institution, EVERY_BLOCK)
    plain, _ = student_import_document(institution, {**EVERY_BLOCK, "student_id": "B112990002"})
    head = User.objects.create(username="head340", first_name="系主任")
    common = {"student": student, "decided_by": head, "decided_at": timezone.now(), "status": "approved"}
    recognised = RecordException.objects.create(
        kind="recognise",
        requirement="micro-program.AVM.cross-domain",
        course="1401032",
        recognised_as="cross-domain",
        reason="系認定",
        **common,
    )
    granted = RecordException.objects.create(
        kind="credit",
        requirement="graduation.credits",
        credits=Decimal("2.5"),
        category="free",
        tags=["a"],
        reason="抵免",
        term="111-2",
        **common,
    )
    RecordException.objects.create(kind="waive", requirement="x", reason="未核", student=student, amount=1)
    _assert_paths_agree([student, plain])
    exceptions = student_document(student)["exceptions"]
    assert [e["id"] for e in exceptions] == [recognised.record_id, granted.record_id]
    assert exceptions[0]["as"] == "cross-domain" and exceptions[0]["approved_by"] == "系主任"
    assert exceptions[1]["credits"] == 2.5 and exceptions[1]["tags"] == ["a"]
    assert "exceptions" not in student_document(plain)
