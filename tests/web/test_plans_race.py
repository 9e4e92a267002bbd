"""Two first saves of the same student's study plan at once: one plan row, holding one of the two plans whole
(the second save waits for the first's row lock, then replaces it), never a mixture of both."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings

from menkan.web.plans.models import StudyPlan, StudyPlanTerm
from test_plans import STEEL

from .conftest import World
from .races import run_at_once
from .test_plans_pages import TWO_TERMS, civil, form, url  # noqa: F401  (civil: the fixture)

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ONE_TERM = form(("116-1", [f"{STEEL} professional-required"]))


@pytest.mark.skipif(
    not POSTGRES,
    reason="needs real parallel transactions: SQLite's test database serialises writers (use DATABASE_URL=postgres)",
)
@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_keep_one_whole_plan(civil: World) -> None:  # noqa: F811
    assert not StudyPlan.objects.filter(student=civil.own).exists()
    clients = {"student": (civil.client("student"), TWO_TERMS), "registrar": (civil.client("registrar"), ONE_TERM)}
    statuses: dict[str, int] = {}

    def saving(role: str) -> Callable[[], None]:
        def action() -> None:
            client, data = clients[role]
            statuses[role] = client.post(url(civil.own), data).status_code

        return action

    run_at_once([saving(role) for role in clients])
    assert statuses == {"student": 302, "registrar": 302}
    plan = StudyPlan.objects.get(student=civil.own)
    terms = list(StudyPlanTerm.objects.filter(plan=plan).order_by("position").values_list("term", flat=True))
    assert terms in (["115-2", "116-2"], ["116-1"])
    assert plan.updated_by == civil.users["student" if len(terms) == 2 else "registrar"]
