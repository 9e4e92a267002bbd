"""Issue 11 item 18: one current term, from the institution's calendar for today, in every page and default.

Today is fixed through `MENKAN_TODAY` (records.calendar.today reads it): 2026-12-03 is in term 115-1."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from menkan.engine import Term
from menkan.engine.calendar import term_on
from menkan.web.activities import demo as activities_demo
from menkan.web.activities import services as activity_services
from menkan.web.activities.models import Offering
from menkan.web.activities.services import ActivityError
from menkan.web.audits.models import AuditResult
from menkan.web.audits.services import student_audit
from menkan.web.programs.models import ProgramTerm
from menkan.web.records.calendar import term_current, today
from menkan.web.records.models import Activity
from menkan.web.records.services import student_import_document

from .conftest import World, course, student_document
from .test_activities_offices import _offering
from .test_activities_world import Ncut, ncut_world

DAY = dt.date(2026, 12, 3)


@pytest.fixture
def on_day(settings: Any) -> dt.date:
    settings.MENKAN_TODAY = DAY.isoformat()
    return DAY


# --------------------------------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (dt.date(2026, 12, 3), "115-1"),
        (dt.date(2026, 8, 1), "115-1"),
        (dt.date(2026, 7, 31), "114-2"),
        (dt.date(2027, 1, 31), "115-1"),
        (dt.date(2027, 2, 1), "115-2"),
        (dt.date(2026, 2, 1), "114-2"),
    ],
)
def test_the_roc_academic_year_begins_on_1_august_and_its_second_semester_on_1_february(
    day: dt.date, term: str
) -> None:
    assert str(term_on(day)) == term


def test_an_institutions_own_start_dates_replace_the_default_and_add_a_summer_term() -> None:
    starts = {Term.parse("115-1"): dt.date(2026, 9, 14), Term.parse("114-S"): dt.date(2026, 7, 1)}
    assert str(term_on(dt.date(2026, 6, 30), starts)) == "114-2"
    assert str(term_on(dt.date(2026, 7, 1), starts)) == "114-S"
    assert str(term_on(dt.date(2026, 9, 13), starts)) == "114-S"
    assert str(term_on(dt.date(2026, 9, 14), starts)) == "115-1"
    assert str(term_on(dt.date(2027, 2, 1), starts)) == "115-2"  # the default for the terms it does not list


def test_today_is_fixed_by_the_setting(on_day: dt.date) -> None:
    assert today() == DAY


def test_the_ntut_program_calendar_gives_its_semester_start(world: World, on_day: dt.date) -> None:
    ProgramTerm.objects.create(
        institution=world.institution,
        term="115-1",
        semester_starts=dt.date(2026, 9, 14),
        add_drop_ends=dt.date(2026, 9, 25),
        registration_opens=dt.date(2026, 9, 7),
        registration_closes=dt.date(2026, 9, 25),
    )
    assert str(term_current(world.institution)) == "115-1"
    assert str(term_current(world.institution, dt.date(2026, 9, 1))) == "114-2"  # before the calendar's start
    assert str(term_current(world.foreign.institution, dt.date(2026, 9, 1))) == "115-1"  # NYCU: the ROC rule


# --------------------------------------------------------------------------------------------------- the audit


def test_the_audit_is_as_of_the_current_term_not_a_term_that_has_not_begun(world: World, on_day: dt.date) -> None:
    document = student_document(
        "B112340009",
        "340",
        "CE-112",
        courses=[
            course("1401032", "微積分", 3, "112-1", category="professional-required"),
            course("3403007", "工程管理", 3, "115-2", grade=None, category="professional-elective"),
        ],
    )
    student, _ = student_import_document(world.institution, document)
    result = student_audit(student)
    assert result is not None and result.as_of == "115-1"
    page = world.client("registrar").get(
        reverse("records:student-home", kwargs={"institution": "ntut", "student_id": student.student_id})
    )
    text = page.content.decode()
    assert "115學年度第1學期" in text and "115學年度第2學期" not in text


def test_a_stored_result_as_of_a_future_term_is_computed_again_before_it_is_shown(
    world: World, on_day: dt.date
) -> None:
    student = world.own
    student_audit(student)
    AuditResult.objects.filter(student=student).update(as_of="115-2")
    page = world.client("student").get(
        reverse("records:student-home", kwargs={"institution": "ntut", "student_id": student.student_id})
    )
    assert "115學年度第2學期" not in page.content.decode()
    assert AuditResult.objects.get(student=student).as_of != "115-2"


# --------------------------------------------------------------------------------------------------- activities


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    world = ncut_world(settings, tmp_path)
    settings.MENKAN_TODAY = DAY.isoformat()
    return world


def test_december_demo_activities_are_labelled_with_the_term_of_their_date(ncut: Ncut) -> None:
    activities_demo.demo_load(io.StringIO())
    offerings = Offering.objects.filter(institution=ncut.institution)
    assert offerings.exists()
    for offering in offerings:
        assert offering.term == str(term_on(offering.date)), (offering.title, offering.date, offering.term)
    assert "114-1" not in {o.term for o in offerings if o.date.month == 12 and o.date.year == 2026}


def test_an_offering_whose_term_is_not_that_of_its_date_is_refused(ncut: Ncut) -> None:
    with pytest.raises(ActivityError, match="115-1"):
        activity_services.offering_create(
            user=ncut.staff["student-affairs"],
            institution=ncut.institution,
            item="social",
            title="聖誕關懷志工",
            date=dt.date(2026, 12, 20),
            hours=Decimal(4),
            capacity=20,
            term="114-1",
        )


def test_the_offering_form_proposes_todays_term(ncut: Ncut) -> None:
    page = ncut.client("student-affairs").get(reverse("activities:offering-create")).content.decode()
    assert 'value="115-1"' in page


def test_hours_are_not_registered_for_an_activity_that_has_not_happened(ncut: Ncut) -> None:
    future = _offering(ncut, date=DAY + dt.timedelta(days=5), term="115-1")
    staff = ncut.staff["student-affairs"]
    report = activity_services.hours_register(future, user=staff, student_id=ncut.first.student_id)
    assert not report.applied and "2026-12-08" in report.problems[0][1]
    roster = activity_services.roster_register(
        future, user=staff, filename="roster.csv", content=f"學號\n{ncut.first.student_id}\n".encode()
    )
    assert not roster.applied
    assert not Activity.objects.filter(student=ncut.first, title="淨灘志工", date=future.date).exists()
    past = _offering(ncut, date=DAY, term="115-1")  # the day itself: it has happened
    assert activity_services.hours_register(past, user=staff, student_id=ncut.first.student_id).applied


def test_the_refusal_is_translated(ncut: Ncut) -> None:
    future = _offering(ncut, date=DAY + dt.timedelta(days=5), term="115-1")
    response = ncut.client("student-affairs").post(
        reverse("activities:offering-entry", args=[future.pk]),
        {"student_id": ncut.first.student_id},
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    assert "本活動於 2026-12-08 舉行" in response.content.decode()
