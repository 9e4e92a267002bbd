"""Login, the student home page and language switching, in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from menkan.web.accounts.services import user_create

from ..conftest import PASSWORD, World
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")


def test_student_logs_in_and_sees_their_requirements(live_server: Any, live_world: World, page: Any) -> None:
    log_in(page, live_server.url, "student", PASSWORD)
    page.wait_for_selector("#requirements")
    assert page.url.endswith(f"/students/ntut/{live_world.own.student_id}/")
    assert page.locator('[data-requirement="graduation.credits.free"]').count() == 1
    assert page.locator("#overall-status").inner_text() in ("未通過", "進行中", "通過")
    assert page.locator(".missing").first.is_visible()
    shot(page, "student-home-zh")


def test_language_switch_shows_the_page_in_english(live_server: Any, live_world: World, page: Any) -> None:
    log_in(page, live_server.url, "student", PASSWORD)
    page.wait_for_selector("#requirements")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Minimum graduation credits")
    assert "more needed" in page.inner_text("#requirements")
    shot(page, "student-home-en")


def test_wrong_password_is_refused_and_a_one_time_password_must_be_changed(
    live_server: Any, live_world: World, page: Any
) -> None:
    log_in(page, live_server.url, "student", "not-the-password")
    assert page.locator(".error").count() == 1
    user_create("newcomer", password="Temporary-pass-123")
    log_in(page, live_server.url, "newcomer", "Temporary-pass-123")
    page.wait_for_selector("#password-submit")
    assert "/accounts/password/" in page.url
    page.fill("#id_new_password1", "a-Fresh-password-42")
    page.fill("#id_new_password2", "a-Fresh-password-42")
    page.click("#password-submit")
    page.wait_for_load_state()
    assert "/accounts/password/" not in page.url


def test_student_cannot_open_another_students_page(live_server: Any, live_world: World, page: Any) -> None:
    log_in(page, live_server.url, "student", PASSWORD)
    page.wait_for_selector("#requirements")
    response = page.goto(f"{live_server.url}/students/ntut/{live_world.other.student_id}/")
    assert response is not None and response.status == 403  # a student may see nobody else (the same for any id)
