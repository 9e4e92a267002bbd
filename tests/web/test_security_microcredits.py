"""Security of the micro-credits: the handed-in work is a file of a known kind and size, and only the student
themself and the Center staff of the institution may download it (never a bare MEDIA link)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from menkan.web.accounts.models import Role
from menkan.web.accounts.services import role_assign
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.microcredits import services
from menkan.web.microcredits.models import Enrollment
from menkan.web.microcredits.services import MicroCreditError
from menkan.web.records.models import Institution

from .test_microcredits_flow import Nkust, account, all_sessions, modular, nkust_student

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Reasons are matched in English (the portal's default language is zh-TW)."""
    with translation.override("en"):
        yield


@pytest.fixture
def nk(db: Any, settings: Any, tmp_path: Any) -> Nkust:
    settings.MEDIA_ROOT = tmp_path
    return Nkust()


def _handed_in(nk: Nkust) -> Enrollment:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    return services.work_submit(enrollment, SimpleUploadedFile("worksheet.pdf", b"%PDF-1.4 my work"))


def test_the_work_is_downloaded_by_the_student_and_the_center_staff_only(nk: Nkust) -> None:
    enrollment = _handed_in(nk)
    url = reverse("microcredits:work-file", kwargs={"pk": enrollment.pk})
    for user in (nk.user, nk.staff):
        response = nk.client(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 my work"
        assert response["Content-Disposition"].startswith("attachment")
    classmate = nkust_student("N11100002")
    classmate.user = account("classmate")
    classmate.save(update_fields=["user"])
    policy_publish_shipped("ntut", reaudit=False)
    outsider = account("ntut-center")
    role_assign(outsider, Role.UNIT_STAFF, Institution.objects.get(code="ntut").pk, unit="通識教育中心")
    for user in (classmate.user, outsider, account("nobody")):
        assert nk.client(user).get(url).status_code == 403


def test_the_roster_links_the_checked_download_not_the_media_file(nk: Nkust) -> None:
    enrollment = _handed_in(nk)
    detail = reverse("microcredits:offering-detail", kwargs={"pk": enrollment.offering_id})
    page = nk.client(nk.staff).get(detail).content.decode()
    assert reverse("microcredits:work-file", kwargs={"pk": enrollment.pk}) in page
    assert enrollment.work.name not in page


def test_no_work_handed_in_is_404_for_those_who_may_download(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    url = reverse("microcredits:work-file", kwargs={"pk": enrollment.pk})
    assert nk.client(nk.staff).get(url).status_code == 404
    assert nk.client(account("nobody")).get(url).status_code == 403


@pytest.mark.parametrize("name", ["page.html", "image.svg", "script.js", "noextension", "a.pdf.exe"])
def test_work_of_a_kind_a_browser_runs_is_refused(nk: Nkust, name: str) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    with pytest.raises(MicroCreditError, match="kind"):
        services.work_submit(enrollment, SimpleUploadedFile(name, b"<script>alert(1)</script>"))
    enrollment.refresh_from_db()
    assert not enrollment.work and enrollment.work_submitted_at is None


def test_work_larger_than_the_limit_is_refused(nk: Nkust, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "MAX_WORK_BYTES", 10)
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    with pytest.raises(MicroCreditError, match="larger"):
        services.work_submit(enrollment, SimpleUploadedFile("work.pdf", b"%PDF-1.4 " + b"x" * 20))
    services.work_submit(enrollment, SimpleUploadedFile("work.pdf", b"%PDF-1.4"))
    enrollment.refresh_from_db()
    assert enrollment.work_submitted_at is not None


def test_a_traversing_file_name_stays_in_the_work_folder(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    services.work_submit(enrollment, SimpleUploadedFile("../../../settings.pdf", b"%PDF-1.4"))
    enrollment.refresh_from_db()
    assert enrollment.work.name.startswith("microcredits/work/") and ".." not in enrollment.work.name


def test_refused_work_through_the_page_says_why(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    url = reverse("microcredits:work-submit", kwargs={"pk": enrollment.pk})
    response = nk.client(nk.user).post(url, {"work": SimpleUploadedFile("x.html", b"<script></script>")}, follow=True)
    assert "kind" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.work_submitted_at is None
