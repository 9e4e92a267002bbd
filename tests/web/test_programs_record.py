"""One store of registrations (the student record's `programs`, written by imports and the portal alike): the audit
and 我的微學程 agree for the demo student and after a change; the latest point of registration (最遲請學生於二年級
下學期加退選週前完成登記修讀) refused with the reason, on its last day still taken; exceptions recorded by program
staff or the registrar, with who and when, carried into the record and shown by the audit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from menkan.web.audits.models import AuditResult
from menkan.web.programs import services
from menkan.web.programs.models import RegistrationException
from menkan.web.programs.selectors import program_nodes, registrations_of
from menkan.web.records.models import Student
from menkan.web.records.services import student_import_document

from .conftest import World
from .test_programs_support import add_courses, calendar, publish_programs, term

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "src" / "menkan" / "demo" / "ntut.jsonl"
SENTENCE = "最遲請學生於二年級下學期加退選週前完成登記修讀"


def demo_student_document() -> dict[str, Any]:
    """The demo cohort's first NTUT student (土木系, registered in AVM in 112-2 in their record)."""
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8").splitlines()[0])
    assert document["programs"] == [{"program": "AVM", "registered_term": "112-2"}]
    return document


@pytest.fixture
def programs(world: World) -> World:
    publish_programs()
    return world


def page_registrations(world: World, student: Student) -> str:
    url = reverse("programs:student", kwargs={"institution": "ntut", "student_id": student.student_id})
    page = world.client("student").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return page[page.index('id="registrations"') : page.index('id="applications"')]


def audit_registration(student: Student, as_of: str, code: str = "AVM") -> dict[str, Any] | None:
    node = program_nodes(services.audit_as_of(student, as_of)).get(f"micro-program.{code}")
    if node is None:
        return None
    return next(child for child in node["children"] if child["id"].endswith(".registration"))


# --------------------------------------------------------------------------------------------------- one store


def test_the_audit_and_my_micro_programs_agree_for_the_demo_student(programs: World) -> None:
    own, _ = student_import_document(programs.institution, demo_student_document())  # the demo's B112340001
    own.user = programs.users["student"]
    own.save(update_fields=["user"])
    registration = audit_registration(own, "114-1")
    assert registration is not None and (registration["status"], registration["display"]) == ("met", "112-2")
    table = page_registrations(programs, own)
    assert 'data-program="AVM"' in table and "112-2" in table
    assert "Not registered in any micro-program." not in table
    calendar(programs.institution)  # a window open today (113-1), today in week 14 (applications taken)
    with translation.override("en"), pytest.raises(services.ProgramError, match="already registered in AVM"):
        services.registration_create(own, "AVM", user=None)
    # the application the page refused before ("not registered") is filed: registered, and the audit says met
    application = services.application_submit(own, "AVM", user=None)
    assert application.program_result is not None and application.program_result["status"] == "met"


def test_a_change_in_the_portal_is_what_the_audit_reads(programs: World) -> None:
    own, _ = student_import_document(programs.institution, demo_student_document())
    own.user = programs.users["student"]
    own.save(update_fields=["user"])
    calendar(programs.institution)  # 113-1's window open today
    services.registration_create(own, "AV2", user=programs.users["student"])
    own.refresh_from_db()
    assert own.standing["programs"] == [
        {"program": "AVM", "registered_term": "112-2", "withdrawn_term": "113-1"},
        {"program": "AV2", "registered_term": "113-1"},
    ]
    assert audit_registration(own, "113-1", "AVM") is None  # withdrawn
    registration = audit_registration(own, "113-1", "AV2")
    assert registration is not None and registration["display"] == "113-1"
    table = page_registrations(programs, own)
    assert 'data-program="AV2"' in table and 'data-program="AVM"' in table
    # a re-import of the record is the same store: what it says is what the portal shows
    document = demo_student_document()
    student_import_document(programs.institution, document)
    own.refresh_from_db()
    assert [(r.program, r.active) for r in registrations_of(own)] == [("AVM", True)]


# --------------------------------------------------------------------------------------------------- deadline


def test_registration_on_the_last_day_of_the_add_drop_week_is_taken_and_the_day_after_refused(
    programs: World,
) -> None:
    spring = term(programs, "113-2", date(2025, 2, 17))  # the world's students: admitted 112-1, deadline 113-2
    last_day = spring.add_drop_ends
    with translation.override("en"), pytest.raises(services.ProgramError) as refused:
        services.registration_create(programs.own, "AVM", user=None, today=last_day + timedelta(days=1))
    message = str(refused.value)
    assert message.startswith(
        "Too late to register in AVM: the latest point was 2025-03-02, the add/drop week of 113-2"
    )
    assert "exception" in message
    with translation.override("zh-hant"), pytest.raises(services.ProgramError) as refused_zh:
        services.registration_create(programs.own, "AVM", user=None, today=last_day + timedelta(days=1))
    assert "已逾 AVM 登記修讀期限" in str(refused_zh.value) and SENTENCE in str(refused_zh.value)
    assert services.registration_create(programs.own, "AVM", user=None, today=last_day).registered_term == "113-2"


