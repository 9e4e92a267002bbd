"""Exceptions in the portal: proposed, approved (into the record and the audit), rejected, revoked with their
history; who may do what; bad input refused with the located reason and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from menkan.web.accounts.models import Role
from menkan.web.audits.services import student_audit
from menkan.web.records.codec import engine_inputs, student_document
from menkan.web.records.models import RecordException
from menkan.web.records.selectors import exceptions_approved_of, exceptions_to_decide
from menkan.web.records.services import (
    ExceptionRefused,
    exception_approve,
    exception_propose,
    exception_reject,
    exception_revoke,
)

from .conftest import World
from .test_programs_support import staff

pytestmark = pytest.mark.django_db

# the own student's 國文 (common-required) does not count toward the school's common required credits
EXCLUDE = {
    "kind": "exclude",
    "requirement": "graduation.credits.common-required.school-common",
    "course": "1404006",
    "reason": "重複修習",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def fields(world: World) -> dict[str, Any]:
    return dict(EXCLUDE)


def test_propose_then_approve_puts_it_in_the_record_with_who_and_when(world: World, fields: dict[str, Any]) -> None:
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    assert proposed.status == "proposed" and "exceptions" not in student_document(world.own)
    assert list(exceptions_to_decide(world.users["department-head"])) == [proposed]
    assert list(exceptions_to_decide(world.users["department-officer"])) == []
    head = world.users["department-head"]
    head.first_name = "系主任"
    head.save()
    with transaction.atomic():
        exception_approve(head, proposed.pk)
    (entry,) = student_document(world.own)["exceptions"]
    assert entry["id"] == proposed.record_id and entry["approved_by"] == "系主任" and entry["course"] == "1404006"
    assert entry["kind"] == "exclude" and len(entry["approved_on"]) == 10
    # the batch path reads the same exceptions
    (batch,) = engine_inputs([world.own.pk])
    assert batch.document["exceptions"] == [entry]
    assert list(exceptions_approved_of(world.own)) == [proposed]
    # the audit honours it: the result lists the exception as applied
    result = student_audit(world.own)
    assert result is not None
    listed = result.document.get("exceptions", [])
    assert [(e["id"], e["status"]) for e in listed] == [(proposed.record_id, "applied")]


def test_revoking_keeps_the_row_and_its_history(world: World, fields: dict[str, Any]) -> None:
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    exception_approve(world.users["registrar"], proposed.pk)
    revoked = exception_revoke(world.users["department-head"], proposed.pk, "誤核")
    assert revoked.status == "revoked" and "exceptions" not in student_document(world.own)
    history = RecordException.history.filter(id=proposed.pk).order_by("history_date")
    assert [(h.status, h.history_user.username) for h in history] == [
        ("proposed", "department-officer"),
        ("approved", "registrar"),
        ("revoked", "department-head"),
    ]


def test_reject_needs_a_reason_and_leaves_the_record_alone(world: World, fields: dict[str, Any]) -> None:
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    with pytest.raises(ExceptionRefused, match="needs a reason"):
        exception_reject(world.users["department-head"], proposed.pk, " ")
    exception_reject(world.users["department-head"], proposed.pk, "不符規定")
    assert RecordException.objects.get().status == "rejected" and "exceptions" not in student_document(world.own)
    with pytest.raises(ExceptionRefused, match=r"(?i)rejected already"):
        exception_approve(world.users["registrar"], proposed.pk)


@pytest.mark.parametrize("role", ["student", "mentor", "department-head", "program-contact", "foreign-registrar"])
def test_who_may_not_propose(world: World, fields: dict[str, Any], role: str) -> None:
    with pytest.raises(PermissionDenied):
        exception_propose(world.users[role], world.own, fields)
    assert not RecordException.objects.exists()


def test_an_officer_of_another_department_is_refused(world: World, fields: dict[str, Any]) -> None:
    officer = staff("officer-590", Role.DEPARTMENT_OFFICER, world.institution, department=world.other.department)
    with pytest.raises(PermissionDenied):
        exception_propose(officer, world.own, fields)
    assert not RecordException.objects.exists()


@pytest.mark.parametrize("role", ["department-officer", "program-contact", "mentor", "student", "foreign-registrar"])
def test_an_approval_by_the_wrong_role_is_refused(world: World, fields: dict[str, Any], role: str) -> None:
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    with pytest.raises(PermissionDenied, match="department head or the registrar"):
        exception_approve(world.users[role], proposed.pk)
    assert RecordException.objects.get().status == "proposed" and "exceptions" not in student_document(world.own)


def test_a_head_of_another_department_may_not_decide(world: World, fields: dict[str, Any]) -> None:
    head = staff("head-590", Role.DEPARTMENT_HEAD, world.institution, department=world.other.department)
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    with pytest.raises(PermissionDenied):
        exception_approve(head, proposed.pk)
    assert list(exceptions_to_decide(head)) == []


def test_a_program_contact_proposes_for_their_programs_requirements_only(world: World) -> None:
    from .test_programs_support import publish_programs

    publish_programs()
    avm = {"kind": "waive", "requirement": "micro-program.AVM.credits", "amount": 1, "reason": "學程同意"}
    assert exception_propose(world.users["program-contact"], world.own, avm).status == "proposed"
    with pytest.raises(PermissionDenied):
        exception_propose(world.users["program-contact"], world.own, {**avm, "requirement": "micro-program.AV2"})


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"requirement": "graduation.nope"}, "requirement", 'no requirement "graduation.nope"'),
        ({"course": "NOPE999"}, "course", 'no course "NOPE999" in the record'),
        ({"kind": "substitute"}, "replaces", "required for an exception of kind 'substitute'"),
        ({"kind": "tidy"}, "kind", "must be one of"),
        ({"reason": ""}, "reason", "needs a reason"),
    ],
)
def test_bad_input_is_refused_with_the_located_reason(
    world: World, fields: dict[str, Any], change: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(ExceptionRefused) as refused:
        exception_propose(world.users["department-officer"], world.own, {**fields, **change})
    assert any(f == field and reason in text for f, text in refused.value.problems), refused.value.problems
    assert not RecordException.objects.exists()


def test_the_reason_is_translated(world: World, fields: dict[str, Any]) -> None:
    with translation.override("zh-hant"), pytest.raises(ExceptionRefused) as refused:
        exception_propose(world.users["department-officer"], world.own, {**fields, "course": "NOPE999"})
    assert refused.value.problems == [("course", "紀錄中沒有課程「NOPE999」")]
