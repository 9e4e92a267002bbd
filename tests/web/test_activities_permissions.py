"""Who may do what in the activities app: unit staff only their office's items, a student only themself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from menkan.web.activities import services
from menkan.web.activities.models import MoocCourse, Offering, SubsidyApplication
from menkan.web.records.models import Activity

from .test_activities_world import Ncut, ncut_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    return ncut_world(settings, tmp_path)


PDF = b"%PDF-1.4\n"


@pytest.fixture
def objects(ncut: Ncut) -> dict[str, object]:
    resilience = Offering.objects.create(
        institution=ncut.institution,
        office="教務處",
        item="resilience",
        title="抗壓講座",
        date=dt.date.today() + dt.timedelta(days=5),
        hours=Decimal(2),
        capacity=10,
        term="114-1",
    )
    library = Offering.objects.create(
        institution=ncut.institution,
        office="圖書館",
        item="improvement",
        title="電子資源訓練",
        date=dt.date.today() + dt.timedelta(days=5),
        hours=Decimal(2),
        capacity=10,
        term="114-1",
    )
    services.mooc_courses_seed(ncut.institution)
    course = MoocCourse.objects.get(title="數位學法")
    upload = services.mooc_upload_create(ncut.second, course, SimpleUploadedFile("c.pdf", PDF))
    services.licence_entries_seed(ncut.institution)
    application = services.subsidy_apply(
        ncut.second,
        code="TS-B-NETWORK",
        exam_date=dt.date(2025, 11, 1),
        fee=3000,
        receipt=SimpleUploadedFile("r.pdf", PDF),
    )
    return {"resilience": resilience, "library": library, "upload": upload, "application": application}


def test_library_staff_cannot_touch_academic_affairs_work(ncut: Ncut, objects: dict) -> None:
    client = ncut.client("library")
    pk = objects["resilience"].pk
    for name in ("offering-detail", "offering-edit"):
        assert client.get(reverse(f"activities:{name}", args=[pk])).status_code == 403, name
    assert client.post(reverse("activities:offering-close", args=[pk])).status_code == 403
    roster = SimpleUploadedFile("r.csv", "學號\nNC11107002\n".encode())
    assert client.post(reverse("activities:offering-roster", args=[pk]), {"file": roster}).status_code == 403
    assert client.post(reverse("activities:offering-entry", args=[pk]), {"student_id": "NC11107002"}).status_code == 403
    assert not Activity.objects.filter(item="resilience", title="抗壓講座").exists()
    objects["resilience"].refresh_from_db()
    assert not objects["resilience"].closed
    # MOOC reviews and the MOOC list are 教務處's
    assert client.get(reverse("activities:mooc-reviews")).status_code == 403
    upload = objects["upload"]
    assert client.post(reverse("activities:mooc-review", args=[upload.pk]), {"decision": "approve"}).status_code == 403
    upload.refresh_from_db()
    assert upload.status == "pending"
    assert client.get(reverse("activities:mooc-courses")).status_code == 403
    assert client.get(reverse("activities:mooc-course-edit", args=[upload.course_id])).status_code == 403
    assert client.get(reverse("activities:upload-file", args=[upload.pk])).status_code == 403
    # resilience hours cannot be registered by the library, even through a hand-made form
    data = {
        "item": "ncut:resilience",
        "title": "x",
        "date": "2025-10-22",
        "hours": "2",
        "capacity": "1",
        "term": "114-1",
    }
    assert client.post(reverse("activities:offering-create"), data).status_code == 200
    assert not Offering.objects.filter(title="x").exists()
    # licences and subsidies are 研發處's
    for name in ("licence-lists", "licence-register", "subsidy-reviews"):
        assert client.get(reverse(f"activities:{name}")).status_code == 403, name
    application = objects["application"]
    assert (
        client.post(reverse("activities:subsidy-review", args=[application.pk]), {"decision": "approve"}).status_code
        == 403
    )
    assert client.get(reverse("activities:receipt-file", args=[application.pk])).status_code == 403


def test_staff_list_only_their_offices_offerings(ncut: Ncut, objects: dict) -> None:
    html = ncut.client("library").get(reverse("activities:offering-list")).content.decode()
    assert f'data-offering="{objects["library"].pk}"' in html
    assert f'data-offering="{objects["resilience"].pk}"' not in html
    html = ncut.client("academic").get(reverse("activities:mooc-reviews")).content.decode()
    assert f'data-upload="{objects["upload"].pk}"' in html


def test_the_rd_office_handles_subsidies_and_not_the_academic_office(ncut: Ncut, objects: dict) -> None:
    application = objects["application"]
    assert ncut.client("rd").get(reverse("activities:receipt-file", args=[application.pk])).status_code == 200
    assert ncut.client("academic").get(reverse("activities:subsidy-reviews")).status_code == 403
    assert ncut.client("rd").get(reverse("activities:mooc-reviews")).status_code == 403


def test_a_student_sees_only_themself(ncut: Ncut, objects: dict) -> None:
    client = ncut.client("first")
    upload, application = objects["upload"], objects["application"]
    assert client.get(reverse("activities:upload-file", args=[upload.pk])).status_code == 403
    assert client.get(reverse("activities:receipt-file", args=[application.pk])).status_code == 403
    html = client.get(reverse("activities:me")).content.decode()
    assert "NC11107001" in html and "NC11107002" not in html
    assert f'data-upload="{upload.pk}"' not in html and f'data-application="{application.pk}"' not in html
    for name in (
        "offering-list",
        "offering-create",
        "mooc-reviews",
        "mooc-courses",
        "licence-lists",
        "subsidy-reviews",
    ):
        assert client.get(reverse(f"activities:{name}")).status_code == 403, name
    assert client.get(reverse("activities:offering-detail", args=[objects["library"].pk])).status_code == 403
    assert (
        client.post(reverse("activities:subsidy-review", args=[application.pk]), {"decision": "approve"}).status_code
        == 403
    )
    application.refresh_from_db()
    assert application.status == "pending"
    # the student's own files open
    owner = ncut.client("second")
    assert owner.get(reverse("activities:upload-file", args=[upload.pk])).status_code == 200
    assert owner.get(reverse("activities:receipt-file", args=[application.pk])).status_code == 200


def test_staff_have_no_student_page(ncut: Ncut) -> None:
    assert ncut.client("academic").get(reverse("activities:me")).status_code == 403


def test_a_student_of_another_institution_cannot_sign_up(ncut: Ncut, objects: dict) -> None:
    from menkan.web.activities.services import ActivityError
    from menkan.web.audits.services import policy_publish_shipped
    from menkan.web.records.models import Institution
    from menkan.web.records.services import student_import_document

    from .test_activities_world import ncut_document

    policy_publish_shipped("ntut", reaudit=False)
    ntut = Institution.objects.get(code="ntut")
    document = {**ncut_document("B111340001", department="340"), "institution": "ntut"}
    stranger, _ = student_import_document(ntut, document)
    with pytest.raises(ActivityError):
        services.signup_create(stranger, objects["library"])
    assert not SubsidyApplication.objects.filter(student=stranger).exists()
