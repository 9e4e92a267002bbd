"""Two certifiers acting at once on the same candidate make one decision: the candidate's row is locked
(select_for_update) and the step the form showed must still be current, so the second is told it moved on."""

from __future__ import annotations

import pytest
from django.conf import settings

from menkan.web.accounts.models import Role
from menkan.web.accounts.services import role_assign, user_create
from menkan.web.certification import services
from menkan.web.certification.models import Certification, Decision

from .certification_support import candidate_of, decide, opened, publish_small
from .conftest import World
from .races import decide_at_once

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _race(candidate_pk: int, users: list, step: str) -> list[str]:  # type: ignore[type-arg]
    return decide_at_once(
        users,
        lambda user: services.candidate_decide(candidate_pk, user=user, expected_step=step, decision="approve"),
        services.StaleStep,
    )


@pytest.mark.skipif(
    not POSTGRES,
    reason="needs real parallel transactions: SQLite's test database serialises writers (use DATABASE_URL=postgres)",
)
@pytest.mark.django_db(transaction=True)
def test_two_registrars_certifying_at_once_make_one_certification(world: World) -> None:
    publish_small(5)
    candidate = candidate_of(opened(world), world.own)
    decide(candidate, world.users["department-officer"], "officer")
    second_head, _ = user_create("head-2")
    role_assign(second_head, Role.DEPARTMENT_HEAD, world.institution.pk, department=world.own.department)
    assert sorted(_race(candidate.pk, [world.users["department-head"], second_head], "head")) == ["decided", "stale"]
    assert Decision.objects.filter(candidate=candidate, step="head", action="approve").count() == 1
    second_registrar, _ = user_create("registrar-2")
    role_assign(second_registrar, Role.REGISTRAR, world.institution.pk)
    outcomes = _race(candidate.pk, [world.users["registrar"], second_registrar], "registrar")
    assert sorted(outcomes) == ["decided", "stale"]
    candidate.refresh_from_db()
    assert candidate.step == "certified"
    assert Certification.objects.filter(candidate=candidate).count() == 1
    assert Decision.objects.filter(candidate=candidate, action="certify").count() == 1
