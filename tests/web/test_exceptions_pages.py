"""Exceptions on the student's page: the officer proposes, the head decides (on the page and in the queue), the
student sees the approved one with its badge; wrong roles are refused and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from menkan.web.records.models import RecordException

from .conftest import World
from .test_exceptions_records import EXCLUDE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def home(world: World) -> str:
    return reverse("records:student-home", kwargs={"institution": "ntut", "student_id": world.own.student_id})


def propose_url(world: World) -> str:
    return reverse("records:exception-propose", kwargs={"institution": "ntut", "student_id": world.own.student_id})


def test_propose_decide_and_the_students_badge(world: World, django_capture_on_commit_callbacks: Any) -> None:
    officer = world.client("department-officer")
    assert 'id="propose-exception"' in officer.get(home(world)).content.decode()
    assert officer.post(propose_url(world), EXCLUDE).status_code == 302
    exception = RecordException.objects.get()
    assert exception.status == "proposed"
    student_page = world.client("student").get(home(world)).content.decode()
    assert exception.record_id not in student_page and 'id="propose-exception"' not in student_page
    head = world.client("department-head")
    queue = head.get(reverse("records:exception-queue")).content.decode()
    assert f'data-exception="{exception.record_id}"' in queue
    decide = reverse("records:exception-decide", kwargs={"pk": exception.pk})
    with django_capture_on_commit_callbacks(execute=True):  # the re-audit runs on commit
        assert head.post(decide, {"decision": "approve", "back": "queue"}).status_code == 302
    exception.refresh_from_db()
    assert exception.status == "approved"
    page = world.client("student").get(home(world)).content.decode()
    assert f'data-exception="{exception.record_id}"' in page and 'class="badge applied"' in page


def test_wrong_roles_are_refused_on_the_pages(world: World) -> None:
    assert world.client("student").post(propose_url(world), EXCLUDE).status_code == 403
    assert world.client("mentor").post(propose_url(world), EXCLUDE).status_code == 403
    assert world.client("foreign-registrar").post(propose_url(world), EXCLUDE).status_code == 404
    assert not RecordException.objects.exists()
    world.client("department-officer").post(propose_url(world), EXCLUDE)
    exception = RecordException.objects.get()
    decide = reverse("records:exception-decide", kwargs={"pk": exception.pk})
    assert world.client("department-officer").post(decide, {"decision": "approve"}).status_code == 403
    assert world.client("other-student").post(decide, {"decision": "approve"}).status_code == 404
    assert world.client("department-officer").get(reverse("records:exception-queue")).status_code == 403
    exception.refresh_from_db()
    assert exception.status == "proposed"


def test_a_bad_proposal_says_why_on_the_page(world: World) -> None:
    officer = world.client("department-officer")
    response = officer.post(propose_url(world), {**EXCLUDE, "course": "NOPE999"}, follow=True)
    text = response.content.decode()
    assert "NOPE999" in text and ("no course" in text or "紀錄中沒有課程" in text)
    assert not RecordException.objects.exists()
