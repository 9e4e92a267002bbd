"""NKUST micro-credits in the browser: the Center creates a modular course with two sessions, a student takes a seat
confirming every session, the Center signs them in and out, the student hands in the work, the Center passes them,
the student files the certification form and the Center approves it: a micro-credit is imported."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from menkan.web.microcredits import services
from menkan.web.microcredits.models import Offering
from menkan.web.records.calendar import term_current

from ..conftest import PASSWORD
from ..test_microcredits_flow import Nkust, all_sessions, certify, modular
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def nk(transactional_db: Any, settings: Any, tmp_path: Any) -> Nkust:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Nkust()


def test_a_modular_course_from_seat_to_certified_credit(
    live_server: Any, nk: Nkust, browser: Any, tmp_path: Any, settings: Any
) -> None:
    base = live_server.url
    today = timezone.localdate().isoformat()
    center = browser.new_context(locale="zh-TW").new_page()
    log_in(center, base, "center", PASSWORD)
    center.wait_for_load_state()
    center.click("nav a[href$='/microcredits/']")
    center.click("a[href$='/microcredits/new/nkust/']")
    center.wait_for_selector("input[name=title]")
    center.fill("input[name=title]", "感知美學：攝影")
    center.fill("input[name=hours]", "18")
    area = center.locator("select[name=area] option").nth(1).get_attribute("value")
    center.select_option("select[name=area]", area)
    center.click(".card form button[type=submit]")
    center.wait_for_selector("#sessions")
    assert "模組課程" in center.inner_text(".card p >> nth=0") and "0 / 5" in center.inner_text(".card p >> nth=0")
    for starts, ends in (("08:00", "17:00"), ("08:00", "17:00")):
        center.fill("#sessions input[name=date]", today)
        center.fill("#sessions input[name=starts]", starts)
        center.fill("#sessions input[name=ends]", ends)
        center.fill("#sessions input[name=hours]", "9")
        center.click("#sessions button[type=submit]")
        center.wait_for_load_state()
    assert center.locator("#sessions tr").count() == 3  # header and two sessions
    offering = Offering.objects.get(title="感知美學：攝影")
    shot(center, "microcredits-offering-created")

    # the student takes a seat, confirming both sessions
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "nstudent", PASSWORD)
    student.wait_for_load_state()
    student.goto(f"{base}/microcredits/offerings/{offering.pk}/")
    student.wait_for_selector("#signup")
    student.click("#signup button[type=submit]")  # no session ticked: refused
    student.wait_for_load_state()
    assert student.locator("#mine").count() == 0
    assert student.locator(".error, .message").count() >= 1
    for box in student.locator("#signup input[name=session]").all():
        box.check()
    student.click("#signup button[type=submit]")
    student.wait_for_selector("#mine")
    assert "1 / 5" in student.inner_text(".card p >> nth=0")
    shot(student, "microcredits-seat-taken")

    # the Center signs the student in and out of both sessions
    for session in offering.sessions.order_by("pk"):
        center.goto(f"{base}/microcredits/sessions/{session.pk}/")
        for action in ("in", "out"):
            center.fill("textarea[name=ids]", nk.student.student_id)
            center.click(f"button[name=action][value={action}]")
            center.wait_for_load_state()
        row = center.locator("#attendance tr", has_text=nk.student.student_id)
        assert "—" not in row.inner_text(), row.inner_text()
        center.click("button[name=close]")
        center.wait_for_load_state()
        assert center.locator("button[name=close]").count() == 0  # closed
    shot(center, "microcredits-attendance")

    # the student hands in the work
    work = tmp_path / "worksheet.pdf"
    work.write_bytes(b"%PDF-1.4\n%worksheet\n")
    student.goto(f"{base}/microcredits/offerings/{offering.pk}/")
    assert "18" in student.inner_text("#mine")
    student.set_input_files("#mine input[name=work]", str(work))
    student.click("#mine form button[type=submit]")
    student.wait_for_selector("#mine")

    # the Center passes them
    center.goto(f"{base}/microcredits/offerings/{offering.pk}/")
    row = center.locator("#roster tr", has_text=nk.student.student_id)
    row.locator("button[value=pass]").click()
    center.wait_for_load_state()
    row = center.locator("#roster tr", has_text=nk.student.student_id)
    assert "通過" in row.inner_text(), row.inner_text()

    # the student's page counts 18 hours, 1 credit; they file the certification form
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    student.wait_for_selector("#hours")
    assert student.inner_text("#hours-counted") == "18" and student.inner_text("#credits-earned") == "1"
    shot(student, "microcredits-student-page")
    student.click("a[href*='/microcredits/'][href$='/certification/']")
    student.wait_for_selector("input[name=declare]")
    assert "感知美學：攝影" in student.inner_text(".card form")
    student.check("input[name=declare]")
    student.click(".card form button[type=submit]")
    student.wait_for_selector("#certifications")
    assert "感知美學：攝影" in student.inner_text("#certifications")

    # the Center approves: one credit imported into the next term
    center.click("nav a[href$='/microcredits/reviews/']")
    center.wait_for_selector("#certifications")
    assert nk.student.student_id in center.inner_text("#certifications")
    center.click("#certifications button[value=approve]")
    center.wait_for_load_state()
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    certification = student.inner_text("#certifications")
    assert "學年度" in certification, certification
    # the credit is on next term's schedule: the audit counts it once that term has begun
    imported_into = term_current(nk.institution).next_regular()
    assert "GEMC1" not in student.inner_text("#imported")
    day = timezone.localdate()
    while term_current(nk.institution, day) != imported_into:
        day += dt.timedelta(days=1)
    settings.MENKAN_TODAY = day
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    assert "GEMC1" in student.inner_text("#imported")
    shot(student, "microcredits-certified")


def test_a_student_with_two_micro_credits_applies_for_the_gen_ed_offset(
    live_server: Any, nk: Nkust, browser: Any
) -> None:
    base = live_server.url
    services.certification_approve(certify(nk, "113-1", 18, ("課程A", "課程B")), nk.staff)
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "nstudent", PASSWORD)
    student.wait_for_load_state()
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    assert "2 / 2" in student.inner_text("#imported")
    student.click("a[href$='/offset/']")
    student.wait_for_selector("select[name=category]")
    category = student.locator("select[name=category] option").first
    name = category.inner_text()
    student.select_option("select[name=category]", category.get_attribute("value"))
    student.select_option("select[name=credits]", "2")
    with student.expect_download() as download:
        student.click(".card form button[type=submit]")
    assert download.value.path().read_bytes().startswith(b"%PDF")

    center = browser.new_context(locale="zh-TW").new_page()
    log_in(center, base, "center", PASSWORD)
    center.wait_for_load_state()
    center.click("nav a[href$='/microcredits/reviews/']")
    center.wait_for_selector("#offsets")
    pending = center.locator("#offsets .req", has_text=nk.student.student_id)
    assert name in pending.inner_text() and "ge:" not in pending.inner_text()
    pending.locator("button[value=approve]").click()
    center.wait_for_load_state()
    assert center.locator("#offsets .req", has_text=nk.student.student_id).count() == 0

    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    offset = student.inner_text("#offsets")
    assert name in offset and "已核准" in offset and "ge:" not in offset
    shot(student, "microcredits-offset")


def test_a_no_show_bars_the_student_until_the_center_lifts_the_ban(live_server: Any, nk: Nkust, browser: Any) -> None:
    base = live_server.url
    photography = modular(nk)
    services.enrollment_create(photography, nk.student, all_sessions(photography))
    other = modular(nk, title="感知美學：音樂")
    center = browser.new_context(locale="zh-TW").new_page()
    log_in(center, base, "center", PASSWORD)
    center.wait_for_load_state()
    center.goto(f"{base}/microcredits/sessions/{all_sessions(photography)[0]}/")
    center.click("button[name=close]")  # nobody signed in: the seat holder is absent
    center.wait_for_load_state()

    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "nstudent", PASSWORD)
    student.wait_for_load_state()
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    ban = student.locator("[data-ban=active]")
    assert ban.count() == 1 and "114學年度第1學期" in ban.inner_text()
    student.goto(f"{base}/microcredits/offerings/{other.pk}/")
    assert student.locator("#ban").is_visible()
    assert student.locator("#signup button[type=submit]").is_disabled()
    shot(student, "microcredits-barred")

    center.click("nav a[href$='/microcredits/reviews/']")
    center.wait_for_selector("#bans")
    row = center.locator("#bans tr", has_text=nk.student.student_id)
    row.locator("input[name=reason]").fill("病假，已附證明")
    row.locator("button").click()
    center.wait_for_load_state()
    assert "病假，已附證明" in center.inner_text("#bans")

    student.goto(f"{base}/microcredits/offerings/{other.pk}/")
    assert student.locator("#ban").count() == 0
    for box in student.locator("#signup input[name=session]").all():
        box.check()
    student.click("#signup button[type=submit]")
    student.wait_for_selector("#mine")
    student.goto(f"{base}/microcredits/students/nkust/{nk.student.student_id}/")
    assert student.locator("[data-ban=lifted]").count() == 1 and "病假，已附證明" in student.inner_text("[data-ban]")
