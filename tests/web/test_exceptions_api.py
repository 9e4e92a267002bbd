"""The exceptions API (/api/v1/students/{institution}/{id}/exceptions, /api/v1/exceptions/{pk}/decision): propose,
decide, list; bad input refused at its field (422), wrong roles 403 or 404, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from menkan.web.accounts.services import api_token_create
from menkan.web.records.models import RecordException

from .conftest import World
from .test_api import send, student_url, token_client
from .test_exceptions_records import EXCLUDE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def api(world: World, role: str) -> Any:
    return token_client(api_token_create(world.users[role], "test")[1])


def test_propose_approve_and_list(world: World) -> None:
    url = student_url(world.own, "/exceptions")
    created = send(api(world, "department-officer"), "POST", url, EXCLUDE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "proposed" and body["id"] == f"EX-{body['pk']}"
    assert send(api(world, "student"), "GET", url).json() == []
    decided = send(
        api(world, "department-head"), "POST", f"/api/v1/exceptions/{body['pk']}/decision", {"decision": "approve"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    listed = send(api(world, "student"), "GET", url).json()
    assert [(e["id"], e["status"], e["decided_by"]) for e in listed] == [(body["id"], "approved", "department-head")]
    record = send(api(world, "registrar"), "GET", student_url(world.own)).json()
    assert [e["id"] for e in record["exceptions"]] == [body["id"]]


def test_bad_input_and_wrong_roles_are_refused_and_nothing_written(world: World) -> None:
    url = student_url(world.own, "/exceptions")
    bad = send(api(world, "department-officer"), "POST", url, {**EXCLUDE, "requirement": "graduation.nope"})
    assert bad.status_code == 422
    assert [(d["loc"], d["msg"]) for d in bad.json()["detail"]] == [
        (["body", "requirement"], "所適用的規章中沒有「graduation.nope」這項要求")  # the API speaks zh-TW by default
    ]
    assert send(api(world, "student"), "POST", url, EXCLUDE).status_code == 403
    assert send(api(world, "foreign-registrar"), "POST", url, EXCLUDE).status_code == 404
    assert not RecordException.objects.exists()
    pk = send(api(world, "department-officer"), "POST", url, EXCLUDE).json()["pk"]
    decision = f"/api/v1/exceptions/{pk}/decision"
    assert send(api(world, "department-officer"), "POST", decision, {"decision": "approve"}).status_code == 403
    assert send(api(world, "foreign-registrar"), "POST", decision, {"decision": "approve"}).status_code == 404
    no_reason = send(api(world, "department-head"), "POST", decision, {"decision": "reject"})
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    assert RecordException.objects.get().status == "proposed"


def test_a_program_contact_proposes_for_a_student_registered_in_their_program(world: World) -> None:
    from .test_programs_support import publish_programs, register

    publish_programs()
    url = student_url(world.own, "/exceptions")
    waiver = {"kind": "waive", "requirement": "micro-program.AVM.credits", "amount": 1, "reason": "學程同意"}
    assert send(api(world, "program-contact"), "POST", url, waiver).status_code == 404  # not registered: unknown
    register(world.own, "AVM")
    created = send(api(world, "program-contact"), "POST", url, waiver)
    assert created.status_code == 201, created.content
    graduation = send(api(world, "program-contact"), "POST", url, EXCLUDE)
    assert graduation.status_code == 403  # not a program requirement: not theirs
    assert [e["requirement"] for e in send(api(world, "program-contact"), "GET", url).json()] == [
        "micro-program.AVM.credits"
    ]
    send(api(world, "department-officer"), "POST", url, EXCLUDE)  # the student's other exceptions stay unseen
    assert RecordException.objects.count() == 2
    listed = send(api(world, "program-contact"), "GET", url).json()
    assert [e["requirement"] for e in listed] == ["micro-program.AVM.credits"]
