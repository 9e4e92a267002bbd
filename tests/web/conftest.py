"""Fixtures for the portal's tests: a small institution with one user per role, and someone else's student."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign, user_create, user_password_change
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.records.models import Institution, SchoolClass, Student
from menkan.web.records.services import student_import_document

PASSWORD = "correct-Horse-battery-9"


def course(code: str, title: str, credits: float, term: str, grade: str | None = "85", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"code": code, "title": title, "credits": credits, "term": term, **extra}
    if grade is not None:
        record["grade"] = grade
    return record


def student_document(student_id: str, department: str, class_code: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"學生{student_id[-3:]}",
        "institution": "ntut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": "112-1",
        "class_code": class_code,
        "courses": [
            course("1401032", "微積分", 3, "112-1", category="professional-required"),
            course("1404006", "國文", 2, "112-1", category="common-required"),
        ],
        **extra,
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 is slow on purpose; tests hash many passwords and do not need that protection."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """The people and records the portal tests use."""

    institution: Institution
    own: Student  # the student whose records the scoped staff may see
    other: Student  # another department's student, in another class: nobody scoped sees them but the registrar
    foreign: Student  # a student of another institution
    users: dict[str, User]

    def client(self, role: str) -> Client:
        client = Client()
        client.force_login(self.users[role])
        return client


def _user(username: str) -> User:
    user, _ = user_create(username)
    user_password_change(user, PASSWORD)
    return user


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def build_world() -> World:
    """The institution, students and one user per role (needs database access)."""
    policy_publish_shipped("ntut", reaudit=False)
    policy_publish_shipped("nycu", reaudit=False)
    ntut = Institution.objects.get(code="ntut")
    nycu = Institution.objects.get(code="nycu")
    own, _ = student_import_document(ntut, student_document("B112340001", "340", "CE-112"))
    other, _ = student_import_document(ntut, student_document("B112590001", "590", "CS-112"))
    foreign_doc = student_document("110550001", "CS", "CS-110")
    foreign_doc.update(institution="nycu", admission_term="110-1")
    foreign, _ = student_import_document(nycu, foreign_doc)
    users = {
        name: _user(name)
        for name in (
            "student",
            "other-student",
            "mentor",
            "department-officer",
            "department-head",
            "program-contact",
            "program-head",
            "unit-staff",
            "registrar",
            "foreign-registrar",
        )
    }
    own.user = users["student"]
    own.save(update_fields=["user"])
    other.user = users["other-student"]
    other.save(update_fields=["user"])
    SchoolClass.objects.filter(pk=own.school_class_id).update(mentor=users["mentor"])
    role_assign(users["mentor"], Role.MENTOR, ntut.pk, school_class=own.school_class)
    role_assign(users["department-officer"], Role.DEPARTMENT_OFFICER, ntut.pk, department=own.department)
    role_assign(users["department-head"], Role.DEPARTMENT_HEAD, ntut.pk, department=own.department)
    role_assign(users["program-contact"], Role.PROGRAM_CONTACT, ntut.pk, program="AVM")
    role_assign(users["program-head"], Role.PROGRAM_HEAD, ntut.pk, program="AVM")
    role_assign(users["unit-staff"], Role.UNIT_STAFF, ntut.pk, unit="教務處")
    role_assign(users["registrar"], Role.REGISTRAR, ntut.pk)
    role_assign(users["foreign-registrar"], Role.REGISTRAR, nycu.pk)
    role_assign(users["student"], Role.STUDENT, ntut.pk)
    role_assign(users["other-student"], Role.STUDENT, ntut.pk)
    return World(ntut, own, other, foreign, users)
