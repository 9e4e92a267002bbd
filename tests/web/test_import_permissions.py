"""Who may write hours, certificates and grades, through every path: imports (service, page, API) per kind and per
item, the roster and single entry, MOOC approval and the JSON API. One rule decides them all
(`records.selectors.record_write_permission`): the registrar of the institution writes everything, unit staff only
the records of items their unit owns (NCUT's policy: resilience 教務處, improvement 圖書館, social 學務處,
aesthetics 藝術中心, certificates 研發處), nobody else anything.

Issue 11, item 1: 圖書館's staff imported `resilience` hours (教務處's) and they counted in the student's audit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from menkan.web.accounts.models import Role
from menkan.web.accounts.services import api_token_create, role_assign
from menkan.web.activities import services
from menkan.web.activities.models import MoocCourse, Offering
from menkan.web.audits.models import PolicyVersion
from menkan.web.audits.services import policy_current, policy_publish
from menkan.web.records.imports import import_run
from menkan.web.records.models import Activity, Certificate, CourseRecord, Department, Institution, Student
from menkan.web.records.selectors import record_write_permission

from .test_activities_world import Ncut, _user, ncut_world

pytestmark = pytest.mark.django_db

STUDENT = "NC11107002"  # the document's second student: the requirement applies, 抗壓 not yet met in 114-1


@pytest.fixture(autouse=True)
def _reasons_in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def ncut(db: Any, settings: Any, tmp_path: Any) -> Ncut:
    world = ncut_world(settings, tmp_path)
    world.staff["registrar"] = _user("ncut-registrar")
    role_assign(world.staff["registrar"], Role.REGISTRAR, world.institution.pk)
    world.staff["nobody"] = _user("ncut-nobody")  # signed in, no role at NCUT
    return world


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def activity_file(item: str, title: str = "權限測試活動", unit: str = "") -> bytes:
    return csv_bytes([["學號", "項目", "時數", "學期", "活動名稱", "單位"], [STUDENT, item, "3", "114-1", title, unit]])


def certificate_file(code: str = "TS-B-NETWORK") -> bytes:
    return csv_bytes([["學號", "證照代碼", "證照名稱", "學期"], [STUDENT, code, "網路架設乙級", "114-1"]])


def course_file() -> bytes:
    return csv_bytes(
        [["學號", "學期", "永久課號", "課名", "學分數", "成績"], [STUDENT, "114-1", "PERM01", "權限測試", "2", "90"]]
    )


def student_file() -> bytes:
    return csv_bytes([["學號", "系所", "入學學期"], ["NC11407999", "資工", "114-1"]])


def written() -> dict[str, int]:
    """How many records and history rows there are: a refused import leaves both as they were."""
    counts = {}
    for model in (Student, CourseRecord, Activity, Certificate):
        counts[model.__name__] = model.objects.count()
        counts[f"history {model.__name__}"] = model.history.model.objects.count()  # type: ignore[attr-defined]
    return counts


def imported(ncut: Ncut, who: str, kind: str, content: bytes) -> Any:
    return import_run(
        kind=kind,  # type: ignore[arg-type]
        filename=f"{kind}.csv",
        content=content,
        institution=ncut.institution,
        user=ncut.staff[who],
    )


# --------------------------------------------------------------------------------------------------- the incident


def test_the_library_may_not_import_resilience_hours_and_nothing_is_written(ncut: Ncut) -> None:
    before = written()
    report = imported(ncut, "library", "activities", activity_file("resilience"))
    assert not report.applied
    assert [(p.row, p.column) for p in report.problems] == [(2, "項目")]  # the row and the column of the item
    assert report.problems[0].reason == (
        "hours of resilience: the item is 教務處's; only its staff or the registrar register it (you: 圖書館)"
    )
    assert written() == before
    assert not Activity.objects.filter(title="權限測試活動").exists()


def test_the_owner_office_and_the_registrar_import_resilience_hours(ncut: Ncut) -> None:
    report = imported(ncut, "academic", "activities", activity_file("resilience", "教務處的講座"))
    assert report.ok and report.applied, report.problems
    assert Activity.objects.get(title="教務處的講座").unit == "教務處"  # registered for the item's owner
    report = imported(ncut, "registrar", "activities", activity_file("resilience", "註冊組登錄的講座"))
    assert report.ok and report.applied, report.problems


def test_the_library_is_refused_on_the_page_and_the_api_too(ncut: Ncut) -> None:
    before = written()
    upload = SimpleUploadedFile("a.csv", activity_file("resilience"))
    page = ncut.client("library").post(
        "/imports/", {"institution": "ncut", "kind": "activities", "file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>2</td><td>項目</td>" in html
    assert "resilience 的時數：此項目屬於教務處，只有該單位人員或註冊組可以登錄（您的單位：圖書館）" in html
    _, raw = api_token_create(ncut.staff["library"], "import")
    api = Client().post(
        "/api/v1/imports",
        {
            "kind": "activities",
            "institution": "ncut",
            "apply": "true",
            "file": SimpleUploadedFile("a.csv", activity_file("resilience")),
        },
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 422
    assert [(p["row"], p["column"]) for p in api.json()["report"]["problems"]] == [(2, "項目")]
    assert written() == before


# --------------------------------------------------------------------------------------------------- per kind and item


@dataclass(frozen=True)
class Attempt:
    kind: str
    content: bytes
    allowed: frozenset[str]
    column: str  # where a refused row is located ("" for a refusal of the whole request, 403)


ATTEMPTS = {
    "students": Attempt("students", student_file(), frozenset({"registrar"}), ""),
    "courses": Attempt("courses", course_file(), frozenset({"registrar"}), ""),
    "activities resilience": Attempt(
        "activities", activity_file("resilience"), frozenset({"registrar", "academic"}), "項目"
    ),
    "activities improvement": Attempt(
        "activities", activity_file("improvement"), frozenset({"registrar", "library"}), "項目"
    ),
    "activities social": Attempt(
        "activities", activity_file("social"), frozenset({"registrar", "student-affairs"}), "項目"
    ),
    "activities aesthetics": Attempt(
        "activities", activity_file("aesthetics"), frozenset({"registrar", "art"}), "項目"
    ),
    # the certificates' entry is no activity item; an item nobody owns is the registrar's
    "activities license": Attempt("activities", activity_file("license"), frozenset({"registrar"}), "項目"),
    "activities unowned": Attempt("activities", activity_file("lecture"), frozenset({"registrar"}), "項目"),
    "certificates": Attempt("certificates", certificate_file(), frozenset({"registrar", "rd"}), "證照代碼"),
}
WHO = ("registrar", "academic", "library", "student-affairs", "art", "rd", "nobody")
UNIT_KINDS = {"activities", "certificates"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("what", ATTEMPTS)
def test_the_import_api_writes_only_what_the_importer_owns(ncut: Ncut, what: str, who: str) -> None:
    attempt = ATTEMPTS[what]
    _, raw = api_token_create(ncut.staff[who], "import")
    before = written()
    response = Client().post(
        "/api/v1/imports",
        {
            "kind": attempt.kind,
            "institution": "ncut",
            "apply": "true",
            "file": SimpleUploadedFile(f"{attempt.kind}.csv", attempt.content),
        },
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    if who in attempt.allowed:
        assert response.status_code == 200, response.content
        assert response.json()["report"]["created"] == 1
        return
    assert written() == before, f"{who} wrote {what} anyway"
    if who != "nobody" and attempt.kind in UNIT_KINDS:  # unit staff reach the rows: the refusal is located
        assert response.status_code == 422, response.content
        problems = response.json()["report"]["problems"]
        assert [(p["row"], p["column"]) for p in problems] == [(2, attempt.column)], problems
    else:
        assert response.status_code == 403, response.content


def test_the_permission_function_says_the_same_for_pages(ncut: Ncut) -> None:
    """The one rule, asked directly: what the roster page and the import both ask."""
    institution = ncut.institution
    assert record_write_permission(ncut.staff["academic"], institution, "activity", "resilience").owner == "教務處"
    assert not record_write_permission(ncut.staff["library"], institution, "activity", "resilience")
    assert record_write_permission(ncut.staff["rd"], institution, "certificate", "TS-B-NETWORK")
    assert not record_write_permission(ncut.staff["rd"], institution, "course")
    assert record_write_permission(ncut.staff["registrar"], institution, "course")
    assert not record_write_permission(ncut.users["first"], institution, "activity", "resilience")
    elsewhere = Institution.objects.create(code="elsewhere", name_zh="他校", name_en="Elsewhere")
    department = Department.objects.create(institution=elsewhere, code="CS", name_zh="資工")
    stranger = Student.objects.create(
        institution=elsewhere, student_id="X1", department=department, admission_term="111-1"
    )
    refused = record_write_permission(ncut.staff["registrar"], institution, "course", student=stranger)
    assert (refused.allowed, refused.reason) == (False, "X1 is not a student of ncut")
    assert record_write_permission(ncut.staff["registrar"], institution, "course", student=ncut.second)


# --------------------------------------------------------------------------------------------------- units in a row


def test_staff_of_two_offices_get_each_items_owner_as_its_unit(ncut: Ncut) -> None:
    both = ncut.staff["academic"]
    role_assign(both, Role.UNIT_STAFF, ncut.institution.pk, unit="圖書館")
    rows = [["學號", "項目", "時數", "學期", "活動名稱"], [STUDENT, "resilience", "2", "114-1", "甲"]]
    rows.append([STUDENT, "improvement", "1", "114-1", "乙"])
    report = import_run(
        kind="activities", filename="a.csv", content=csv_bytes(rows), institution=ncut.institution, user=both
    )
    assert report.ok, report.problems
    assert dict(Activity.objects.filter(title__in=("甲", "乙")).values_list("title", "unit")) == {
        "甲": "教務處",
        "乙": "圖書館",
    }


def test_a_unit_cell_must_name_the_items_owner(ncut: Ncut) -> None:
    both = ncut.staff["academic"]
    role_assign(both, Role.UNIT_STAFF, ncut.institution.pk, unit="圖書館")
    content = activity_file("resilience", unit="圖書館")  # one of theirs, but not the owner of resilience
    report = import_run(kind="activities", filename="a.csv", content=content, institution=ncut.institution, user=both)
    assert [(p.row, p.column) for p in report.problems] == [(2, "單位")]
    assert "the item is 教務處's" in report.problems[0].reason
    content = activity_file("resilience", unit="學務處")  # not theirs at all
    report = imported(ncut, "academic", "activities", content)
    assert [(p.row, p.column) for p in report.problems] == [(2, "單位")]
    assert "學務處 is not yours" in report.problems[0].reason


def test_the_owner_may_not_change_a_record_the_registrar_registered(ncut: Ncut) -> None:
    assert imported(ncut, "registrar", "activities", activity_file("resilience", "註冊組的")).ok
    report = imported(ncut, "academic", "activities", activity_file("resilience", "註冊組的").replace(b",3,", b",9,"))
    assert [(p.row, p.column) for p in report.problems] == [(2, "單位")]
    assert "registered by the registrar" in report.problems[0].reason
    assert Activity.objects.get(title="註冊組的").hours == 3


def test_who_imported_is_kept_in_the_history(ncut: Ncut) -> None:
    assert imported(ncut, "art", "activities", activity_file("aesthetics", "書法")).ok
    assert Activity.objects.get(title="書法").history.first().history_user == ncut.staff["art"]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------- other paths


def _move_item(ncut: Ncut, item: str, office: str) -> PolicyVersion:
    """Publish a new NCUT policy version in which `item` belongs to `office`."""
    version = policy_current(ncut.institution)
    assert version is not None
    files = dict(version.files)
    name = next(n for n, text in files.items() if f"- item: {item}\n" in text)
    text = files[name]
    start = text.index(f"- item: {item}\n")
    at = text.index("office: ", start)
    end = text.index("\n", at)
    files[name] = text[:at] + f"office: {office}" + text[end:]
    return policy_publish(files, reaudit=False)


def test_the_roster_asks_the_current_owner_of_the_item(ncut: Ncut) -> None:
    """An offering of 教務處 for resilience; a new policy gives resilience to 學務處: 教務處 may not register it now."""
    offering = Offering.objects.create(
        institution=ncut.institution,
        office="教務處",
        item="resilience",
        title="抗壓講座",
        date=dt.date(2025, 10, 1),
        hours=2,
        capacity=10,
        term="114-1",
    )
    roster = csv_bytes([["學號"], [STUDENT]])
    _move_item(ncut, "resilience", "學務處")
    before = written()
    with pytest.raises(PermissionDenied):
        services.roster_register(offering, user=ncut.staff["academic"], filename="r.csv", content=roster)
    with pytest.raises(PermissionDenied):
        services.hours_register(offering, user=ncut.staff["academic"], student_id=STUDENT)
    response = ncut.client("academic").post(
        reverse("activities:offering-entry", args=[offering.pk]), {"student_id": STUDENT}
    )
    assert response.status_code == 403
    assert written() == before


def test_only_the_moocs_office_approves_a_mooc_certificate(ncut: Ncut) -> None:
    services.mooc_courses_seed(ncut.institution)
    course = MoocCourse.objects.get(title="數位學法")
    upload = services.mooc_upload_create(ncut.second, course, SimpleUploadedFile("c.pdf", b"%PDF-1.4\n"))
    before = written()
    with pytest.raises(PermissionDenied):
        services.mooc_upload_review(upload, user=ncut.staff["library"], approve=True)
    assert written() == before
    upload.refresh_from_db()
    assert upload.status == "pending"
    approved = services.mooc_upload_review(upload, user=ncut.staff["academic"], approve=True)
    assert approved.activity is not None and approved.activity.unit == "教務處"


def test_a_licence_is_registered_only_by_the_certificates_office(ncut: Ncut) -> None:
    services.licence_entries_seed(ncut.institution)
    with pytest.raises(services.ActivityError, match="the item is 研發處's"):
        services.licence_register(
            ncut.institution, user=ncut.staff["library"], student_id=STUDENT, code="TS-B-NETWORK", term="114-1"
        )
    assert not Certificate.objects.filter(student__student_id=STUDENT, code="TS-B-NETWORK").exists()


def test_replacing_a_whole_record_through_the_api_is_the_registrars(ncut: Ncut) -> None:
    student = Student.objects.get(student_id=STUDENT)
    url = f"/api/v1/students/ncut/{STUDENT}"
    _, raw = api_token_create(ncut.staff["academic"], "api")
    document = (
        Client().get(url, HTTP_AUTHORIZATION=f"Bearer {api_token_create(ncut.staff['registrar'], 'r')[1]}").json()
    )
    document["activities"].append(
        {"item": "resilience", "hours": 9, "term": "114-1", "title": "經 API", "unit": "教務處"}
    )
    refused = Client().put(url, document, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有 ncut 的註冊組可以登錄學生資料"  # the API speaks the default zh-TW
    assert not student.activities.filter(title="經 API").exists()
