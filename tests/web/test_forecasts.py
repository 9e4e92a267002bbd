"""Early-warning pages: the registrar's and the mentors' forecasts from the stored snapshot, who may see them, and
the at-risk list turned into notices (the notices app's notice to chosen students)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from tests.web.conftest import PASSWORD, World, student_document

from menkan.web.accounts.services import user_create, user_password_change
from menkan.web.audits.services import students_audit
from menkan.web.forecasts.models import StudentForecast
from menkan.web.forecasts.services import forecasts_compute
from menkan.web.notices.models import NoticeLog, NoticeMessage
from menkan.web.records.models import SchoolClass, Student
from menkan.web.records.services import student_import_document

pytestmark = pytest.mark.django_db


def _far_behind(world: World) -> Student:
    """A NTUT student of the mentor's class in their last semester with 4 credits of 132: cannot finish."""
    document = student_document("B112340009", "340", "CE-112")
    document["enrollment"] = [{"term": t, "status": "enrolled"} for t in ("115-2",)]
    student, _ = student_import_document(world.institution, document)
    return student


def _snapshot(world: World) -> None:
    extra = _far_behind(world)
    students_audit([world.own, world.other, extra, world.foreign])
    forecasts_compute(world.institution, today=date(2026, 3, 1))


def test_the_snapshot_is_made_from_the_stored_audits(world: World) -> None:
    _snapshot(world)
    rows = {row.student.student_id: row for row in StudentForecast.objects.select_related("student")}
    assert set(rows) == {"B112340001", "B112590001", "B112340009"}  # this institution's, nobody else's
    row = rows["B112340001"]
    assert row.document["schema"] == "menkan.forecast/1"
    assert row.document["reasons"] and row.verdict in ("on-track", "at-risk", "cannot-finish")
    assert row.as_of == row.student.audit.as_of


