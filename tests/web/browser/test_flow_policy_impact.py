"""The registrar publishes a policy change in the browser: upload the changed files, read the impact preview (the
changed students, old → new), and only after confirming is the new version current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from menkan.web.audits.models import PolicyVersion
from menkan.web.records.services import student_import_document
from test_policy_impact import CHANGED, STUDENTS, elective_document, lowered_folder

from ..conftest import PASSWORD, World
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _current() -> PolicyVersion:
    return PolicyVersion.objects.get(institution__code="ntut", is_current=True)


def test_the_registrar_previews_the_impact_and_publishes_only_after_confirming(
    live_server: Any, live_world: World, page: Any, tmp_path: Path
) -> None:
    for student_id, department, credits in STUDENTS:
        student_import_document(live_world.institution, elective_document(student_id, department, credits))
    before = _current()
    folder = lowered_folder(tmp_path)

    log_in(page, live_server.url, "registrar", PASSWORD)
    page.wait_for_load_state()
    page.click("nav a[href$='/audits/policies/']")
    page.wait_for_selector("#policy-upload")
    assert "發布規章" in page.inner_text("h1")
    page.set_input_files("#policy-upload input[type=file]", [str(path) for path in sorted(folder.glob("*.yaml"))])
    page.fill("#policy-upload input[name=note]", "340 專業選修 11 → 9")
    page.click("#policy-upload button[type=submit]")
    page.wait_for_selector("#impact-students")
    assert page.locator("#policy-draft-progress").get_attribute("data-state") == "ready"

    rows = page.locator("#impact-students tbody tr")
    listed = {rows.nth(i).get_attribute("data-student") for i in range(rows.count())}
    assert listed == set(CHANGED)
    elective = page.locator(
        '#impact-students tr[data-student="B112340010"][data-requirement="graduation.credits.professional-elective"]'
    )
    assert "未通過 10 / 11" in elective.locator("td.old").inner_text()
    assert "通過 10 / 9" in elective.locator("td.new").inner_text()
    free = page.locator('#impact-students tr[data-student="B112340014"][data-requirement="graduation.credits.free"]')
    assert "3 / 20" in free.locator("td.old").inner_text() and "5 / 20" in free.locator("td.new").inner_text()
    assert "340" in page.inner_text("#impact-departments") and "3" in page.inner_text("#impact-totals")
    shot(page, "policy-impact-preview")
    # the preview publishes nothing
    assert _current() == before and PolicyVersion.objects.filter(institution__code="ntut").count() == 1

    page.click("#policy-publish button[type=submit]")
    page.wait_for_selector("#policy-published")
    published = _current()
    assert published.version == before.version + 1
    assert published.files["graduation.yaml"] == (folder / "graduation.yaml").read_text(encoding="utf-8")
    assert published.note == "340 專業選修 11 → 9"
    assert page.locator("#policy-publish").count() == 0
    shot(page, "policy-impact-published")
