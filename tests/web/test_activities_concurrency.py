"""Simultaneous requests: sign-ups for the last seats never exceed the capacity, and two approvals of a student's
subsidy at once grant it once. Real parallel transactions need PostgreSQL (row locks); SQLite runs one writer at
a time, so there the tests are skipped."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from menkan.web.activities import services
from menkan.web.activities.models import Offering, SubsidyApplication
from menkan.web.activities.services import ActivityError
from menkan.web.records.services import student_import_document

from .test_activities_world import Ncut, build_ncut, ncut_document

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency need PostgreSQL"),
]


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> Ncut:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_ncut()


def test_simultaneous_sign_ups_for_the_last_seats(world: Ncut) -> None:
    students = [
        student_import_document(world.institution, ncut_document(f"NC111070{index:02d}"))[0] for index in range(10, 18)
    ]
    offering = Offering.objects.create(
        institution=world.institution,
        office="圖書館",
        item="improvement",
        title="電子資源線上教育訓練",
        date=dt.date.today() + dt.timedelta(days=10),
        hours=Decimal(2),
        capacity=3,
        term="114-1",
    )
    results = _at_once([lambda s=s: services.signup_create(s, offering) for s in students])
    taken = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(taken) == 3 and offering.signups.count() == 3
    assert len(refused) == 5 and all(isinstance(r, ActivityError) for r in refused)


def test_two_approvals_of_one_students_subsidy_at_once(world: Ncut) -> None:
    services.licence_entries_seed(world.institution)
    applications = [
        SubsidyApplication.objects.create(
            student=world.second,
            code="TS-B-NETWORK",
            title="網路架設",
            exam_date=dt.date(2025, 11, d),
            fee=3000,
            receipt="r.pdf",
        )
        for d in (1, 2)
    ]
    staff = world.staff["rd"]
    results = _at_once([lambda a=a: services.subsidy_review(a, user=staff, approve=True) for a in applications])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, ActivityError) for r in results) == 1
    assert SubsidyApplication.objects.filter(student=world.second, status="approved").count() == 1