def test_the_registrar_sees_counts_and_filters(world: World) -> None:
    _snapshot(world)
    client = world.client("registrar")
    page = client.get(reverse("forecasts:institution", args=["ntut"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "B112340001" in body and "B112590001" in body
    total = StudentForecast.objects.filter(institution=world.institution).count()
    counts = page.context["counts"].total
    assert sum(counts.values()) == total
    only = client.get(reverse("forecasts:institution", args=["ntut"]), {"department": "590"})
    assert "B112590001" in only.content.decode() and "B112340001" not in only.content.decode()
    verdict = StudentForecast.objects.get(student=world.own).verdict
    chosen = client.get(reverse("forecasts:institution", args=["ntut"]), {"verdict": verdict})
    assert all(row.verdict == verdict for row in chosen.context["page"])


def test_the_mentor_sees_only_the_class(world: World) -> None:
    _snapshot(world)
    client = world.client("mentor")
    code = world.own.school_class.code  # type: ignore[union-attr]
    page = client.get(reverse("forecasts:class", args=["ntut", code]))
    assert page.status_code == 200
    ids = {row.student.student_id for row in page.context["page"]}
    assert "B112340001" in ids and "B112590001" not in ids
    other_class = world.other.school_class.code  # type: ignore[union-attr]
    assert client.get(reverse("forecasts:class", args=["ntut", other_class])).status_code == 403
    assert client.get(reverse("forecasts:institution", args=["ntut"])).status_code == 403


@pytest.mark.parametrize("role", ["student", "foreign-registrar", "unit-staff", "department-officer"])
def test_others_are_refused(world: World, role: str) -> None:
    _snapshot(world)
    client = world.client(role)
    code = world.own.school_class.code  # type: ignore[union-attr]
    assert client.get(reverse("forecasts:institution", args=["ntut"])).status_code == 403
    assert client.get(reverse("forecasts:class", args=["ntut", code])).status_code == 403
    assert client.post(reverse("forecasts:refresh", args=["ntut"])).status_code == 403
    index = client.get(reverse("forecasts:index"))
    if role == "foreign-registrar":  # their own institution's page, not this one's
        assert index.status_code == 302 and index["Location"] == reverse("forecasts:institution", args=["nycu"])
    else:
        assert index.status_code == 403


def test_another_class_mentor_is_refused(world: World) -> None:
    _snapshot(world)
    stranger = world.users["department-head"]
    SchoolClass.objects.filter(pk=world.other.school_class_id).update(mentor=stranger)
    client = world.client("department-head")
    code = world.own.school_class.code  # type: ignore[union-attr]
    assert client.get(reverse("forecasts:class", args=["ntut", code])).status_code == 403


def test_the_registrar_can_recompute(world: World) -> None:
    students_audit([world.own])
    response = world.client("registrar").post(reverse("forecasts:refresh", args=["ntut"]))
    assert response.status_code == 302
    assert StudentForecast.objects.filter(student=world.own).exists()  # no broker: it ran in-process


def _at_risk_post(world: World, client: Any) -> dict[str, Any]:
    page = client.get(reverse("forecasts:institution", args=["ntut"]))
    at_risk = page.context["at_risk"]
    assert "B112340009" in at_risk and reverse("notices:message-compose") in page.content.decode()
    return {"institution": "ntut", "students": at_risk}


def test_the_at_risk_list_becomes_notices_sent_once(world: World) -> None:
    _snapshot(world)
    client = world.client("registrar")
    posted = _at_risk_post(world, client)
    preview = client.post(reverse("notices:message-compose"), posted)
    assert preview.status_code == 200 and "B112340009" in preview.content.decode()
    assert not NoticeMessage.objects.exists() and not mail.outbox  # the preview sends nothing
    token = preview.context["token"]
    form = {**posted, "token": token, "send": "1", "subject": "請與導師聯繫", "body": "畢業預警", "to_mentors": "on"}
    sent = client.post(reverse("notices:message-compose"), form)
    assert sent.status_code == 302
    message = NoticeMessage.objects.get()
    students = {entry.student.student_id for entry in message.logs.filter(audience="student")}
    assert students == set(posted["students"])
    assert message.logs.filter(audience="mentor", user=world.users["mentor"]).exists()
    again = client.post(reverse("notices:message-compose"), form)  # the same form twice: sent once
    assert again.status_code == 302 and NoticeMessage.objects.count() == 1
    assert NoticeLog.objects.filter(message=message).count() == len(students) + 1
    # the student finds it among their notices and may read it
    far = Student.objects.get(student_id="B112340009")
    far.user, _ = user_create("far-student")
    user_password_change(far.user, PASSWORD)
    far.save(update_fields=["user"])
    reader = Client()
    reader.force_login(far.user)
    assert "請與導師聯繫" in reader.get(reverse("notices:log")).content.decode()
    assert reader.get(reverse("notices:message", args=[message.pk])).status_code == 200
    assert world.client("unit-staff").get(reverse("notices:message", args=[message.pk])).status_code == 403


def test_a_notice_to_students_the_sender_cannot_reach_is_refused(world: World) -> None:
    _snapshot(world)
    form = {"institution": "ntut", "students": ["B112340001", "B112590001"], "send": "1", "subject": "x", "body": "y"}
    form["token"] = "t1"
    assert world.client("mentor").post(reverse("notices:message-compose"), form).status_code == 403
    assert world.client("foreign-registrar").post(reverse("notices:message-compose"), form).status_code == 403
    assert world.client("student").post(reverse("notices:message-compose"), form).status_code == 403
    assert not NoticeMessage.objects.exists() and not NoticeLog.objects.exists()
    # the mentor may write to their own class
    own = {**form, "students": ["B112340001"], "token": "t2"}
    assert world.client("mentor").post(reverse("notices:message-compose"), own).status_code == 302


def test_the_navigation_links_the_page(world: World) -> None:
    page = world.client("registrar").get(reverse("records:student-list"))
    assert reverse("forecasts:index") in page.content.decode()
    assert reverse("forecasts:index") not in world.client("student").get("/").content.decode()


def test_the_pages_read_the_snapshot_and_audit_nobody(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from menkan.engine import Runtime

    _snapshot(world)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a forecast page audited a student")

    monkeypatch.setattr(Runtime, "audit", refuse)
    page = world.client("registrar").get(reverse("forecasts:institution", args=["ntut"]))
    assert page.status_code == 200 and "B112340009" in page.content.decode()
    row = StudentForecast.objects.get(student__student_id="B112340009")
    assert row.verdict == "cannot-finish" and row.document["reasons"][0]["code"] in ("over-capacity", "no-terms-left")
