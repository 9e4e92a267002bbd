"""Issue 11 item 15: the registrar's batch-audit page (start a run, follow its progress, past runs), and the admin
link only for those who can use the admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from menkan.web.audits.models import AuditResult, BatchRun
from menkan.web.audits.services import batch_audit_create
from menkan.web.records.models import Institution

from .conftest import World
from .test_permission_matrix import ROLES

pytestmark = pytest.mark.django_db

NOT_REGISTRARS = tuple(sorted(set(ROLES) - {"registrar", "foreign-registrar", "other-student"}))


@pytest.mark.parametrize("role", NOT_REGISTRARS)
def test_only_a_registrar_opens_the_batch_page(world: World, role: str) -> None:
    client = world.client(role)
    assert client.get(reverse("audits:batch-index")).status_code == 403
    assert client.post(reverse("audits:batch-index"), {"institution": "ntut"}).status_code == 403
    assert not BatchRun.objects.exists()


def test_the_registrar_starts_a_run_of_their_institution_and_it_audits_everyone(world: World) -> None:
    AuditResult.objects.all().delete()
    client = world.client("registrar")
    page = client.get(reverse("audits:batch-index"))
    assert page.status_code == 200 and 'id="batch-start"' in page.content.decode()
    response = client.post(reverse("audits:batch-index"), {"institution": "ntut"})
    run = BatchRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("audits:batch-detail", args=[run.pk])
    ntut_students = world.institution.students.count()
    assert (run.institution, run.started_by, run.state) == (world.institution, world.users["registrar"], "done")
    assert (run.total, run.done, run.failed) == (ntut_students, ntut_students, 0)
    assert AuditResult.objects.filter(student__institution=world.institution).count() == ntut_students
    assert not AuditResult.objects.filter(student=world.foreign).exists()  # another institution's: not touched
    detail = client.get(response["Location"]).content.decode()
    assert f"{ntut_students} / {ntut_students}" in detail
    listing = client.get(reverse("audits:batch-index")).content.decode()
    assert f'data-run="{run.pk}"' in listing


def test_a_registrar_cannot_run_or_follow_another_institutions_batch(world: World) -> None:
    client = world.client("registrar")
    assert client.post(reverse("audits:batch-index"), {"institution": "nycu"}).status_code == 403
    assert client.post(reverse("audits:batch-index"), {"institution": "nowhere"}).status_code == 404
    nycu = Institution.objects.get(code="nycu")
    theirs, _ = batch_audit_create(institution=nycu)
    for name in ("audits:batch-detail", "audits:batch-progress"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert f'data-run="{theirs.pk}"' not in client.get(reverse("audits:batch-index")).content.decode()
    assert world.client("foreign-registrar").get(reverse("audits:batch-progress", args=[theirs.pk])).status_code == 200


def test_the_progress_fragment_polls_while_running_and_stops_when_done(world: World) -> None:
    run, chunks = batch_audit_create(institution=world.institution, chunk=1)
    client = world.client("registrar")
    url = reverse("audits:batch-progress", args=[run.pk])
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in running and f"0 / {run.total}" in running and 'data-state="running"' in running
    from menkan.web.audits.services import batch_chunk

    batch_chunk(run.pk, chunks[0])
    halfway = client.get(url).content.decode()
    assert f"1 / {run.total}" in halfway
    for pks in chunks[1:]:
        batch_chunk(run.pk, pks)
    done = client.get(url).content.decode()
    assert 'data-state="done"' in done and "hx-trigger" not in done
    assert f"{run.total} / {run.total}" in done


def test_the_registrar_sees_the_batch_link_and_no_admin_link_without_admin_access(world: World) -> None:
    page = world.client("registrar").get(reverse("records:student-list")).content.decode()
    assert reverse("audits:batch-index") in page
    assert reverse("admin:index") not in page
    staff = world.users["registrar"]
    staff.is_staff = staff.is_superuser = True
    staff.save()
    assert reverse("admin:index") in world.client("registrar").get(reverse("records:student-list")).content.decode()


@pytest.mark.parametrize("role", NOT_REGISTRARS)
def test_nobody_else_sees_the_batch_or_admin_links(world: World, role: str) -> None:
    client: Client = world.client(role)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert reverse("audits:batch-index") not in page and reverse("admin:index") not in page
