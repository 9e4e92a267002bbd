"""The offices' work: offerings, hours by roster and single entry, MOOC reviews and list, licence lists (published
as policy versions), licences and subsidies."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from menkan.web.activities import services
from menkan.web.activities.models import LicenceListEntry, MoocCourse, MoocUpload, Offering, SubsidyApplication
from menkan.web.activities.services import ActivityError
from menkan.web.audits.models import PolicyVersion
from menkan.web.audits.services import policy_current, policy_set_of
from menkan.web.records.models import Activity, Certificate

from .test_activities_world import Ncut, ncut_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    return ncut_world(settings, tmp_path)


PDF = b"%PDF-1.4\n%fake\n"


def _offering(ncut: Ncut, **fields: object) -> Offering:
    values = {
        "institution": ncut.institution,
        "office": "學務處",
        "item": "social",
        "title": "淨灘志工",
        "date": dt.date(2025, 10, 18),
        "hours": Decimal(4),
        "capacity": 30,
        "term": "114-1",
        **fields,
    }
    return Offering.objects.create(**values)


# --------------------------------------------------------------------------------------------------- offerings


def test_staff_create_edit_and_close_an_offering_of_their_item(ncut: Ncut) -> None:
    client = ncut.client("library")
    page = client.get(reverse("activities:offering-create")).content.decode()
    assert 'value="ncut:improvement"' in page and "ncut:resilience" not in page
    data = {
        "item": "ncut:improvement",
        "title": "電子資源線上教育訓練：Scopus",
        "date": "2025-10-22",
        "hours": "2",
        "capacity": "100",
        "term": "114-1",
    }
    response = client.post(reverse("activities:offering-create"), data)
    offering = Offering.objects.get()
    assert response.status_code == 302
    assert (offering.office, offering.item, offering.hours, offering.capacity) == ("圖書館", "improvement", 2, 100)
    response = client.post(reverse("activities:offering-edit", args=[offering.pk]), {**data, "capacity": "120"})
    offering.refresh_from_db()
    assert response.status_code == 302 and offering.capacity == 120
    client.post(reverse("activities:offering-close", args=[offering.pk]))
    offering.refresh_from_db()
    assert offering.closed
    listing = client.get(reverse("activities:offering-list")).content.decode()
    assert f'data-offering="{offering.pk}"' in listing


def test_an_item_of_another_office_is_refused(ncut: Ncut) -> None:
    client = ncut.client("library")
    data = {
        "item": "ncut:resilience",
        "title": "x",
        "date": "2025-10-22",
        "hours": "2",
        "capacity": "1",
        "term": "114-1",
    }
    response = client.post(reverse("activities:offering-create"), data)
    assert response.status_code == 200 and not Offering.objects.exists()
    with pytest.raises(ActivityError):
        services.offering_create(
            user=ncut.staff["library"],
            institution=ncut.institution,
            item="resilience",
            title="x",
            date=dt.date(2025, 10, 1),
            hours=Decimal(1),
            capacity=1,
            term="114-1",
        )


def test_invalid_form_values_get_clear_messages(ncut: Ncut) -> None:
    data = {
        "item": "ncut:improvement",
        "title": "x",
        "date": "2025-10-22",
        "hours": "0",
        "capacity": "0",
        "term": "11x",
    }
    html = ncut.client("library").post(reverse("activities:offering-create"), data).content.decode()
    assert html.count('class="errorlist"') >= 3 and "」不是學期" in html
    assert not Offering.objects.exists()


def test_staff_see_the_sign_up_list(ncut: Ncut) -> None:
    offering = _offering(ncut, date=dt.date.today() + dt.timedelta(days=3))
    services.signup_create(ncut.second, offering)
    html = (
        ncut.client("student-affairs").get(reverse("activities:offering-detail", args=[offering.pk])).content.decode()
    )
    assert "NC11107002" in html and "NC11107001" not in html


# --------------------------------------------------------------------------------------------------- roster


def _csv(*ids: str, header: str = "學號") -> bytes:
    return ("\r\n".join([header, *ids]) + "\r\n").encode()


def test_roster_upload_registers_an_activity_per_student(ncut: Ncut) -> None:
    offering = _offering(ncut)
    client = ncut.client("student-affairs")
    roster = SimpleUploadedFile("roster.csv", _csv("NC11107001", "NC11107002"))
    response = client.post(reverse("activities:offering-roster", args=[offering.pk]), {"file": roster})
    assert response.status_code == 200
    rows = Activity.objects.filter(title="淨灘志工", term="114-1").order_by("student__student_id")
    assert [(a.student.student_id, a.item, a.hours, a.unit, a.date) for a in rows] == [
        ("NC11107001", "social", 4, "學務處", dt.date(2025, 10, 18)),
        ("NC11107002", "social", 4, "學務處", dt.date(2025, 10, 18)),
    ]
    # the same roster again changes nothing
    before = list(Activity.objects.values_list("pk", "hours", "title"))
    again = services.roster_register(
        offering, user=ncut.staff["student-affairs"], filename="roster.csv", content=_csv("NC11107001", "NC11107002")
    )
    assert again.applied and again.created == [] and sorted(again.unchanged) == ["NC11107001", "NC11107002"]
    assert list(Activity.objects.values_list("pk", "hours", "title")) == before


def test_roster_from_xlsx(ncut: Ncut) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["學號", "姓名"])
    sheet.append(["NC11107002", "學生002"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = services.roster_register(
        _offering(ncut), user=ncut.staff["student-affairs"], filename="roster.xlsx", content=buffer.getvalue()
    )
    assert report.applied and report.created == ["NC11107002"]


@pytest.mark.parametrize(
    ("ids", "row", "words"),
    [
        (("NC11107001", "NC99999999"), 3, "NC99999999"),  # unknown
        (("NC11007001", "NC11107001"), 2, "NC11007001"),  # the requirement does not concern them
        (("NC11107001", "B112340001"), 3, "B112340001"),  # another institution's student (or none)
    ],
    ids=["unknown", "not-concerned", "other-institution"],
)
def test_a_bad_roster_row_refuses_the_whole_file_and_names_the_row(ncut: Ncut, ids, row, words) -> None:
    offering = _offering(ncut)
    before = Activity.objects.count()
    response = ncut.client("student-affairs").post(
        reverse("activities:offering-roster", args=[offering.pk]),
        {"file": SimpleUploadedFile("roster.csv", _csv(*ids))},
    )
    html = response.content.decode()
    assert f"第 {row} 列" in html and words in html
    assert Activity.objects.count() == before  # nothing written, not even the good rows
    report = services.roster_register(
        offering, user=ncut.staff["student-affairs"], filename="roster.csv", content=_csv(*ids)
    )
    assert [number for number, _ in report.problems] == [row] and not report.applied


def test_roster_without_a_header_and_with_a_repeated_id(ncut: Ncut) -> None:
    offering = _offering(ncut)
    report = services.roster_register(
        offering, user=ncut.staff["student-affairs"], filename="r.csv", content=b"NC11107001\nNC11107001\n"
    )
    assert report.problems == [(2, "NC11107001 重複列出")]
    report = services.roster_register(
        offering, user=ncut.staff["student-affairs"], filename="r.csv", content=b"NC11107001\n"
    )
    assert report.applied and report.created == ["NC11107001"]


def test_single_entry(ncut: Ncut) -> None:
    offering = _offering(ncut)
    client = ncut.client("student-affairs")
    client.post(reverse("activities:offering-entry", args=[offering.pk]), {"student_id": "NC11107002"})
    assert Activity.objects.filter(student=ncut.second, title="淨灘志工", term="114-1").count() == 1
    html = client.post(
        reverse("activities:offering-entry", args=[offering.pk]), {"student_id": "NC404"}
    ).content.decode()
    assert "NC404" in html and not Activity.objects.filter(student__student_id="NC404").exists()


# --------------------------------------------------------------------------------------------------- MOOCs


def _upload(ncut: Ncut, title: str = "幸福行動：正向心理「復原」條件好 EASY") -> MoocUpload:
    services.mooc_courses_seed(ncut.institution)
    course = MoocCourse.objects.get(institution=ncut.institution, title=title)
    return services.mooc_upload_create(ncut.second, course, SimpleUploadedFile("c.pdf", PDF))


def test_the_mooc_list_is_seeded_from_the_policy_and_maintained(ncut: Ncut) -> None:
    client = ncut.client("academic")
    html = client.get(reverse("activities:mooc-courses")).content.decode()
    assert "醫務心理學" in html and "從生專轉轉入職服務" in html
    assert MoocCourse.objects.filter(institution=ncut.institution).count() == 7
    client.post(
        reverse("activities:mooc-courses"), {"title": "壓力管理", "hours": "2", "audience": "一般教育", "active": "on"}
    )
    course = MoocCourse.objects.get(title="壓力管理")
    assert course.hours == 2
    client.post(reverse("activities:mooc-course-edit", args=[course.pk]), {"title": "壓力管理", "hours": "1.5"})
    course.refresh_from_db()
    assert course.hours == Decimal("1.5") and not course.active
    # a duplicate title is refused with a message
    html = client.post(reverse("activities:mooc-courses"), {"title": "醫務心理學", "hours": "3"}).content.decode()
    assert "清單已有課程「醫務心理學」" in html


def test_approving_a_mooc_registers_its_certified_hours_on_resilience(ncut: Ncut) -> None:
    upload = _upload(ncut)
    client = ncut.client("academic")
    assert f'data-upload="{upload.pk}"' in client.get(reverse("activities:mooc-reviews")).content.decode()
    client.post(reverse("activities:mooc-review", args=[upload.pk]), {"decision": "approve", "reason": ""})
    upload.refresh_from_db()
    assert upload.status == "approved" and upload.activity is not None
    activity = upload.activity
    assert (activity.item, activity.hours, activity.unit, activity.title) == (
        "resilience",
        3,
        "教務處",
        "幸福行動：正向心理「復原」條件好 EASY",
    )
    with pytest.raises(ActivityError):  # reviewed once
        services.mooc_upload_review(upload, user=ncut.staff["academic"], approve=True)


def test_rejecting_needs_a_reason(ncut: Ncut) -> None:
    upload = _upload(ncut)
    client = ncut.client("academic")
    client.post(reverse("activities:mooc-review", args=[upload.pk]), {"decision": "reject", "reason": ""})
    upload.refresh_from_db()
    assert upload.status == "pending"
    client.post(reverse("activities:mooc-review", args=[upload.pk]), {"decision": "reject", "reason": "非指定課程"})
    upload.refresh_from_db()
    assert (upload.status, upload.reason, upload.activity) == ("rejected", "非指定課程", None)


# --------------------------------------------------------------------------------------------------- licences


def test_the_licence_lists_are_seeded_and_an_edit_publishes_a_new_policy_version(ncut: Ncut) -> None:
    client = ncut.client("rd")
    html = client.get(reverse("activities:licence-lists")).content.decode()
    assert "TS-B-SOFTWARE" in html
    old = policy_current(ncut.institution)
    response = client.post(reverse("activities:licence-lists"), {"department": "資工", "code": "CISCO-CCNA"})
    assert response.status_code == 302
    new = policy_current(ncut.institution)
    assert new.version == old.version + 1 and PolicyVersion.objects.filter(pk=old.pk).exists()
    codes = services.selectors.licence_codes_in_policy(ncut.institution)
    assert codes["資工"] == ["TS-B-SOFTWARE", "TS-B-NETWORK", "TQC-PY-PRO", "CISCO-CCNA"]
    assert codes["化材"] == ["TS-B-CHEM", "TS-B-CHEMENG", "TS-B-OSH", "EPA-WASTEWATER"]  # the rest unchanged
    assert policy_set_of(new).institution.id == "ncut"
    # removing publishes again, and the audit follows: the first student's licence no longer counts
    entry = LicenceListEntry.objects.get(department="資工", code="TS-B-SOFTWARE")
    client.post(reverse("activities:licence-entry-remove", args=[entry.pk]))
    assert "TS-B-SOFTWARE" not in services.selectors.licence_codes_in_policy(ncut.institution)["資工"]
    from menkan.web.audits.services import student_audit

    document = student_audit(ncut.first).document
    licence = next(c for c in document["requirements"][0]["children"] if c["id"].endswith("license"))
    assert licence["status"] == "not-met"


def test_the_rewrite_keeps_the_rest_of_the_file() -> None:
    text = "a: 1\n  codes_by_department:\n    X: [A]\n    Y: [B]\n\n  # after\nb: 2\n"
    assert services.codes_by_department_rewrite(text, {"X": ["A", "C"]}) == (
        "a: 1\n  codes_by_department:\n    X: [A, C]\n\n  # after\nb: 2\n"
    )


def test_register_a_licence_from_the_departments_list(ncut: Ncut) -> None:
    client = ncut.client("rd")
    client.post(
        reverse("activities:licence-register"), {"student_id": "NC11107002", "code": "TS-B-NETWORK", "term": "114-1"}
    )
    certificate = Certificate.objects.get(student=ncut.second)
    assert (certificate.code, certificate.title, certificate.level, certificate.unit) == (
        "TS-B-NETWORK",
        "網路架設 乙級技術士",
        "乙",
        "研發處",
    )
    # a code of another department's list is refused
    html = client.post(
        reverse("activities:licence-register"), {"student_id": "NC11107002", "code": "GEPT-HI", "term": "114-1"}
    ).content.decode()
    assert "GEPT-HI 不在資工的證照列表上" in html
    assert Certificate.objects.filter(student=ncut.second).count() == 1


def _application(ncut: Ncut, fee: int, student: str = "second") -> SubsidyApplication:
    services.licence_entries_seed(ncut.institution)
    return services.subsidy_apply(
        getattr(ncut, student),
        code="TS-B-NETWORK" if student == "second" else "TS-B-SOFTWARE",
        exam_date=dt.date(2025, 11, 1),
        fee=fee,
        receipt=SimpleUploadedFile("r.pdf", PDF),
    )


@pytest.mark.parametrize(("fee", "amount"), [(3000, 1500), (5000, 2000), (4000, 2000), (1001, 500)])
def test_subsidy_is_half_the_fee_at_most_2000(ncut: Ncut, fee: int, amount: int) -> None:
    application = _application(ncut, fee)
    ncut.client("rd").post(reverse("activities:subsidy-review", args=[application.pk]), {"decision": "approve"})
    application.refresh_from_db()
    assert (application.status, application.amount) == ("approved", amount)


def test_subsidy_once_per_student(ncut: Ncut) -> None:
    first = _application(ncut, 3000)
    services.subsidy_review(first, user=ncut.staff["rd"], approve=True)
    with pytest.raises(ActivityError):  # the student cannot apply again
        _application(ncut, 3000)
    # even an application that got in (made before the first approval) cannot be approved as well
    second = SubsidyApplication.objects.create(
        student=ncut.second, code="TS-B-NETWORK", title="x", exam_date=dt.date(2025, 12, 1), fee=2000, receipt="r.pdf"
    )
    with pytest.raises(ActivityError):
        services.subsidy_review(second, user=ncut.staff["rd"], approve=True)
    second.refresh_from_db()
    assert second.status == "pending"
    assert SubsidyApplication.objects.filter(student=ncut.second, status="approved").count() == 1


def test_subsidy_rejection_with_reason_shown_to_the_student(ncut: Ncut) -> None:
    application = _application(ncut, 3000)
    ncut.client("rd").post(
        reverse("activities:subsidy-review", args=[application.pk]), {"decision": "reject", "reason": "收據不清楚"}
    )
    application.refresh_from_db()
    assert (application.status, application.amount) == ("rejected", None)
    assert "收據不清楚" in ncut.client("second").get(reverse("activities:me")).content.decode()


def test_the_offering_pages_show_the_items_title_not_its_code(ncut: Ncut) -> None:
    offering = _offering(ncut)
    client = ncut.client("student-affairs")
    detail = client.get(reverse("activities:offering-detail", args=[offering.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")
    listing = client.get(reverse("activities:offering-list"), HTTP_ACCEPT_LANGUAGE="zh-hant")
    for page in (detail.content.decode(), listing.content.decode()):
        assert "學務處 · 社會接軌自主學習" in page and "· social" not in page


def test_the_mooc_reviews_link_to_the_certificate_says_open_the_file(ncut: Ncut) -> None:
    upload = _upload(ncut)
    html = ncut.client("academic").get(reverse("activities:mooc-reviews"), HTTP_ACCEPT_LANGUAGE="zh-hant")
    link = f'href="{reverse("activities:upload-file", args=[upload.pk])}">開啟檔案</a>'
    assert link in html.content.decode() and ">開放</a>" not in html.content.decode()
