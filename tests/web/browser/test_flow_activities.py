"""NCUT self-directed learning in the browser: 學務處 creates an activity, a senior signs up, the office uploads the
roster and the senior's summary card counts the hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook

from menkan.web.activities.models import Offering

from ..conftest import PASSWORD
from ..test_activities_world import Ncut, build_ncut
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ncut(transactional_db: Any, settings: Any, tmp_path: Any) -> Ncut:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_ncut()


def summary(page: Any) -> list[str]:
    return [" ".join(line.split()) for line in page.locator("#self-learning-summary li").all_inner_texts()]


def test_an_office_offers_an_activity_a_student_signs_up_and_the_roster_counts(
    live_server: Any, ncut: Ncut, browser: Any, tmp_path: Any, settings: Any
) -> None:
    staff = browser.new_context(locale="zh-TW").new_page()
    student = browser.new_context(locale="zh-TW").new_page()
    day = timezone.localdate() + dt.timedelta(days=7)

    # 學務處 creates the activity
    log_in(staff, live_server.url, "ncut-student-affairs", PASSWORD)
    staff.goto(f"{live_server.url}/activities/offerings/")
    assert "學務處" in staff.inner_text("h1")
    staff.click("a[href$='/activities/offerings/new/']")
    staff.wait_for_selector("#offering-form")
    assert staff.locator("#id_item option").count() == 1  # only 學務處's item
    staff.select_option("#id_item", "ncut:social")
    staff.fill("#id_title", "淨灘志工")
    staff.fill("#id_date", day.isoformat())
    staff.fill("#id_hours", "4")
    staff.fill("#id_capacity", "30")
    staff.click("#offering-form button[type=submit]")
    staff.wait_for_selector("#roster-form")
    assert "活動已建立" in staff.inner_text("body")
    assert "學務處 · 社會接軌自主學習 · " in staff.inner_text(".card p >> nth=0")
    shot(staff, "activities-offering-created")
    staff.goto(f"{live_server.url}/activities/offerings/")
    row = staff.locator("#offering-list tr", has_text="淨灘志工")
    assert row.count() == 1
    assert "0 / 30" in row.inner_text() and "社會接軌" in row.inner_text()

    # the senior sees the summary card and signs up
    log_in(student, live_server.url, "ncut-second", PASSWORD)
    student.goto(f"{live_server.url}/activities/me/")
    assert summary(student)[4] == "社會接軌自主學習 16 + 5 / 24 未通過"
    offering = student.locator("#offerings tr", has_text="淨灘志工")
    assert "0 / 30" in offering.inner_text()
    offering.locator("button", has_text="報名").click()
    student.wait_for_load_state()
    offering = student.locator("#offerings tr", has_text="淨灘志工")
    assert "已報名" in offering.inner_text() and "1 / 30" in offering.inner_text()
    shot(student, "activities-student-signed-up")

    # the day of the activity has come (hours are registered only for what has happened): the office sees the
    # sign-up and uploads the roster
    settings.MENKAN_TODAY = day
    staff.locator("#offering-list a", has_text="淨灘志工").click()
    staff.wait_for_selector("#signups")
    assert "NC11107002" in staff.inner_text("#signups")
    roster = tmp_path / "roster.csv"
    roster.write_text("學號\nNC11107002\nNC99999999\n", encoding="utf-8")
    staff.set_input_files("#roster-form input[type=file]", str(roster))
    staff.click("#roster-form button[type=submit]")
    staff.wait_for_selector("#report")
    assert "NC99999999" in staff.inner_text("#problems")  # the whole file is refused
    roster.write_text("學號\nNC11107002\n", encoding="utf-8")
    staff.set_input_files("#roster-form input[type=file]", str(roster))
    staff.click("#roster-form button[type=submit]")
    staff.wait_for_selector("#report .success")
    assert "1" in staff.inner_text("#report")
    shot(staff, "activities-roster-registered")

    # the student's summary counts the four hours
    student.goto(f"{live_server.url}/activities/me/")
    assert summary(student)[4] == "社會接軌自主學習 20 + 5 / 24 通過"
    shot(student, "activities-student-summary-after")


def test_a_mooc_certificate_and_a_subsidy_are_reviewed_by_their_offices(
    live_server: Any, ncut: Ncut, browser: Any, tmp_path: Any
) -> None:
    base = live_server.url
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%certificate\n")
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "ncut-second", PASSWORD)
    student.wait_for_load_state()
    student.click("nav a[href$='/activities/me/']")
    student.wait_for_selector("#mooc-form")
    assert summary(student)[1] == "抗壓自主學習 3 / 3 通過"
    course = student.locator("#mooc-form select option").nth(0)
    course_title = course.inner_text().rsplit(" (", 1)[0]  # not 幸福入門-正向心理學: counted since 112-2
    assert course_title != "幸福入門-正向心理學"
    student.select_option("#mooc-form select", course.get_attribute("value"))
    student.set_input_files("#mooc-form input[type=file]", str(pdf))
    student.click("#mooc-form button[type=submit]")
    student.wait_for_selector("#moocs tr[data-upload]")
    assert "待審核" in student.inner_text("#moocs tr[data-upload]")

    student.select_option("#subsidy-form select", index=0)
    student.fill("#subsidy-form input[name=exam_date]", "2025-10-01")
    student.fill("#subsidy-form input[name=fee]", "3000")
    student.set_input_files("#subsidy-form input[type=file]", str(pdf))
    student.click("#subsidy-form button[type=submit]")
    student.wait_for_selector("#subsidies tr[data-application]")
    assert "待審核" in student.inner_text("#subsidies tr[data-application]")
    assert student.locator("#subsidy-form").count() == 0 and "等待審核" in student.inner_text("#subsidy-closed")
    shot(student, "activities-student-uploads")

    # 教務處 approves the MOOC certificate
    academic = browser.new_context(locale="zh-TW").new_page()
    log_in(academic, base, "ncut-academic", PASSWORD)
    academic.wait_for_load_state()
    academic.click("nav a[href$='/activities/offerings/']")
    academic.click(".staff-nav a[href$='/activities/moocs/reviews/']")
    upload = academic.locator("#uploads tr[data-upload]", has_text="NC11107002")
    assert course_title in upload.inner_text()
    assert upload.locator("a", has_text="開啟檔案").count() == 1  # the certificate, not "開放" (open for sign-up)
    upload.locator("select[name=decision]").select_option("approve")
    upload.locator("button[type=submit]").click()
    academic.wait_for_load_state()
    academic.goto(f"{base}/activities/moocs/reviews/?status=approved")
    assert "已核准" in academic.inner_text("#uploads")
    shot(academic, "activities-mooc-reviewed")

    # 研發處 approves the subsidy: half of NT$3,000
    rd = browser.new_context(locale="zh-TW").new_page()
    log_in(rd, base, "ncut-rd", PASSWORD)
    rd.wait_for_load_state()
    rd.goto(f"{base}/activities/subsidies/")
    application = rd.locator("#applications tr[data-application]", has_text="NC11107002")
    application.locator("select[name=decision]").select_option("approve")
    application.locator("button[type=submit]").click()
    rd.wait_for_load_state()
    rd.goto(f"{base}/activities/subsidies/?status=approved")
    assert "NT$1500" in rd.inner_text("#applications")

    student.goto(f"{base}/activities/me/")
    assert "已核准" in student.inner_text("#moocs tr[data-upload]")
    subsidy = student.inner_text("#subsidies tr[data-application]")
    assert "已核准" in subsidy and "NT$1500" in subsidy
    assert student.locator("#subsidy-form").count() == 0 and student.locator("#subsidy-closed").is_visible()
    resilience = summary(student)[1]
    assert resilience.startswith("抗壓自主學習 ") and resilience != "抗壓自主學習 3 / 3 通過", resilience
    shot(student, "activities-student-reviewed")


def test_the_library_registers_hours_by_xlsx_roster_and_one_by_one(
    live_server: Any, ncut: Ncut, browser: Any, tmp_path: Any
) -> None:
    offering = Offering.objects.create(
        institution=ncut.institution,
        office="圖書館",
        item="improvement",
        title="電子資源線上教育訓練：Scopus",
        date=timezone.localdate(),
        hours=Decimal(1),
        capacity=50,
        term="114-1",
    )
    staff = browser.new_context(locale="zh-TW").new_page()
    log_in(staff, live_server.url, "ncut-library", PASSWORD)
    staff.wait_for_load_state()
    staff.goto(f"{live_server.url}/activities/offerings/{offering.pk}/")
    staff.fill("#entry-form input[name=student_id]", "NC11007001")  # admitted 110: the thresholds do not apply
    staff.click("#entry-form button[type=submit]")
    staff.wait_for_selector("#report")
    assert "NC11007001" in staff.inner_text("#problems")
    book = Workbook()
    book.active.append(["學號", "姓名"])
    book.active.append(["NC11107002", "學生002"])
    roster = tmp_path / "roster.xlsx"
    book.save(roster)
    staff.set_input_files("#roster-form input[type=file]", str(roster))
    staff.click("#roster-form button[type=submit]")
    staff.wait_for_selector("#report .success")
    staff.fill("#entry-form input[name=student_id]", "NC11107002")  # the same again: nothing new
    staff.click("#entry-form button[type=submit]")
    staff.wait_for_selector("#report .success")
    assert "0" in staff.inner_text("#report .success") and "1" in staff.inner_text("#report .success")
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, live_server.url, "ncut-second", PASSWORD)
    student.wait_for_load_state()
    student.goto(f"{live_server.url}/activities/me/")
    assert summary(student)[2] == "精進自主學習能力 3 / 3 通過"
