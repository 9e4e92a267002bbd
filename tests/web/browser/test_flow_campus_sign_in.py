"""Campus sign-in in headless Chromium: the login page's campus button, the real provider's sign-in page (npm's
oidc-provider on 127.0.0.1), the student's own page; logout ends the provider's session too; an account menkan
does not know is refused with a page saying so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from ..conftest import World
from ..oidc_provider import campus_configure, campus_provider
from .conftest import shot

__all__ = ["campus_provider"]  # the fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


@pytest.fixture
def loopback_page(page: Any) -> Iterator[Any]:
    """The page, with every request off this machine dropped (the provider's pages import a web font)."""

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).hostname in LOOPBACK:
            request_route.continue_()
        else:
            request_route.abort()

    page.context.route("**/*", route)
    yield page


def test_a_student_signs_in_with_the_campus_account_and_out_again(
    settings: Any, campus_provider: str, live_server: Any, live_world: World, loopback_page: Any
) -> None:
    page = loopback_page
    campus_configure(settings, campus_provider)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("#id_password").count() == 1  # the menkan password stays beside the campus button
    shot(page, "campus-sign-in-login")
    page.click("#campus-sign-in")
    page.wait_for_selector("input[name=login]")  # the provider's own sign-in page
    assert page.url.startswith(campus_provider)
    page.fill("input[name=login]", live_world.own.student_id)
    page.fill("input[name=password]", "the campus password")
    page.click("button[type=submit]")
    page.wait_for_selector("#requirements")
    assert urlsplit(page.url).path == f"/students/ntut/{live_world.own.student_id}/"
    shot(page, "campus-sign-in-student")

    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_selector("button[name=logout]")  # the provider asks to confirm its own sign-out
    page.click("button[name=logout]")
    page.wait_for_selector("#campus-sign-in")
    assert urlsplit(page.url).path == "/accounts/login/"
    page.click("#campus-sign-in")
    page.wait_for_selector("input[name=login]")  # signed out at the provider too: it asks who you are again

    page.fill("input[name=login]", "T999999")  # a campus account menkan does not know
    page.fill("input[name=password]", "the campus password")
    page.click("button[type=submit]")
    page.wait_for_selector("#campus-refused[data-reason=unknown]")
    assert "T999999" in page.inner_text("#campus-refused")
    shot(page, "campus-sign-in-refused")
