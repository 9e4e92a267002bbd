"""Finished pages in the browser: the portal's error pages in zh-TW, the NTUT cross-domain condition with its
satisfied alternative and the rest not needed, axe-core's accessibility audit (no serious or critical violation)
and no Content-Security-Policy violation on the student's, the registrar's and the reviewers' pages."""

from __future__ import annotations

from typing import Any

import pytest

from menkan.web.programs import services as programs
from menkan.web.records.models import Institution

from ..conftest import PASSWORD, World
from ..test_programs_support import add_courses, calendar, publish_programs, register, worked_example
from .checks import CspWatch, axe_violations
from .conftest import shot
from .test_flow_reports import ncut  # noqa: F401  (the NCUT registrar's pass-rate fixture)
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALTERNATIVES = ("program", "second-specialty", "minor", "double-major")


@pytest.fixture
def avm(live_world: World) -> World:
    """The 土木系 student has completed the 綠建築 (AVM) micro-program and applied for its certificate."""
    publish_programs()
    calendar(live_world.institution)
    add_courses(live_world.own, worked_example())
    register(live_world.own, "AVM", "112-2")  # registered when the courses were taken: met as of the audit
    programs.application_submit(live_world.own, "AVM", user=live_world.users["student"])
    return live_world


def signed_in(browser: Any, base: str, username: str) -> tuple[Any, CspWatch]:
    page = browser.new_context(locale="zh-TW").new_page()
    page.set_default_timeout(15000)
    watch = CspWatch(page)
    log_in(page, base, username, PASSWORD)
    page.wait_for_load_state()
    return page, watch


def assert_clean(page: Any, watch: CspWatch, name: str) -> None:
    shot(page, name)
    assert axe_violations(page) == [], name
    assert watch.violations == [], name


