"""The study-plan page: a plan of two terms audited term by term, saved apart from the records (which do not
change), bad plans refused with located messages and nothing saved, and who may see and change a plan."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from menkan.web.audits.services import student_audit
from menkan.web.plans.models import StudyPlan, StudyPlanCourse, StudyPlanTerm
from menkan.web.records.api import student_records_changed, term_current
from menkan.web.records.models import Student
from menkan.web.records.services import student_import_document
from test_plans import DEPT, ENVIRONMENT, STEEL, civil_student_document

from .conftest import World

pytestmark = pytest.mark.django_db

TODAY = "2026-12-03"  # in term 115-1


@pytest.fixture
def civil(world: World, settings: Any) -> World:
    """The world's student, with the record of an NTUT civil-engineering student who lacks two required courses."""
    settings.MENKAN_TODAY = TODAY
    document = civil_student_document()
    document["class_code"] = "CE-112"
    student_import_document(world.institution, document)
    world.own.refresh_from_db()
    student_audit(world.own)
    assert str(term_current(world.institution)) == "115-1"
    return world


def url(student: Student) -> str:
    return reverse("plans:student", kwargs={"institution": student.institution.code, "student_id": student.student_id})


def form(*terms: tuple[str, list[str]], action: str = "save", **extra: str) -> dict[str, str]:
    data = {"count": str(len(terms)), "action": action, **extra}
    for index, (term, lines) in enumerate(terms):
        data[f"term-{index}"] = term
        data[f"courses-{index}"] = "\n".join(lines)
    return data


TWO_TERMS = form(
    ("115-2", [f"{ENVIRONMENT} professional-required"]),
    ("116-2", [f"{STEEL} professional-required"]),
)


def stored_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model but the plans' (records, audits, and the rest), with all their fields."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label != "plans" and model._meta.label not in ("sessions.Session", "axes.AccessLog")
    }


