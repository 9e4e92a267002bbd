"""The registrar's pass-rate report in the browser: open it from the navigation, choose NCUT and 114-1, read the
tables and the charts, download the CSV (the same bytes as the CLI's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from menkan.engine import iter_students, load_shipped
from menkan.engine.records import student_to_dict
from menkan.web.accounts.models import Role
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.records.models import Institution
from menkan.web.records.services import institution_sync, student_import_document

from ..conftest import PASSWORD
from ..test_reports_pass_rates import DEMO, _cells, _cli, _user
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ncut(transactional_db: Any) -> Institution:
    institution_sync(load_shipped("ncut"))
    policy_publish_shipped("ncut", reaudit=False)
    institution = Institution.objects.get(code="ncut")
    for record in iter_students(DEMO):
        student_import_document(institution, student_to_dict(record))
    _user("ncut-registrar", Role.REGISTRAR, institution)
    return institution


def test_the_registrar_reads_the_pass_rates_and_downloads_the_csv(
    live_server: Any, ncut: Institution, page: Any, tmp_path: Path
) -> None:
    log_in(page, live_server.url, "ncut-registrar", PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/reports/pass-rates/']")
    page.wait_for_selector("form.report-form")
    assert "大四學生通過率" in page.inner_text("h1") or "通過率" in page.inner_text("h1")
    page.select_option("#id_institution", "ncut")
    page.fill("#id_as_of", "114-1")
    page.click("form.report-form button[type=submit]")
    page.wait_for_selector("#university")
    passed_all = page.inner_text("#passed-all")
    assert "19" in passed_all and "31.67%" in passed_all and "60" in passed_all
    university = page.inner_text("#university")
    for item in ("抗壓", "精進", "社會接軌", "專業證照"):
        assert item in university
    assert page.locator("#departments tbody tr").count() >= 16
    charts = page.locator(".charts svg")
    assert charts.count() == 5
    assert charts.first.is_visible() and charts.first.bounding_box()["width"] > 200
    bars = page.locator(".charts svg >> nth=0").locator("g[role=img]")
    assert bars.count() >= 20  # 4 colleges and 16 departments
    assert any(label.startswith("化材: ") for label in (bars.nth(i).get_attribute("aria-label") for i in range(5)))
    shot(page, "reports-pass-rates")

    with page.expect_download() as download_info:
        page.click("a[href*='/reports/pass-rates.csv']")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / "page.csv"
    download.save_as(saved)
    with translation.override("zh-hant"):
        assert saved.read_bytes() == _cli(tmp_path, DEMO, "csv")


def test_the_report_in_english_and_its_xlsx(live_server: Any, ncut: Institution, page: Any, tmp_path: Path) -> None:
    log_in(page, live_server.url, "ncut-registrar", PASSWORD)
    page.wait_for_load_state()
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")
    page.goto(f"{live_server.url}/reports/pass-rates/?institution=ncut&as_of=114-1&cutoff=2025-12-15")
    page.wait_for_selector("#university")
    assert page.inner_text("h1") == "Pass rates of seniors"
    assert "Records after 2025-12-15 are not counted." in page.inner_text("section.card")
    assert "31.67%" in page.inner_text("#passed-all")
    shot(page, "reports-pass-rates-en")
    card = page.locator("section.card").first.bounding_box()
    for table in ("#university", ".table-scroll"):  # no table sticks out of the card
        box = page.locator(table).last.bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"], table
    with page.expect_download() as download_info:
        page.click("a[href*='/reports/pass-rates.xlsx']")
    xlsx = download_info.value.path().read_bytes()
    expected = _cli(tmp_path, DEMO, "xlsx", "--lang", "en")  # the demo's activities have no dates: same counts
    assert _cells(xlsx) == _cells(expected)
