"""The apps' public APIs: reading an audit never writes it, and records reaches audits only through its hooks."""

from __future__ import annotations

from typing import Any

import pytest

from menkan.web.audits.api import audit_document, audit_refresh_if_stale
from menkan.web.audits.models import AuditResult
from menkan.web.records import hooks
from menkan.web.records.models import Activity

pytestmark = pytest.mark.django_db


def test_reading_an_audit_does_not_make_one(world: Any) -> None:
    AuditResult.objects.filter(student=world.own).delete()
    assert audit_document(world.own) is None
    assert not AuditResult.objects.filter(student=world.own).exists()  # a selector never writes
    audit_refresh_if_stale(world.own)
    document = audit_document(world.own)
    assert document is not None and document["student_id"] == world.own.student_id


def test_refresh_keeps_a_fresh_audit(world: Any) -> None:
    audit_refresh_if_stale(world.own)
    stored = AuditResult.objects.get(student=world.own)
    audit_refresh_if_stale(world.own)
    assert AuditResult.objects.get(student=world.own).computed_at == stored.computed_at


def test_records_reads_the_current_policy_through_its_hook(world: Any) -> None:
    policy_set = hooks.policy_set_current(world.own.institution)
    assert policy_set is not None and policy_set.institution.id == world.own.institution.code


def test_a_changed_record_is_announced(world: Any) -> None:
    heard: list[int] = []

    def listener(student_pk: int, **_: Any) -> None:
        heard.append(student_pk)

    hooks.student_records_changed.connect(listener)
    try:
        Activity.objects.create(student=world.own, item="x", title="t", term="112-1", hours=1)
    finally:
        hooks.student_records_changed.disconnect(listener)
    assert heard == [world.own.pk]