def test_a_plan_of_two_terms_shows_the_requirements_met_after_the_second(civil: World) -> None:
    page = civil.client("student").post(url(civil.own), {**TWO_TERMS, "action": "review"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="plan-results"' in html
    row = html.split(f'data-requirement="{DEPT}"', 1)[1].split("</tr>", 1)[0]
    cells = row.split('data-status="')[1:]
    assert cells[0].startswith("not-met") and "data-newly" not in cells[0]
    assert cells[1].startswith("in-progress") and 'data-newly="1"' in cells[1]
    assert not StudyPlan.objects.exists()  # showing the results saves nothing


def test_saving_a_plan_keeps_it_and_changes_nothing_else(civil: World) -> None:
    client, mentor_client = civil.client("student"), civil.client("mentor")  # logging in is a write of its own
    before = stored_state()
    assert before["audits.AuditResult"] and before["records.CourseRecord"]
    signals: list[Any] = []

    def heard(**kwargs: Any) -> None:
        signals.append(kwargs)

    student_records_changed.connect(heard)
    try:
        assert client.post(url(civil.own), {**TWO_TERMS, "action": "review"}).status_code == 200
        saved = client.post(url(civil.own), TWO_TERMS)
        assert saved.status_code == 302
        shown = client.get(url(civil.own))
        mentor = mentor_client.get(url(civil.own))
    finally:
        student_records_changed.disconnect(heard)
    assert signals == []
    assert stored_state() == before
    plan = StudyPlan.objects.get(student=civil.own)
    assert plan.updated_by == civil.users["student"]
    terms = list(StudyPlanTerm.objects.filter(plan=plan).values_list("term", flat=True))
    assert terms == ["115-2", "116-2"]
    assert list(StudyPlanCourse.objects.order_by("term__position").values_list("code", "category")) == [
        (ENVIRONMENT, "professional-required"),
        (STEEL, "professional-required"),
    ]
    for page in (shown, mentor):
        html = page.content.decode()
        assert f"{STEEL} professional-required" in html or STEEL in html
        assert 'data-newly="1"' in html.split(f'data-requirement="{DEPT}"', 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ((("115-2", ["XYZ"]),), '$.terms[0].courses[0]: no course "XYZ" in NTUT\'s catalogue'),
        ((("114-2", [ENVIRONMENT]),), "$.terms[0].term: 114-2 is not after the current term 115-1"),
        ((("115-3", [ENVIRONMENT]),), "$.terms[0].term: '115-3' is not a term"),
    ],
)
def test_a_bad_plan_is_refused_with_a_clear_message_and_not_saved(
    civil: World, terms: tuple[tuple[str, list[str]], ...], expected: str
) -> None:
    client = civil.client("student")
    client.cookies["django_language"] = "en"
    page = client.post(url(civil.own), form(*terms), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert expected in html
    assert "The plan was not saved" in html
    assert not StudyPlan.objects.exists()


def test_a_load_over_the_maximum_is_flagged_refused_and_an_earlier_plan_kept(civil: World) -> None:
    from menkan.foresight.catalog import catalog_of

    client = civil.client("student")
    assert client.post(url(civil.own), TWO_TERMS).status_code == 302
    catalog = catalog_of("ntut")
    assert catalog is not None
    taken = set(civil.own.courses.values_list("code", flat=True))
    codes = [c.code for c in catalog.courses.values() if c.code not in taken and c.credits == 3 and "1" in c.semesters]
    page = client.post(url(civil.own), form(("116-1", codes[:9])), HTTP_ACCEPT_LANGUAGE="zh-hant")
    html = page.content.decode()
    assert "$.terms[0].courses: 116-1 共 27 學分，超過此學生每學期上限 25 學分" in html
    assert 'class="plan-term over"' in html and 'id="plan-results"' in html  # still audited, and flagged
    # nothing was saved: the earlier plan is as it was
    assert list(StudyPlanTerm.objects.values_list("term", flat=True)) == ["115-2", "116-2"]
    assert StudyPlanCourse.objects.count() == 2


def test_the_catalogue_search_adds_a_course_to_a_term(civil: World) -> None:
    client = civil.client("student")
    found = client.post(url(civil.own), form(("115-2", []), action="search", q="環境工程")).content.decode()
    assert f'value="0:{ENVIRONMENT}"' in found
    added = client.post(url(civil.own), {**form(("115-2", []), action="review"), "add": f"0:{ENVIRONMENT}"})
    html = added.content.decode()
    assert f">{ENVIRONMENT}</textarea>" in html
    more = client.post(url(civil.own), form(("115-2", [ENVIRONMENT]), action="add-term")).content.decode()
    assert 'name="term-1" value="116-1"' in more


def test_the_student_page_links_to_the_plan(civil: World) -> None:
    html = civil.client("student").get(
        reverse("records:student-home", kwargs={"institution": "ntut", "student_id": civil.own.student_id})
    )
    assert f'href="{url(civil.own)}" id="plan-link"' in html.content.decode()


@pytest.mark.parametrize("role", ["other-student", "foreign-registrar", "unit-staff", "program-contact"])
def test_who_may_not_see_the_student_gets_not_found(civil: World, role: str) -> None:
    client = civil.client(role)
    refused = 403 if role == "other-student" else 404  # a student may see nobody else; staff: as an unknown id
    assert client.get(url(civil.own)).status_code == refused
    assert client.post(url(civil.own), TWO_TERMS).status_code == refused
    assert not StudyPlan.objects.exists()


def test_another_class_mentor_is_refused(civil: World) -> None:
    from menkan.web.accounts.models import Role
    from menkan.web.accounts.services import role_assign

    from .conftest import _user

    mentor = _user("other-mentor")
    other_class = civil.other.school_class
    role_assign(mentor, Role.MENTOR, civil.institution.pk, school_class=other_class)
    client = Client()
    client.force_login(mentor)
    assert client.get(url(civil.own)).status_code == 404
    assert client.post(url(civil.own), TWO_TERMS).status_code == 404
    assert client.get(url(civil.other)).status_code == 200


@pytest.mark.parametrize("role", ["student", "mentor", "registrar"])
def test_the_student_their_mentor_and_the_registrar_may_save(civil: World, role: str) -> None:
    assert civil.client(role).post(url(civil.own), TWO_TERMS).status_code == 302
    assert StudyPlan.objects.get(student=civil.own).updated_by == civil.users[role]


def test_department_staff_see_the_plan_but_may_not_change_it(civil: World) -> None:
    assert civil.client("student").post(url(civil.own), TWO_TERMS).status_code == 302
    client = civil.client("department-officer")
    page = client.get(url(civil.own))
    assert page.status_code == 200 and 'id="plan-form"' not in page.content.decode()
    assert client.post(url(civil.own), form(("115-2", [STEEL]))).status_code == 403
    assert StudyPlanCourse.objects.count() == 2


def test_anonymous_users_are_sent_to_log_in(civil: World) -> None:
    response = Client().get(url(civil.own))
    assert response.status_code == 302 and "login" in response["Location"]
