"""Registration in micro-programs: the window (refused outside it, with the reason), the latest point (the
add/drop week of the second semester of study year 2), a change of program at a later window, courses taken
before registration counted, eligibility, the student's record kept in step, and the registrar's calendar."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from menkan.web.programs import services
from menkan.web.programs.models import ProgramTerm
from menkan.web.programs.selectors import program_nodes, registration_deadline, registrations_of
from menkan.web.records.models import Student

from .conftest import World
from .test_programs_support import (
    add_courses,
    application,
    calendar,
    publish_programs,
    shipped_has_programs,
    term,
    worked_example,
)

pytestmark = pytest.mark.django_db

DAY = date(2025, 9, 15)


@pytest.fixture
def programs(world: World) -> World:
    publish_programs()
    term(world, "113-1", date(2025, 9, 8))  # 9/8–9/26, as 114-1's window in the document
    term(world, "113-2", date(2026, 2, 16))
    return world


def test_registration_in_the_window_is_kept_in_the_record(programs: World) -> None:
    registration = services.registration_create(programs.own, "AVM", user=programs.users["student"], today=DAY)
    assert (registration.program, registration.registered_term, registration.active) == ("AVM", "113-1", True)
    programs.own.refresh_from_db()
    assert programs.own.standing["programs"] == [{"program": "AVM", "registered_term": "113-1"}]


def test_registration_schedules_a_re_audit(programs: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.registration_create(programs.own, "AVM", user=None, today=DAY)
    assert callbacks, "saving the student's record should schedule their re-audit"


def test_outside_the_window_is_refused_with_the_next_window(programs: World) -> None:
    with translation.override("en"), pytest.raises(services.ProgramError) as refused:
        services.registration_create(programs.own, "AVM", user=None, today=date(2025, 10, 1))
    assert str(refused.value) == "Registration is closed: the next window is 2026-02-16 to 2026-03-06 (113-2)."
    with translation.override("en"), pytest.raises(services.ProgramError, match="no registration window"):
        services.registration_create(programs.own, "AVM", user=None, today=date(2026, 8, 1))
    assert not registrations_of(programs.own)


def test_the_latest_point_is_the_add_drop_week_of_the_second_semester_of_year_2(programs: World) -> None:
    own = programs.own  # admitted 112-1 into year 1: year 2 is 113, its second semester 113-2
    deadline = registration_deadline(own)
    assert deadline is not None and str(deadline.term) == "113-2" and deadline.last_day == date(2026, 3, 1)
    own.admitted_into_year = 3
    assert str(registration_deadline(own).term) == "112-2"  # type: ignore[union-attr]
    own.admitted_into_year = 1
    # 113-2's add/drop week ends 2026-03-01 (two weeks from the semester start); its window runs to 3/6
    with translation.override("en"), pytest.raises(services.ProgramError, match=r"latest point was 2026-03-01.* 113-2"):
        services.registration_create(own, "AVM", user=None, today=date(2026, 3, 3))
    assert services.registration_create(own, "AVM", user=None, today=date(2026, 2, 20)).registered_term == "113-2"
    term(programs, "114-1", date(2026, 9, 7))
    with pytest.raises(services.ProgramError):
        services.registration_create(programs.other, "AV2", user=None, today=date(2026, 9, 10))


def test_a_change_at_the_next_window_withdraws_the_old_registration(programs: World) -> None:
    services.registration_create(programs.own, "AVM", user=None, today=DAY)
    with translation.override("en"), pytest.raises(services.ProgramError, match="already registered"):
        services.registration_create(programs.own, "AVM", user=None, today=DAY)
    services.registration_create(programs.own, "AV2", user=None, today=date(2026, 2, 20))
    programs.own.refresh_from_db()
    rows = [(r.program, r.registered_term, r.withdrawn_term) for r in registrations_of(programs.own)]
    assert rows == [("AVM", "113-1", "113-2"), ("AV2", "113-2", "")]
    assert programs.own.standing["programs"] == [
        {"program": "AVM", "registered_term": "113-1", "withdrawn_term": "113-2"},
        {"program": "AV2", "registered_term": "113-2"},
    ]


def test_no_change_while_an_application_is_under_review(programs: World) -> None:
    services.registration_create(programs.own, "AVM", user=None, today=DAY)
    application(programs.own, "AVM")
    with translation.override("en"), pytest.raises(services.ProgramError, match="under review"):
        services.registration_create(programs.own, "AV2", user=None, today=date(2026, 2, 20))


def test_an_ineligible_student_is_refused(programs: World) -> None:
    # AVM is for 建築系 and 土木系 only; the other student is 資工系
    with translation.override("en"), pytest.raises(services.ProgramError, match="not eligible"):
        services.registration_create(programs.other, "AVM", user=None, today=DAY)
    with pytest.raises(services.ProgramError):
        services.registration_create(programs.own, "NOPE", user=None, today=DAY)


def test_courses_taken_before_registration_count(programs: World) -> None:
    add_courses(programs.own, worked_example("112-1"))  # a year before registering
    services.registration_create(programs.own, "AVM", user=None, today=DAY)
    own = Student.objects.get(pk=programs.own.pk)
    if shipped_has_programs():  # the generated programs apply to registered students only (as of the audit term)
        assert "micro-program.AVM" not in program_nodes(services.audit_as_of(own, "112-2"))
    node = program_nodes(services.audit_as_of(own, "113-1"))["micro-program.AVM"]
    assert node["status"] == "met"
    counted = {a["ref"] for child in node["children"] for a in child.get("applied", [])}
    assert {"3401007@112-1", "3901416@112-1", "3902416@112-1"} <= counted


# --------------------------------------------------------------------------------------------------- pages


def test_the_student_registers_on_the_page_and_is_told_why_not(programs: World) -> None:
    calendar(programs.institution, window=False)  # 113-1 around today, window in a month
    client = programs.client("student")
    url = reverse("programs:register", kwargs={"institution": "ntut", "student_id": programs.own.student_id})
    response = client.post(url, {"program": "AVM"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Registration is closed: the next window is" in page or "目前不在登記期間：下次登記時間為" in page
    programs.own.refresh_from_db()
    assert not registrations_of(programs.own)
    calendar(programs.institution)  # now open
    client.post(url, {"program": "AVM"})
    programs.own.refresh_from_db()
    assert [r.program for r in registrations_of(programs.own)] == ["AVM"]
    staff_post = programs.client("mentor").post(url, {"program": "AV2"})
    assert staff_post.status_code == 403  # staff may look at the page, not register for the student


def test_the_registrar_edits_the_calendar(programs: World) -> None:
    url = reverse("programs:terms")
    client = programs.client("registrar")
    assert "113-1" in client.get(url).content.decode()
    fields = {
        "institution": "ntut",
        "term": "114-1",
        "semester_starts": "2025-09-08",
        "add_drop_ends": "2025-09-21",
        "registration_opens": "2025-09-08",
        "registration_closes": "2025-09-26",
    }
    assert client.post(url, fields).status_code == 302
    saved = ProgramTerm.objects.get(term="114-1")
    assert (saved.registration_opens, saved.registration_closes) == (date(2025, 9, 8), date(2025, 9, 26))
    wrong = client.post(url, {**fields, "registration_closes": "2025-09-01"})
    assert wrong.status_code == 200 and ProgramTerm.objects.get(term="114-1").registration_closes == date(2025, 9, 26)
    assert client.post(url, {**fields, "institution": "nycu"}).status_code == 403
    assert programs.client("department-head").get(url).status_code == 403


def test_today_is_used_when_no_day_is_given(programs: World) -> None:
    calendar(programs.institution)
    assert services.registration_create(programs.own, "AVM", user=None).registered_term == "113-1"
    assert timezone.localdate() >= date(2025, 1, 1)


def test_a_semester_of_leave_moves_the_latest_point_a_semester_later(programs: World) -> None:
    # Study years are the engine's (menkan.engine.latest_study_term): a semester on leave does not advance them.
    own = programs.own  # admitted 112-1 into year 1
    own.standing = {"enrollment": [{"term": "112-2", "status": "leave", "reason": "illness"}]}
    deadline = registration_deadline(own)
    assert deadline is not None and str(deadline.term) == "114-1"