def test_a_later_term_is_refused_and_a_transfer_student_counts_from_the_year_admitted_into(programs: World) -> None:
    term(programs, "114-1", date(2025, 9, 8))
    with pytest.raises(services.ProgramError, match="113-2"):
        services.registration_create(programs.own, "AVM", user=None, today=date(2025, 9, 10))
    transfer = Student.objects.get(pk=programs.own.pk)
    transfer.admission_term, transfer.admitted_into_year = "114-1", 2  # into year 2 in 114-1: deadline 114-2
    transfer.save(update_fields=["admission_term", "admitted_into_year"])
    assert services.registration_create(transfer, "AVM", user=None, today=date(2025, 9, 10)).registered_term == "114-1"


def test_the_page_says_the_deadline_has_passed(programs: World) -> None:
    term(programs, "114-1", date(2025, 9, 8))
    url = reverse("programs:student", kwargs={"institution": "ntut", "student_id": programs.own.student_id})
    with override_settings(MENKAN_TODAY=date(2025, 9, 10)):  # in 114-1's window
        page = programs.client("student").get(url).content.decode()
    assert 'id="too-late"' in page and SENTENCE in page and "須由微學程聯絡人" in page
    register = reverse("programs:register", kwargs={"institution": "ntut", "student_id": programs.own.student_id})
    assert f'action="{register}"' not in page


# --------------------------------------------------------------------------------------------------- exceptions


def test_an_exception_recorded_by_the_program_contact_lets_the_student_register_late(programs: World) -> None:
    term(programs, "114-1", date(2025, 9, 8))
    url = reverse("programs:exceptions")
    contact = programs.client("program-contact")  # AVM's contact
    fields = {"student_id": programs.own.student_id, "program": "AVM", "reason": "轉系生，系主任同意"}
    assert contact.post(url, fields).status_code == 302
    granted = RegistrationException.objects.get()
    assert (granted.granted_by, granted.reason, granted.used_term) == (
        programs.users["program-contact"],
        "轉系生，系主任同意",
        "",
    )
    registered = services.registration_create(programs.own, "AVM", user=None, today=date(2025, 9, 10))
    assert registered.registered_term == "114-1"
    own = Student.objects.get(pk=programs.own.pk)
    entry = own.standing["programs"][0]
    assert entry["exception"]["reason"] == "轉系生，系主任同意"
    assert entry["exception"]["approved_by"] == "program-contact"
    assert entry["exception"]["approved_on"] == timezone.localdate(granted.granted_at).isoformat()
    granted.refresh_from_db()
    assert granted.used_term == "114-1"
    registration = audit_registration(own, "114-1")
    assert registration is not None and registration["status"] == "met"
    assert registration["details"]["late"] is True and registration["details"]["exception"] == entry["exception"]
    assert "核准例外" in registration["notes"][0]["zh-TW"] and SENTENCE in registration["notes"][0]["zh-TW"]
    listing = contact.get(url).content.decode()
    assert "轉系生，系主任同意" in listing and "114-1" in listing
    table = page_registrations(programs, own)
    assert "allowed by exception" in table and "轉系生，系主任同意" in table
    # the student's audit page (as of the record's last term, 114-1 here) shows the note, with the sentence
    add_courses(
        own, [{"code": "1001002", "title": "體育", "credits": 0, "term": "114-1", "grade": "80", "category": ""}]
    )
    AuditResult.objects.filter(student=own).delete()
    home = reverse("records:student-home", kwargs={"institution": "ntut", "student_id": own.student_id})
    audit_page = programs.client("student").get(home).content.decode()
    assert 'class="note"' in audit_page and "核准例外" in audit_page and SENTENCE in audit_page


def test_only_program_staff_and_the_registrar_record_exceptions(programs: World) -> None:
    url = reverse("programs:exceptions")
    fields = {"student_id": programs.own.student_id, "program": "AVM", "reason": "late"}
    for role in ("student", "mentor", "department-head"):
        assert programs.client(role).get(url).status_code == 403
        assert programs.client(role).post(url, fields).status_code == 403
    # AVM's contact may not allow AV2
    assert programs.client("program-contact").post(url, {**fields, "program": "AV2"}).status_code == 403
    assert programs.client("registrar").post(url, {**fields, "program": "AV2"}).status_code == 302
    no_reason = programs.client("registrar").post(url, {**fields, "reason": " "}, HTTP_ACCEPT_LANGUAGE="en")
    assert no_reason.status_code == 200 and "needs a reason" in no_reason.content.decode()
    assert list(RegistrationException.objects.values_list("program", flat=True)) == ["AV2"]
