"""A study plan in the browser: an NTUT student opens their plan from their page, searches the catalogue, adds a
required course to each of two terms, sees the department's required courses turn met after the second, saves."""

from __future__ import annotations

from typing import Any

import pytest

from menkan.web.audits.services import student_audit
from menkan.web.plans.models import StudyPlanCourse
from menkan.web.records.services import student_import_document
from test_plans import DEPT, ENVIRONMENT, STEEL, civil_student_document

from ..conftest import PASSWORD, World
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_plans_two_terms_and_sees_the_results(
    live_server: Any, live_world: World, page: Any, settings: Any
) -> None:
    settings.MENKAN_TODAY = "2026-12-03"  # term 115-1
    document = civil_student_document()
    document["class_code"] = "CE-112"
    student_import_document(live_world.institution, document)
    student_audit(live_world.own)
    log_in(page, live_server.url, "student", PASSWORD)
    page.wait_for_load_state()
    page.click("#plan-link")
    page.wait_for_selector("#plan-form")
    assert page.locator("#term-0").input_value() == "115-2"  # the term after the current one
    page.click("#add-term")
    page.wait_for_selector("#term-1")
    page.fill("#term-1", "116-2")

    page.fill("#q", "環境工程")
    page.click("#search")
    page.click(f'#catalogue-results tr[data-code="{ENVIRONMENT}"] button[data-term="115-2"]')
    page.wait_for_selector("#plan-results")
    page.fill("#q", STEEL)
    page.click("#search")
    page.click(f'#catalogue-results tr[data-code="{STEEL}"] button[data-term="116-2"]')
    page.wait_for_selector("#plan-results")
    assert page.locator("#courses-0").input_value() == ENVIRONMENT
    assert page.locator("#courses-1").input_value() == STEEL

    row = page.locator(f'#plan-results tr[data-requirement="{DEPT}"] td[data-status]')
    assert row.nth(0).get_attribute("data-status") == "not-met"
    assert row.nth(1).get_attribute("data-status") == "in-progress"
    assert row.nth(1).get_attribute("data-newly") == "1"
    assert "新達成" in page.inner_text("#term-block-1")
    shot(page, "plans-two-terms")

    page.click("#save-plan")
    page.wait_for_selector("text=規劃已儲存")
    assert list(StudyPlanCourse.objects.order_by("term__position").values_list("code", flat=True)) == [
        ENVIRONMENT,
        STEEL,
    ]
    assert "尚未儲存規劃" not in page.inner_text("#plan-saved")
