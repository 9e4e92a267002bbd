"""Credit fees in the browser: an NTHU master's student reads their statement in zh-TW and in English; the registrar
sets the add/drop closing date, runs the term's fees, reads the lines and downloads the XLSX."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from ..conftest import PASSWORD
from ..test_fees_pages import TERM, FeeWorld, build_fees_world
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fees_world(transactional_db: Any) -> FeeWorld:
    return build_fees_world()


def test_a_student_reads_their_fee_statement_in_chinese_and_english(
    live_server: Any, fees_world: FeeWorld, page: Any
) -> None:
    crossing = fees_world.students["crossing"]
    log_in(page, live_server.url, "student", PASSWORD)
    page.wait_for_load_state()
    page.click(f"nav a[href$='/fees/nthu/{crossing.student_id}/']")
    page.wait_for_selector("#statement")
    assert page.locator("#term").input_value() == TERM
    assert page.inner_text("#total") == "NT$ 5,400"
    assert page.inner_text("#billed-credits") == "3" and page.inner_text("#exempt-credits") == "6"
    explanations = page.inner_text("#explanations")
    assert "為什麼我的學分費很少，或是零？" in explanations and "只收其中 3 學分" in explanations
    assert page.locator('#courses [data-course="C1@114-1"][data-status="billed"]').count() == 1
    shot(page, "fees-student-zh")
    page.select_option("#term", "113-1")  # an earlier term: the page follows the selector
    page.wait_for_url("**term=113-1**")
    assert page.locator("#term").input_value() == "113-1"
    assert "113學年度第1學期" in page.inner_text("#statement h2")
    page.select_option("#term", TERM)
    page.wait_for_url(f"**term={TERM}**")

    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Why is my bill low, or zero?")
    assert "only 3 are billed and the other 6 are exempt" in page.inner_text("#explanations")
    assert "只收其中" not in page.inner_text("body")
    assert page.inner_text("#total") == "NT$ 5,400"
    shot(page, "fees-student-en")

    other = page.goto(f"{live_server.url}/fees/nthu/{fees_world.students['below'].student_id}/")
    assert other is not None and other.status == 403  # a student may see nobody else (the same for any id)


def test_the_registrar_closes_add_drop_and_runs_the_terms_fees(
    live_server: Any, fees_world: FeeWorld, page: Any
) -> None:
    log_in(page, live_server.url, "nthu-registrar", PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/fees/runs/']")
    page.wait_for_selector("#start-form")  # one institution: straight to its runs
    assert page.url.endswith("/fees/runs/nthu/")
    page.select_option("#run-term", TERM)
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("#refused")
    assert "本學期尚未設定加退選截止日" in page.inner_text("#refused")

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.fill("#add-drop-form input[name=term]", TERM)
    page.fill("#add-drop-form input[name=add_drop_ends]", yesterday.isoformat())
    page.click("#add-drop-form button[type=submit]")
    page.wait_for_selector("#fee-terms")
    assert yesterday.isoformat() in page.inner_text("#fee-terms")
    page.select_option("#run-term", TERM)
    page.fill("#start-form input[name=note]", "第一次計算")
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("#lines")
    assert page.locator("#run-state").get_attribute("data-state") == "done"
    crossing = page.locator('#lines [data-student="113062001"]')
    assert "NT$ 5,400" in crossing.inner_text() and "本學期達到門檻" in crossing.inner_text()
    assert "crosses-threshold" not in page.inner_text("#lines")  # codes are for the XLSX, words for people
    assert page.locator("#lines [data-student]").count() == 6
    shot(page, "fees-run")

    with page.expect_download() as download_info:
        page.click("#export")
    rows = list(load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 7  # header and the six billed students
    assert any("113062001" in row and 5400 in row for row in rows)
