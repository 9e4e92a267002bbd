"""Issue 11 item 17: each role lands on its own work, each person sees only the apps of their institution (decided
from the institution's data), and the header names the person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from menkan.web.accounts.models import Role
from menkan.web.accounts.navigation import apps_of_institution
from menkan.web.accounts.services import role_assign
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.records.models import Institution, Student
from menkan.web.records.services import student_import_document

from .conftest import World, _user
from .test_activities_world import Ncut, ncut_world

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "src" / "menkan" / "demo"


def _landing(client: Client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    return str(response["Location"])


def _page(client: Client) -> str:
    return client.get(reverse("home"), follow=True).content.decode()


# --------------------------------------------------------------------------------------------------- landing


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("registrar", "records:student-list"),
        ("mentor", "records:student-list"),
        ("department-officer", "programs:queue"),  # NTUT runs micro-programs: steps 3 and 4 are theirs
        ("department-head", "programs:queue"),
        ("program-contact", "programs:queue"),
        ("program-head", "programs:queue"),
        ("unit-staff", "imports:import"),  # NTUT's 教務處 owns no self-learning item nor micro-credits
    ],
)
def test_each_staff_role_lands_on_its_work(world: World, role: str, where: str) -> None:
    assert _landing(world.client(role)) == reverse(where)


def test_a_student_lands_on_their_own_requirements(world: World) -> None:
    kwargs = {"institution": "ntut", "student_id": world.own.student_id}
    assert _landing(world.client("student")) == reverse("records:student-home", kwargs=kwargs)


def test_department_staff_without_micro_programs_land_on_their_department(world: World) -> None:
    nycu = Institution.objects.get(code="nycu")
    officer = _user("nycu-officer")
    role_assign(officer, Role.DEPARTMENT_OFFICER, nycu.pk, department=world.foreign.department)
    client = Client()
    client.force_login(officer)
    assert _landing(client) == reverse("records:student-list")


def test_ncut_office_staff_land_on_their_activities(db: Any, settings: Any, tmp_path: Any) -> None:
    ncut: Ncut = ncut_world(settings, tmp_path)
    client = ncut.client("student-affairs")
    assert _landing(client) == reverse("activities:offering-list")
    page = _page(client)
    assert reverse("activities:offering-list") in page
    assert reverse("records:student-list") not in page  # unit staff see no student's record


def test_nkust_center_staff_land_on_the_micro_credit_offerings(db: Any) -> None:
    policy_publish_shipped("nkust", reaudit=False)
    nkust = Institution.objects.get(code="nkust")
    staff = _user("nkust-center")
    role_assign(staff, Role.UNIT_STAFF, nkust.pk, unit="通識教育中心")
    client = Client()
    client.force_login(staff)
    assert _landing(client) == reverse("microcredits:offering-list")


# --------------------------------------------------------------------------------------------------- nav items


@pytest.mark.parametrize("role", ["unit-staff", "program-contact", "program-head"])
def test_roles_that_see_no_student_records_get_no_student_list_link(world: World, role: str) -> None:
    assert f'href="{reverse("records:student-list")}"' not in _page(world.client(role))


@pytest.mark.parametrize("role", ["registrar", "mentor", "department-officer", "department-head"])
def test_roles_that_look_after_students_get_the_student_list_link(world: World, role: str) -> None:
    assert f'href="{reverse("records:student-list")}"' in _page(world.client(role))


def test_an_ntut_student_sees_micro_programs_and_not_the_other_institutions_apps(world: World) -> None:
    page = _page(world.client("student"))
    assert reverse("programs:catalogue") in page
    assert reverse("activities:me") not in page and reverse("microcredits:offering-list") not in page


def test_which_apps_an_institution_has_comes_from_its_data(world: World) -> None:
    # forecasts: every institution with published policies (the early warning reads their audits)
    assert apps_of_institution(world.institution) == {"programs", "forecasts"}
    assert apps_of_institution(world.foreign.institution) == {"fees", "forecasts"}  # NYCU: fees of an extension


@pytest.fixture
def nthu_student(db: Any) -> tuple[Student, Client]:
    policy_publish_shipped("nthu", reaudit=False)
    nthu = Institution.objects.get(code="nthu")
    document = json.loads((DEMO / "nthu.jsonl").read_text(encoding="utf-8").splitlines()[0])
    student, _ = student_import_document(nthu, document)
    student.user = _user("nthu-student")
    student.save(update_fields=["user"])
    client = Client()
    client.force_login(student.user)
    return student, client


def test_an_nthu_student_gets_no_micro_program_link_and_no_program_pages(nthu_student: tuple[Student, Client]) -> None:
    student, client = nthu_student
    page = _page(client)
    assert "/programs/" not in page
    assert reverse("fees:student", kwargs={"institution": "nthu", "student_id": student.student_id}) in page
    kwargs = {"institution": "nthu", "student_id": student.student_id}
    assert client.get(reverse("programs:catalogue")).status_code == 404
    assert client.get(reverse("programs:student", kwargs=kwargs)).status_code == 404
    assert client.get(reverse("programs:program", kwargs={"code": "AVM"})).status_code == 404


# --------------------------------------------------------------------------------------------------- the name


def test_the_header_shows_the_students_name(world: World) -> None:
    page = _page(world.client("student"))
    assert f'<span class="who">{world.own.name}</span>' in page


def test_the_header_shows_a_staff_members_name_and_else_the_username(world: World) -> None:
    registrar = world.users["registrar"]
    assert '<span class="who">registrar</span>' in _page(world.client("registrar"))
    registrar.first_name, registrar.last_name = "美玲", "陳"
    registrar.save()
    assert "美玲 陳" in _page(world.client("registrar")) or "陳美玲" in _page(world.client("registrar"))
