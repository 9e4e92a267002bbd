"""An NCUT world for the activities app's tests: the policy, the document's two students, staff of each office.

The other test_activities_* modules build it with `ncut_world` (their `ncut` fixture); the tests below check the world
itself (the owner mapping read from the policy's extra)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign, user_create, user_password_change
from menkan.web.activities import selectors
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.records.models import Institution, Student
from menkan.web.records.services import student_import_document
from test_ncut import FIRST_ACTIVITIES, SECOND_ACTIVITIES
from test_ncut import FIRST_CERTIFICATES as FIRST_CERTIFICATES_OF_THE_DOCUMENT

OFFICES = {"academic": "教務處", "library": "圖書館", "student-affairs": "學務處", "art": "藝術中心", "rd": "研發處"}


# The document's two summaries: the records and cards of the engine's tests (tests/test_ncut.py), here on the page.
FIRST, FIRST_CERTIFICATES, SECOND = FIRST_ACTIVITIES, FIRST_CERTIFICATES_OF_THE_DOCUMENT, SECOND_ACTIVITIES


def ncut_document(student_id: str, *, department: str = "資工", admission_term: str = "111-1", **extra: Any):
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"學生{student_id[-3:]}",
        "institution": "ncut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": admission_term,
        "class_code": f"{department}四甲",
        "courses": [],
        "activities": [],
        "certificates": [],
        **extra,
    }


@dataclass
class Ncut:
    institution: Institution
    first: Student  # the document's first summary (通過)
    second: Student  # the second (未通過)
    old: Student  # admitted 110-1: the requirement does not apply
    staff: dict[str, User]  # academic, library, student-affairs, art, rd
    users: dict[str, User]  # first, second, old

    def client(self, who: str) -> Client:
        client = Client()
        client.force_login(self.staff.get(who) or self.users[who])
        return client


def _user(username: str) -> User:
    user, _ = user_create(username)
    user_password_change(user, "correct-Horse-battery-9")
    return user


def build_ncut() -> Ncut:
    policy_publish_shipped("ncut", reaudit=False)
    ncut = Institution.objects.get(code="ncut")
    first, _ = student_import_document(
        ncut, ncut_document("NC11107001", activities=FIRST, certificates=FIRST_CERTIFICATES)
    )
    second, _ = student_import_document(ncut, ncut_document("NC11107002", activities=SECOND))
    old, _ = student_import_document(ncut, ncut_document("NC11007001", admission_term="110-1"))
    staff = {}
    for name, office in OFFICES.items():
        staff[name] = _user(f"ncut-{name}")
        role_assign(staff[name], Role.UNIT_STAFF, ncut.pk, unit=office)
    users = {}
    for name, student in (("first", first), ("second", second), ("old", old)):
        users[name] = _user(f"ncut-{name}")
        role_assign(users[name], Role.STUDENT, ncut.pk)
        student.user = users[name]
        student.save(update_fields=["user"])
    return Ncut(ncut, first, second, old, staff, users)


def ncut_world(settings: Any, tmp_path: Any) -> Ncut:
    """The world, with uploads stored in a temporary MEDIA_ROOT (each module's `ncut` fixture calls this)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_ncut()


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    return ncut_world(settings, tmp_path)


def test_the_owners_come_from_the_policys_extra(ncut: Ncut) -> None:
    assert selectors.office_of(ncut.institution, "resilience") == "教務處"
    assert selectors.office_of(ncut.institution, "improvement") == "圖書館"
    assert selectors.office_of(ncut.institution, "social") == "學務處"
    assert selectors.office_of(ncut.institution, "aesthetics") == "藝術中心"
    assert selectors.mooc_office(ncut.institution) == "教務處"
    assert selectors.licence_office(ncut.institution) == "研發處"
    # 研發處 owns certificates, not activity hours
    assert selectors.activity_items_of(ncut.institution, "研發處") == []


def test_the_requirement_concerns_students_admitted_in_111_or_later(ncut: Ncut) -> None:
    applies = selectors.self_learning_applies([ncut.first, ncut.second, ncut.old])
    assert applies == {ncut.first.pk: True, ncut.second.pk: True, ncut.old.pk: False}


def test_staff_item_choices_are_their_offices_items(ncut: Ncut) -> None:
    choices = selectors.staff_item_choices(ncut.staff["library"])
    assert [(office, item) for _, office, _, item, _ in choices] == [("圖書館", "improvement")]
    assert selectors.staff_item_choices(ncut.users["first"]) == []
