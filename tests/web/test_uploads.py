"""Uploads are recognised by their bytes, not their names (issue 11, item 5): one check for every upload path of
the portal — micro-credit work, MOOC certificates, subsidy receipts, rosters."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from menkan.web.activities.models import MoocCourse, MoocUpload, SubsidyApplication
from menkan.web.activities.services import ActivityError, mooc_upload_create
from menkan.web.microcredits import services as micro
from menkan.web.microcredits.services import MicroCreditError
from menkan.web.records.uploads import UploadRefused, content_kind, upload_check

from .test_activities_world import Ncut, ncut_world
from .test_microcredits_flow import Nkust, all_sessions, modular

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Reasons are matched in English unless a test says otherwise (the portal's default language is zh-TW)."""
    with translation.override("en"):
        yield


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"))
XLSX = zipped(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>"))
PPTX = zipped(("[Content_Types].xml", b"<Types/>"), ("ppt/presentation.xml", b"<p:presentation/>"))
ODT = zipped(("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office/>"))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (DOCX, "docx"),
        (XLSX, "xlsx"),
        (PPTX, "pptx"),
        (ODT, "odf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "ole"),
        (zipped(("notes.txt", b"hello")), "zip"),
        ("學號,姓名\nNC1,王\n".encode(), "text"),
        ("學號,姓名\nNC1,王\n".encode("cp950"), "text"),
        (HTML, ""),
        (b"  <svg onload='x'/>", ""),
        (b"MZ\x90\x00\x03\x00\x00\x00", ""),
        (b"", ""),
    ],
)
def test_the_kind_comes_from_the_bytes(data: bytes, kind: str) -> None:
    assert content_kind(io.BytesIO(data)) == kind


def test_the_name_and_the_content_must_agree() -> None:
    assert upload_check(io.BytesIO(PDF), "work.pdf", ("pdf", "png")) == "pdf"
    assert upload_check(io.BytesIO(DOCX), "報告.docx", ("pdf", "docx")) == "docx"
    assert upload_check(io.BytesIO(b"a,b\n"), "roster.csv", ("csv", "xlsx")) == "csv"
    with pytest.raises(UploadRefused, match="not a real PDF file"):
        upload_check(io.BytesIO(HTML), "work.pdf", ("pdf", "png"))
    with pytest.raises(UploadRefused, match="not a real PDF file"):
        upload_check(io.BytesIO(PNG), "work.pdf", ("pdf", "png"))  # an image, but not what its name says
    with pytest.raises(UploadRefused, match="not a real Word"):
        upload_check(io.BytesIO(XLSX), "work.docx", ("docx", "xlsx"))
    with pytest.raises(UploadRefused, match="not accepted: upload PDF, PNG"):
        upload_check(io.BytesIO(HTML), "page.html", ("pdf", "png"))


@pytest.fixture
def nk(db: Any) -> Nkust:
    return Nkust()


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    return ncut_world(settings, tmp_path)


def test_html_named_pdf_is_refused_as_micro_credit_work_and_a_real_pdf_accepted(
    nk: Nkust, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    offering = modular(nk)
    enrollment = micro.enrollment_create(offering, nk.student, all_sessions(offering))
    with translation.override("zh-hant"), pytest.raises(MicroCreditError) as refused:
        micro.work_submit(enrollment, SimpleUploadedFile("worksheet.pdf", HTML, content_type="application/pdf"))
    assert "worksheet.pdf 的內容不是 PDF 檔案" in str(refused.value)
    enrollment.refresh_from_db()
    assert not enrollment.work and enrollment.work_submitted_at is None
    page = nk.client(nk.user).post(
        reverse("microcredits:work-submit", kwargs={"pk": enrollment.pk}),
        {"work": SimpleUploadedFile("worksheet.pdf", HTML)},
        follow=True,
    )
    assert "worksheet.pdf is not a real PDF file" in page.content.decode()
    micro.work_submit(enrollment, SimpleUploadedFile("worksheet.pdf", PDF))
    enrollment.refresh_from_db()
    assert enrollment.work and enrollment.work_submitted_at is not None


def test_html_named_pdf_is_refused_as_a_mooc_certificate_and_a_receipt(ncut: Ncut) -> None:
    client = ncut.client("second")
    client.get(reverse("activities:me"))  # seeds the MOOC list
    course = MoocCourse.objects.get(institution=ncut.institution, title="數位學法")
    response = client.post(
        reverse("activities:mooc-upload"),
        {"course": course.pk, "file": SimpleUploadedFile("cert.pdf", HTML, content_type="application/pdf")},
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    assert response.status_code == 200 and "cert.pdf 的內容不是 PDF 檔案" in response.content.decode()
    with pytest.raises(ActivityError, match="not a real PDF"), translation.override("en"):
        mooc_upload_create(ncut.second, course, SimpleUploadedFile("cert.pdf", HTML))  # not only through the form
    assert not MoocUpload.objects.exists()
    receipt = {"code": "TS-B-NETWORK", "exam_date": "2025-11-01", "fee": "3000"}
    response = client.post(
        reverse("activities:subsidy-apply"), {**receipt, "receipt": SimpleUploadedFile("receipt.pdf", HTML)}
    )
    assert response.status_code == 200 and not SubsidyApplication.objects.exists()
    response = client.post(
        reverse("activities:mooc-upload"), {"course": course.pk, "file": SimpleUploadedFile("c.pdf", PDF)}
    )
    assert response.status_code == 302 and MoocUpload.objects.filter(student=ncut.second).count() == 1


def test_a_roster_that_is_not_csv_or_xlsx_inside_is_refused(ncut: Ncut) -> None:
    from menkan.web.activities.forms import RosterForm

    form = RosterForm({}, {"file": SimpleUploadedFile("roster.xlsx", HTML)})
    assert not form.is_valid()
    assert "roster.xlsx is not a real Excel (.xlsx) file" in str(form.errors["file"])
    assert RosterForm({}, {"file": SimpleUploadedFile("roster.csv", "學號\nNC11107002\n".encode())}).is_valid()
