"""The seat limit of a modular course under concurrent sign-ups: 50 simultaneous requests for 5 seats give
exactly 5 registrations (the offering row is locked with select_for_update while seats are counted)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from menkan.web.accounts.models import Role
from menkan.web.accounts.services import role_assign, user_create, user_password_change
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.microcredits import services
from menkan.web.microcredits.models import Enrollment, Offering
from menkan.web.records.models import Institution
from menkan.web.records.services import student_import_document

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
REQUESTS = 50


@pytest.mark.skipif(
    not POSTGRES,
    reason="needs real parallel transactions: SQLite's test database serialises writers (use DATABASE_URL=postgres)",
)
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_signups_for_five_seats_give_exactly_five(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    policy_publish_shipped("nkust", reaudit=False)
    nkust = Institution.objects.get(code="nkust")
    offering = services.offering_create(
        nkust, term="114-1", title="雲端跨域：AWS", hours=Decimal(6), area="cloud-cross-border"
    )
    session = services.session_create(
        offering, day=datetime.date(2025, 10, 1), starts=datetime.time(9), ends=datetime.time(15), hours=Decimal(6)
    )
    clients = []
    for n in range(REQUESTS):
        document = {
            "schema": "menkan.student/1",
            "student_id": f"N1140{n:04d}",
            "institution": "nkust",
            "department": "CSIE",
            "admission_term": "114-1",
        }
        student, _ = student_import_document(nkust, document)
        user, _ = user_create(f"race{n}")
        user_password_change(user, "correct-Horse-battery-9")
        role_assign(user, Role.STUDENT, nkust.pk)
        student.user = user
        student.save(update_fields=["user"])
        client = Client()
        client.force_login(user)
        clients.append(client)
    url = reverse("microcredits:offering-signup", kwargs={"pk": offering.pk})
    start = threading.Barrier(REQUESTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def sign_up(client: Client) -> None:
        try:
            start.wait()
            statuses.append(client.post(url, {"session": [session.pk]}).status_code)
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert statuses == [302] * REQUESTS  # every request answered (refusals come back as a message)
    assert Enrollment.objects.filter(offering=offering).count() == 5
    assert Offering.objects.get(pk=offering.pk).taken == 5
