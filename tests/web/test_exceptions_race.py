"""Two deciders acting at once on the same proposed exception make one decision: the exception's row is locked
(select_for_update) and its status checked under the lock, so the second is told it was decided already."""

from __future__ import annotations

import pytest
from django.conf import settings

from menkan.web.records.models import RecordException, Student
from menkan.web.records.services import ExceptionRefused, exception_approve, exception_propose, exception_reject

from .conftest import World
from .races import decide_at_once
from .test_exceptions_records import EXCLUDE

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not POSTGRES,
    reason="needs real parallel transactions: SQLite's test database serialises writers (use DATABASE_URL=postgres)",
)
@pytest.mark.django_db(transaction=True)
def test_a_head_approving_while_the_registrar_rejects_makes_one_decision(world: World) -> None:
    proposed = exception_propose(world.users["department-officer"], world.own, dict(EXCLUDE))
    revision = Student.objects.get(pk=world.own.pk).revision
    head, registrar = world.users["department-head"], world.users["registrar"]

    def decide(user: object) -> None:
        if user is head:
            exception_approve(head, proposed.pk)
        else:
            exception_reject(registrar, proposed.pk, "不符規定")

    outcomes = decide_at_once([head, registrar], decide, ExceptionRefused)
    assert sorted(outcomes) == ["decided", "stale"]
    decided = RecordException.objects.get(pk=proposed.pk)
    assert decided.status in {RecordException.Status.APPROVED, RecordException.Status.REJECTED}
    assert decided.decided_by in {head, registrar}
    # one history row for the proposal and one for the one decision: the loser wrote nothing
    assert decided.history.count() == 2
    # the student's revision moved only if the exception entered the record (an approval), and then once
    moved = Student.objects.get(pk=world.own.pk).revision - revision
    assert moved == (1 if decided.status == RecordException.Status.APPROVED else 0)
