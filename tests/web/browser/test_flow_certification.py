"""Graduation certification in the browser: the registrar opens the review of 115-2 (the world's students are in
their final year), the department officer and the department head approve the 土木系 student with the audit
attached, the registrar certifies and exports the department's graduate list; a grade changed afterwards shows as
drift on the registrar's page, and the certification itself is unchanged."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from menkan.web.certification.models import Certification
from menkan.web.records.models import CourseRecord

from ..certification_support import TERM, publish_small
from ..conftest import PASSWORD, World
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(locale="zh-TW", accept_downloads=True).new_page()
    page.set_default_timeout(15000)
    log_in(page, base, username, PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/certification/']")
    page.wait_for_load_state()
    return page


def test_officer_head_registrar_certify_export_the_list_and_see_the_drift(
    live_server: Any, live_world: World, browser: Any
) -> None:
    publish_small(5)
    base, own = live_server.url, live_world.own
    registrar = _signed_in(browser, base, "registrar")
    registrar.fill("#open-review input[name=term]", TERM)
    registrar.click("#open-review button[type=submit]")
    registrar.wait_for_selector("#candidates")
    review_url = registrar.url
    assert own.student_id in registrar.inner_text("#candidates")
    shot(registrar, "certification-review-opened")

    for username, step in (("department-officer", "系所承辦人"), ("department-head", "系所主管")):
        reviewer = _signed_in(browser, base, username)
        waiting = reviewer.locator("#queue tbody tr", has_text=own.student_id)
        assert waiting.count() == 1, username
        assert waiting.locator("td").nth(3).inner_text() == step
        waiting.locator("a").click()
        reviewer.wait_for_selector("#decide")
        assert "通過" in reviewer.inner_text("#audit h2")  # the audit their decision attaches
        reviewer.click("#decide button[value=approve]")
        reviewer.wait_for_load_state()
        shot(reviewer, f"certification-{username}-approved")
        reviewer.context.close()

    registrar.click("nav a[href$='/certification/']")
    registrar.wait_for_selector("#queue")
    registrar.locator("#queue tbody tr", has_text=own.student_id).locator("a").click()
    registrar.wait_for_selector("#decide")
    assert "通過" in registrar.inner_text("#audit h2")
    registrar.click("#decide button[value=approve]")  # 認證
    registrar.wait_for_selector("#certified")
    assert registrar.inner_text("#step") == "已認證"
    assert registrar.locator("#steps tbody tr").count() == 4  # listed, officer, head, registrar
    shot(registrar, "certification-certified")

    registrar.goto(review_url)
    registrar.wait_for_selector("#graduates")
    assert "所有已認證學生的即時審核結果與認證時一致" in registrar.inner_text("#drift")
    with registrar.expect_download() as download:
        registrar.click("#graduates a:has-text('XLSX 中文')")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("系所", "學號", "姓名") and [row[1] for row in rows[1:]] == [own.student_id]
    pdf = registrar.request.get(base + registrar.locator("#graduates a:has-text('PDF English')").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    frozen = Certification.objects.values().get()
    CourseRecord.objects.filter(student=own, code="1401032").update(grade="40")  # 微積分 failed after all
    registrar.reload()
    registrar.wait_for_selector("#drift table")
    drift = registrar.inner_text("#drift")
    assert own.student_id in drift and "修業紀錄" in drift and "未通過" in drift
    assert Certification.objects.values().get() == frozen
    shot(registrar, "certification-drift")
