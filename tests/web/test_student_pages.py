"""Student pages: each role sees only what it may; the home page shows every requirement; what-if stores nothing."""

from __future__ import annotations

import pytest

from menkan.web.audits.models import AuditResult
from menkan.web.records.models import CourseRecord

from .conftest import World, course

pytestmark = pytest.mark.django_db


def home_url(student) -> str:  # type: ignore[no-untyped-def]
    return f"/students/{student.institution.code}/{student.student_id}/"


def test_anonymous_visitor_is_sent_to_login(world: World) -> None:
    from django.test import Client

    response = Client().get(home_url(world.own))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "sees_own", "sees_other"),
    [
        ("student", True, False),
        ("other-student", False, True),
        ("mentor", True, False),
        ("department-officer", True, False),
        ("department-head", True, False),
        ("program-contact", False, False),
        ("program-head", False, False),
        ("unit-staff", False, False),
        ("registrar", True, True),
        ("foreign-registrar", False, False),
    ],
)
def test_each_role_sees_only_the_students_it_may(world: World, role: str, sees_own: bool, sees_other: bool) -> None:
    client = world.client(role)
    refused = 403 if role in ("student", "other-student") else 404  # a student may see nobody else; staff: as unknown
    assert client.get(home_url(world.own)).status_code == (200 if sees_own else refused)
    assert client.get(home_url(world.other)).status_code == (200 if sees_other else refused)
    listing = client.get("/students/").content.decode()
    assert (world.own.student_id in listing) is sees_own
    assert (world.other.student_id in listing) is sees_other


def test_student_home_page_shows_every_requirement_with_what_is_missing_and_the_citation(world: World) -> None:
    html = world.client("student").get(home_url(world.own)).content.decode()
    assert 'data-requirement="graduation.credits.free"' in html
    assert 'data-requirement="graduation.required-courses.dept-340"' in html
    assert "尚缺" in html  # what is missing, in zh-TW by default
    assert "NTUT 教務處" in html  # the regulation cited
    assert 'id="overall-status"' in html


def test_english_page_after_switching_language(world: World) -> None:
    client = world.client("student")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(home_url(world.own)).content.decode()
    assert "more needed" in html
    assert "Minimum graduation credits" in html


def test_a_record_change_re_audits_the_student_on_commit(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    world.client("student").get(home_url(world.own))  # stores the first audit
    before = AuditResult.objects.get(student=world.own).document
    with django_capture_on_commit_callbacks(execute=True):
        CourseRecord.objects.create(student=world.own, **{**course("3401004", "工程靜力學", 3, "112-2"), "credits": 3})
    after = AuditResult.objects.get(student=world.own).document
    assert after != before
    assert "3401004@112-2" in str(after)


def test_what_if_changes_nothing_stored(world: World) -> None:
    client = world.client("student")
    client.get(home_url(world.own))
    before = AuditResult.objects.get(student=world.own).document
    count = CourseRecord.objects.count()
    response = client.post(
        f"/audits/ntut/{world.own.student_id}/what-if/",
        {"planned": "3401004, 工程靜力學, 3, professional-required"},
    )
    assert response.status_code == 200
    assert "3401004@" in response.content.decode()
    assert CourseRecord.objects.count() == count
    assert AuditResult.objects.get(student=world.own).document == before


def test_what_if_reports_a_bad_planned_line(world: World) -> None:
    response = world.client("student").post(f"/audits/ntut/{world.own.student_id}/what-if/", {"planned": "X1, only"})
    assert "line 1: expected code, title, credits" in response.content.decode()


def test_audit_pdf_downloads(world: World) -> None:
    response = world.client("student").get(f"/audits/ntut/{world.own.student_id}/audit.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_one_time_password_forces_a_change_before_anything_else(world: World) -> None:
    from django.test import Client

    from menkan.web.accounts.services import user_create

    user_create("newcomer", password="Temporary-pass-123")
    client = Client()
    client.post("/accounts/login/", {"username": "newcomer", "password": "Temporary-pass-123"})
    response = client.get("/students/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/password/")


def test_login_is_throttled_after_repeated_failures(world: World) -> None:
    from django.test import Client

    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "registrar", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "registrar", "password": "correct-Horse-battery-9"})
    assert response.status_code == 429


def test_csrf_is_enforced_on_pages(world: World) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "registrar", "password": "x"})
    assert response.status_code == 403


def test_history_records_who_changed_a_grade(world: World) -> None:
    record = CourseRecord.objects.filter(student=world.own).first()
    assert record is not None
    record.grade = "59"
    record._history_user = world.users["registrar"]  # type: ignore[attr-defined]
    record.save()
    latest = record.history.first()  # type: ignore[attr-defined]
    assert latest.grade == "59"
    assert latest.history_user == world.users["registrar"]
