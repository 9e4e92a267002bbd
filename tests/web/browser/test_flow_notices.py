"""NCUT notices in the browser: the registrar reads the schedules and the log; a mentor finds the notice sent to
them, opens their class list and its printable PDF."""

from __future__ import annotations

from typing import Any

import pytest

from menkan.web.notices.services import notices_send_due

from ..conftest import PASSWORD
from ..test_notices_send import LOCMEM, WEEK_8, Ncut, build_ncut
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ncut(transactional_db: Any, settings: Any) -> Ncut:
    settings.EMAIL_BACKEND = LOCMEM
    return build_ncut()


def test_the_registrar_reads_the_schedules_and_the_log(live_server: Any, ncut: Ncut, page: Any) -> None:
    notices_send_due(WEEK_8)  # the daily job on 2025-10-31
    log_in(page, live_server.url, "registrar", PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/notices/schedules/']")
    page.wait_for_selector("form[action$='/notices/send/']")
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "114-1" in body and "2025-10-31" in body and "2025-12-26" in body and "2026-03-01" in body
    shot(page, "notices-schedules")
    # the registrar moves week 8 to week 7 (on a Thursday)
    page.locator("tbody tr", has_text="114-1").locator("a[href*='/notices/schedules/']").click()
    page.wait_for_selector("#id_weeks")
    page.fill("#id_weeks", "7, 16")
    page.fill("#id_weekday", "3")
    page.locator("main form button[type=submit], .card form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/notices/schedules/")
    row = page.inner_text("tbody tr:has-text('114-1')")
    assert "2025-10-23" in row and "2025-12-25" in row and "2025-10-31" not in row, row
    page.goto(f"{live_server.url}/notices/log/")
    log = page.inner_text("body")
    assert "ncut:114-1:week-8" in log and "mentor:mentor-cs" in log and "student:NC11107001" in log
    skipped = page.locator("tr", has_text="student:NC11109002")  # no address: skipped, with the reason
    assert "略過" in skipped.inner_text() and "沒有電子郵件地址" in skipped.inner_text()
    shot(page, "notices-log")


def test_a_mentor_opens_their_notice_the_class_list_and_the_pdf(live_server: Any, ncut: Ncut, page: Any) -> None:
    notices_send_due(WEEK_8)
    log_in(page, live_server.url, "mentor-cs", PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/notices/log/']")
    page.wait_for_load_state()
    mine = page.inner_text("body")
    assert "mentor:mentor-cs" in mine and "mentor:mentor-ee" not in mine and "student:NC11107001" not in mine

    page.click("nav a[href$='/notices/classes/']")
    page.wait_for_load_state()
    assert page.locator("a", has_text="資工四甲").count() == 1 and "電機四甲" not in page.inner_text("body")
    page.click("a:text-is('資工四甲')")
    page.wait_for_selector("table.class-list")
    rows = page.locator("table.class-list tbody tr")
    assert rows.count() == 2  # the night-division senior and the junior are not listed
    passed = page.locator("table.class-list tbody tr", has_text="NC11107001")
    short = page.locator("table.class-list tbody tr", has_text="NC11107002")
    assert passed.locator("td").last.inner_text() == "通過"
    assert short.locator("td").last.inner_text() == "未通過" and "2 / 3" in short.inner_text()
    assert page.locator("table.class-list").is_visible()
    shot(page, "notices-class-list")

    href = page.get_attribute("a:has-text('PDF')", "href") or page.get_attribute("a[href$='list.pdf']", "href")
    assert href is not None
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
