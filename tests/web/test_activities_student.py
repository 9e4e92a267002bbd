"""The student's self-learning page: the document's summaries exactly, sign-ups, MOOC uploads, subsidies, contacts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from menkan.web.activities.models import MoocCourse, MoocUpload, Offering, SignUp, SubsidyApplication
from menkan.web.activities.services import (
    ActivityError,
    mooc_upload_create,
    mooc_upload_review,
    signup_cancel,
    signup_create,
)
from test_ncut import FIRST_CARD, SECOND_CARD

from .test_activities_world import Ncut, ncut_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    return ncut_world(settings, tmp_path)


PDF = b"%PDF-1.4\n%fake certificate\n"


def summary_lines(html: str) -> list[str]:
    """The summary card's lines as a reader sees them (tags removed, spaces collapsed)."""
    block = re.search(r'<ul class="summary" id="self-learning-summary">(.*?)</ul>', html, re.S)
    assert block, "no summary on the page"
    items = re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.mark.parametrize(("who", "expected"), [("first", FIRST_CARD), ("second", SECOND_CARD)])
def test_the_page_shows_the_documents_summaries_exactly(ncut: Ncut, who: str, expected: list[str]) -> None:
    response = ncut.client(who).get(reverse("activities:me"), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 200
    assert summary_lines(response.content.decode()) == expected


def test_the_page_says_when_the_requirement_does_not_apply(ncut: Ncut) -> None:
    response = ncut.client("old").get(reverse("activities:me"))
    html = response.content.decode()
    assert 'id="not-applicable"' in html
    assert "self-learning-summary" not in html
    assert "111學年度(含)以後入學日四技學生" in html


def test_the_page_lists_the_contacts_of_each_office(ncut: Ncut) -> None:
    html = ncut.client("second").get(reverse("activities:me")).content.decode()
    for unit, name, extension in (
        ("教務處教學資源組", "黃怡珊", "2171"),
        ("圖書館讀者服務組", "蕭郁慈", "2223"),
        ("學務處課指組", "李坤憲", "2334"),
        ("研發處實習就業組", "陳映蓉", "2612"),
        ("藝術中心", "李青霞", "2303"),
    ):
        assert re.search(rf"{unit}</td><td>{name}</td><td>{extension}</td>", html), unit


def _offering(ncut: Ncut, *, days: int = 7, capacity: int = 2, **fields: object) -> Offering:
    values = {
        "institution": ncut.institution,
        "office": "圖書館",
        "item": "improvement",
        "title": "電子資源線上教育訓練：Web of Science",
        "date": timezone.localdate() + dt.timedelta(days=days),
        "hours": Decimal(2),
        "capacity": capacity,
        "term": "114-1",
        **fields,
    }
    return Offering.objects.create(**values)


def test_open_offerings_are_listed_and_a_student_signs_up_and_cancels(ncut: Ncut) -> None:
    offering = _offering(ncut)
    past = _offering(ncut, days=-1, title="已結束的講座")
    closed = _offering(ncut, title="已關閉的講座", closed=True)
    client = ncut.client("second")
    html = client.get(reverse("activities:me")).content.decode()
    assert f'data-offering="{offering.pk}"' in html
    assert f'data-offering="{past.pk}"' not in html and f'data-offering="{closed.pk}"' not in html
    response = client.post(reverse("activities:signup", args=[offering.pk]))
    assert response.status_code == 302
    assert SignUp.objects.filter(offering=offering, student=ncut.second).exists()
    assert "0 / 2" not in client.get(reverse("activities:me")).content.decode()
    client.post(reverse("activities:signup-cancel", args=[offering.pk]))
    assert not SignUp.objects.filter(offering=offering).exists()


def test_capacity_is_enforced(ncut: Ncut) -> None:
    offering = _offering(ncut, capacity=1)
    signup_create(ncut.first, offering)
    response = ncut.client("second").post(reverse("activities:signup", args=[offering.pk]), follow=True)
    assert "此活動已額滿" in response.content.decode()
    assert offering.signups.count() == 1


def test_sign_up_refused_when_closed_past_or_requirement_does_not_apply(ncut: Ncut) -> None:
    with pytest.raises(ActivityError):
        signup_create(ncut.first, _offering(ncut, closed=True))
    with pytest.raises(ActivityError):
        signup_create(ncut.first, _offering(ncut, days=-2))
    with pytest.raises(ActivityError):
        signup_create(ncut.old, _offering(ncut))


def test_cancel_only_before_the_day(ncut: Ncut) -> None:
    offering = _offering(ncut, days=0)
    signup_create(ncut.first, offering)
    with pytest.raises(ActivityError, match="活動日之前"):
        signup_cancel(ncut.first, offering)
    assert offering.signups.count() == 1


def test_mooc_upload_review_and_reason_shown_to_the_student(ncut: Ncut) -> None:
    client = ncut.client("second")
    client.get(reverse("activities:me"))  # seeds the MOOC list from the policy
    course = MoocCourse.objects.get(institution=ncut.institution, title="數位學法")
    response = client.post(
        reverse("activities:mooc-upload"),
        {"course": course.pk, "file": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 302
    upload = MoocUpload.objects.get(student=ncut.second)
    html = client.get(reverse("activities:me")).content.decode()
    assert f'data-upload="{upload.pk}"' in html and "待審核" in html
    mooc_upload_review(upload, user=ncut.staff["academic"], approve=False, reason="證書姓名與學籍不符")
    html = client.get(reverse("activities:me")).content.decode()
    assert "證書姓名與學籍不符" in html
    # the file is stored under MEDIA_ROOT and its student may open it
    assert client.get(reverse("activities:upload-file", args=[upload.pk])).status_code == 200


def test_a_file_that_is_not_a_pdf_or_image_is_refused(ncut: Ncut) -> None:
    client = ncut.client("second")
    client.get(reverse("activities:me"))
    course = MoocCourse.objects.get(institution=ncut.institution, title="數位學法")
    response = client.post(
        reverse("activities:mooc-upload"),
        {"course": course.pk, "file": SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 200
    assert not MoocUpload.objects.exists()
    big = SimpleUploadedFile("cert.pdf", PDF + b"0" * (5 * 1024 * 1024))
    response = client.post(reverse("activities:mooc-upload"), {"course": course.pk, "file": big})
    assert response.status_code == 200 and not MoocUpload.objects.exists()


def test_subsidy_application_from_the_page(ncut: Ncut) -> None:
    client = ncut.client("second")
    response = client.post(
        reverse("activities:subsidy-apply"),
        {
            "code": "TS-B-NETWORK",
            "exam_date": "2025-11-01",
            "fee": "3000",
            "receipt": SimpleUploadedFile("receipt.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
        },
    )
    assert response.status_code == 302
    application = SubsidyApplication.objects.get(student=ncut.second)
    assert (application.code, application.fee, application.status) == ("TS-B-NETWORK", 3000, "pending")
    # a code not on the department's list (資工) is not offered
    response = client.post(
        reverse("activities:subsidy-apply"),
        {"code": "GEPT-HI", "exam_date": "2025-11-01", "fee": "3000", "receipt": SimpleUploadedFile("r.pdf", PDF)},
    )
    assert response.status_code == 200 and SubsidyApplication.objects.count() == 1


def test_an_approved_mooc_counts_in_the_summary(ncut: Ncut) -> None:
    client = ncut.client("second")
    client.get(reverse("activities:me"))
    course = MoocCourse.objects.get(institution=ncut.institution, title="數位學法")
    upload = MoocUpload.objects.create(student=ncut.second, course=course, file=SimpleUploadedFile("c.pdf", PDF))
    mooc_upload_review(upload, user=ncut.staff["academic"], approve=True)
    from menkan.web.audits.services import student_audit

    student_audit(ncut.second)  # the commit hook does this in production; tests run inside one transaction
    shown = summary_lines(client.get(reverse("activities:me")).content.decode())
    assert "抗壓自主學習 4 / 3 通過" in shown


def test_the_subsidy_form_is_offered_only_while_the_student_may_apply(ncut: Ncut) -> None:
    client = ncut.client("second")
    assert 'id="subsidy-form"' in client.get(reverse("activities:me")).content.decode()
    application = SubsidyApplication.objects.create(
        student=ncut.second, code="TS-B-NETWORK", title="網路", exam_date=dt.date(2025, 11, 1), fee=3000
    )
    html = client.get(reverse("activities:me"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'id="subsidy-form"' not in html and "您已有一件申請等待審核。" in html
    application.status, application.amount = "approved", 1500
    application.save()
    html = client.get(reverse("activities:me"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="subsidy-form"' not in html and "it is granted once per student" in html
    application.status = "rejected"
    application.save()
    assert 'id="subsidy-form"' in client.get(reverse("activities:me")).content.decode()


def test_a_mooc_course_already_on_the_record_is_not_counted_again(ncut: Ncut) -> None:
    """Issue 11: the demo's pending certificate was of 幸福入門-正向心理學, on the student's record since 112-2;
    approving it wrote a second 3 h activity in 114-1 (抗壓 6 / 3, and 10 / 3 with two lectures)."""
    from menkan.web.audits.services import student_audit
    from menkan.web.records.models import Activity

    client = ncut.client("second")
    client.get(reverse("activities:me"))
    course = MoocCourse.objects.get(institution=ncut.institution, title="幸福入門-正向心理學")
    form = re.search(r'<form[^>]*id="mooc-form".*?</form>', client.get(reverse("activities:me")).content.decode(), re.S)
    assert form is not None and "幸福入門-正向心理學" not in form.group(0) and "數位學法" in form.group(0)
    response = client.post(
        reverse("activities:mooc-upload"), {"course": course.pk, "file": SimpleUploadedFile("c.pdf", PDF)}
    )
    assert response.status_code == 200 and not MoocUpload.objects.exists()
    with pytest.raises(ActivityError, match="on the record already \\(112-2\\)"), translation.override("en"):
        mooc_upload_create(ncut.second, course, SimpleUploadedFile("c.pdf", PDF))
    upload = MoocUpload.objects.create(student=ncut.second, course=course, file=SimpleUploadedFile("c.pdf", PDF))
    with pytest.raises(ActivityError, match="on the record already \\(112-2\\)"), translation.override("en"):
        mooc_upload_review(upload, user=ncut.staff["academic"], approve=True)
    upload.refresh_from_db()
    assert upload.status == "pending" and upload.activity is None
    assert Activity.objects.filter(student=ncut.second, item="resilience").count() == 1
    student_audit(ncut.second)
    assert "抗壓自主學習 3 / 3 通過" in summary_lines(client.get(reverse("activities:me")).content.decode())
    mooc_upload_review(upload, user=ncut.staff["academic"], approve=False, reason="已於 112-2 認列")
    assert MoocUpload.objects.get(pk=upload.pk).status == "rejected"


def test_one_open_certificate_per_course_even_when_two_uploads_race(ncut: Ncut) -> None:
    from django.db import IntegrityError, transaction

    course = MoocCourse.objects.create(institution=ncut.institution, title="數位學法", hours=Decimal(1))
    MoocUpload.objects.create(student=ncut.second, course=course, file=SimpleUploadedFile("c.pdf", PDF))
    with pytest.raises(IntegrityError), transaction.atomic():  # what the second of two simultaneous uploads meets
        MoocUpload.objects.create(student=ncut.second, course=course, file=SimpleUploadedFile("c.pdf", PDF))
    MoocUpload.objects.filter(student=ncut.second).update(status="rejected")
    MoocUpload.objects.create(student=ncut.second, course=course, file=SimpleUploadedFile("c.pdf", PDF))


def test_the_demos_pending_certificate_is_of_a_course_the_student_does_not_have(ncut: Ncut) -> None:
    import io

    from menkan.web.activities import demo, selectors

    ncut.second.user = None
    ncut.second.save(update_fields=["user"])
    demo.demo_load(io.StringIO())
    upload = MoocUpload.objects.get(student=ncut.second)
    assert selectors.mooc_hours_on_record(ncut.second, upload.course.title) is None