def test_a_student_sees_the_portals_error_pages_in_chinese(live_server: Any, live_world: World, browser: Any) -> None:
    page, watch = signed_in(browser, live_server.url, "student")
    response = watch.visit(f"{live_server.url}/audits/batch/")  # the registrar's page
    assert response.status == 403
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.inner_text("#error-page h1") == "您無權開啟這個頁面"
    assert "教務處" in page.inner_text("#error-page")
    assert page.locator("header.top nav a", has_text="我的畢業門檻").count() == 1  # in the layout, with the menu
    assert page.locator("#error-actions a", has_text="回到首頁").count() == 1
    assert_clean(page, watch, "error-403-zh")

    # A classmate's page: the portal's 403 page in Chinese, the same for an id no student has (a student may see
    # nobody else, so the refusal tells nothing about which ids exist).
    response = watch.visit(f"{live_server.url}/students/ntut/{live_world.other.student_id}/")
    assert response.status == 403
    assert page.inner_text("#error-page h1") == "您無權開啟這個頁面"
    assert "Forbidden" not in page.content()
    classmate = page.inner_text("#error-page")
    assert_clean(page, watch, "error-403-classmate-zh")
    response = watch.visit(f"{live_server.url}/students/ntut/B000000000/")
    assert response.status == 403 and page.inner_text("#error-page") == classmate
    page.click("#error-actions a")  # 回到首頁: back to their own requirements
    page.wait_for_selector("#requirements")

    # A page that does not exist: the portal's 404 page in the same layout.
    response = watch.visit(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    assert page.inner_text("#error-page h1") == "找不到這個頁面"
    assert "Not Found" not in page.content()
    assert_clean(page, watch, "error-404-zh")


def test_the_cross_domain_condition_shows_its_alternative_and_the_rest_not_needed(
    live_server: Any, avm: World, browser: Any
) -> None:
    page, watch = signed_in(browser, live_server.url, "student")
    page.wait_for_selector("#requirements")
    cross = page.locator('[data-requirement="cross-domain"]')
    assert cross.locator(":scope > .head .status").inner_text() == "通過"
    assert page.locator('[data-requirement="cross-domain.micro-program"] .status').first.inner_text() == "通過"
    for alternative in ALTERNATIVES:
        node = page.locator(f'[data-requirement="cross-domain.{alternative}"]')
        assert node.locator(".status").inner_text() == "無須修讀", alternative
        assert "未通過" not in node.inner_text() and node.locator(".missing").count() == 0, alternative
        # neutral, not the red of a failure
        assert node.locator(".status").evaluate("e => getComputedStyle(e).color") != "rgb(179, 38, 30)"
    assert_clean(page, watch, "student-cross-domain-met")

    # The printed audit: no navigation or buttons, black on white, the course lists open.
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.locator("details.courses ul").first.is_visible()
    page.emulate_media(media="screen")


def test_the_reviewers_pages_are_accessible_and_keep_the_policy(live_server: Any, avm: World, browser: Any) -> None:
    page, watch = signed_in(browser, live_server.url, "program-contact")
    watch.visit(f"{live_server.url}/programs/reviews/")
    waiting = page.locator("#queue tbody tr", has_text=avm.own.student_id)
    assert waiting.count() == 1
    assert_clean(page, watch, "reviewer-queue")
    waiting.locator("a").first.click()
    page.wait_for_selector("#decide")
    page.wait_for_load_state("networkidle")
    assert_clean(page, watch, "reviewer-application")

    page, watch = signed_in(browser, live_server.url, "department-head")
    watch.visit(f"{live_server.url}/students/exceptions/")
    assert_clean(page, watch, "reviewer-exceptions")


def test_the_student_and_registrar_pages_are_accessible_and_keep_the_policy(
    live_server: Any, avm: World, browser: Any
) -> None:
    base, own = live_server.url, avm.own
    page, watch = signed_in(browser, base, "student")
    for path in (
        f"/students/ntut/{own.student_id}/",
        f"/audits/ntut/{own.student_id}/what-if/",
        f"/programs/students/ntut/{own.student_id}/",
    ):
        watch.visit(base + path)
        assert_clean(page, watch, "student" + path.replace("/", "-"))

    page, watch = signed_in(browser, base, "registrar")
    for path in ("/students/", f"/students/ntut/{own.student_id}/", "/imports/", "/certification/", "/audits/batch/"):
        watch.visit(base + path)
        assert_clean(page, watch, "registrar" + path.replace("/", "-"))
    page.click("#batch-start button[type=submit]")  # a run: its progress is an htmx fragment polled every 2 s
    page.wait_for_selector(".batch-progress[data-state=done]")
    page.wait_for_load_state("networkidle")
    assert_clean(page, watch, "registrar-batch-started")


def test_the_pass_rate_charts_keep_the_policy(live_server: Any, ncut: Institution, browser: Any) -> None:  # noqa: F811
    page, watch = signed_in(browser, live_server.url, "ncut-registrar")
    watch.visit(f"{live_server.url}/reports/pass-rates/?institution=ncut&as_of=114-1&cutoff=2025-12-15")
    assert page.locator(".charts svg").count() == 5
    assert page.locator(".charts svg").first.bounding_box()["width"] > 200  # the grid still lays them out
    assert_clean(page, watch, "registrar-pass-rates")


def test_the_watch_sees_an_inline_script_the_policy_refuses(live_server: Any, live_world: World, browser: Any) -> None:
    page, watch = signed_in(browser, live_server.url, "student")
    page.wait_for_selector("#requirements")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s);"
        " document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>'); }"
    )
    for _ in range(100):  # the violation events arrive as tasks after the insertion; wait until both are seen
        if sum(directive in " ".join(watch.violations) for directive in ("script-src", "style-src")) == 2:
            break
        page.wait_for_timeout(20)
    assert page.evaluate("window.ran") is None  # refused
    assert any("script-src" in v for v in watch.violations) and any("style-src" in v for v in watch.violations)
