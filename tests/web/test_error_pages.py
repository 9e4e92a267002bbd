"""The portal's error pages with DEBUG off: 400, 403, 404, 500 and CSRF failure in the layout and the user's
language, saying what happened and where to go; the 500 page needs neither the database nor context processors."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from menkan.web import error_pages
from menkan.web import urls as portal_urls

from .conftest import World

pytestmark = pytest.mark.django_db


def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


def exploding_context(request: HttpRequest) -> dict[str, Any]:
    raise RuntimeError("a context processor that needs the database that is down")


# This module is the URL conf of the tests that need a failing view: the portal's routes and handlers, and one more.
urlpatterns = [path("explode/", explode), *portal_urls.urlpatterns]
handler400, handler403, handler404, handler500 = (
    portal_urls.handler400,
    portal_urls.handler403,
    portal_urls.handler404,
    portal_urls.handler500,
)


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False


def client(world: World | None = None, role: str = "", language: str = "", **kwargs: Any) -> Client:
    c = Client(raise_request_exception=False, **kwargs)
    if world and role:
        c.force_login(world.users[role])
    if language:
        c.cookies["django_language"] = language
    return c


def in_layout(body: str) -> None:
    assert '<header class="top">' in body and 'id="error-page"' in body and 'href="/"' in body
    assert "menkan/menkan.css" in body


def test_an_unknown_address_is_the_portals_404_in_chinese(world: World) -> None:
    response = client(world, "student").get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    in_layout(body)
    assert '<html lang="zh-hant">' in body and "找不到這個頁面" in body and "回到首頁" in body
    assert "我的畢業門檻" in body  # the person's navigation is there
    assert "Page not found" not in body


def test_the_404_in_english_for_an_english_reader(world: World) -> None:
    response = client(world, "student", language="en").get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and '<html lang="en">' in body and "Page not found" in body
    assert "Go to your home page" in body and "找不到" not in body


def test_another_students_page_is_the_portals_403_the_same_as_for_an_unknown_id(world: World) -> None:
    response = client(world, "student").get(f"/students/ntut/{world.other.student_id}/")
    body = response.content.decode()
    assert response.status_code == 403
    in_layout(body)
    assert "您無權開啟這個頁面" in body
    unknown = client(world, "student").get("/students/ntut/B000000000/")
    assert (unknown.status_code, unknown.content.decode()) == (403, body)  # nobody learns which ids exist


def test_a_student_the_staff_may_not_see_is_the_404_saying_it_may_not_be_theirs(world: World) -> None:
    response = client(world, "mentor").get(f"/students/ntut/{world.other.student_id}/")
    body = response.content.decode()
    assert response.status_code == 404
    in_layout(body)
    assert "沒有權限查看" in body  # not found, or not yours to see: nobody learns which ids exist


def test_a_page_of_another_role_is_the_portals_403_in_chinese(world: World) -> None:
    response = client(world, "student").get("/audits/batch/", HTTP_REFERER="http://testserver/students/")
    body = response.content.decode()
    assert response.status_code == 403
    in_layout(body)
    assert "您無權開啟這個頁面" in body and "教務處" in body
    assert 'href="http://testserver/students/"' in body  # back to where they came from
    assert "Forbidden" not in body


def test_the_back_link_never_leads_to_another_site(world: World) -> None:
    body = client(world, "student").get("/audits/batch/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in body and "回上一頁" not in body


def test_an_anonymous_visitor_is_offered_the_login(world: World) -> None:
    body = client().get("/no-such-page/").content.decode()
    assert "/accounts/login/?next=/no-such-page/" in body and "登入" in body


def test_a_bad_host_is_the_portals_400(world: World) -> None:
    response = client(HTTP_HOST="evil.example").get("/")
    body = response.content.decode()
    assert response.status_code == 400
    in_layout(body)
    assert "無法處理這個請求" in body


def test_a_form_without_its_csrf_token_is_the_portals_csrf_page(world: World) -> None:
    response = client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "student", "password": "x"})
    body = response.content.decode()
    assert response.status_code == 403
    in_layout(body)
    assert "表單無法接受" in body and "重新整理" in body
    assert "CSRF verification failed" not in body


def test_the_500_page_is_in_the_layout_without_context_processors(world: World, settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["OPTIONS"] = {
        **templates[0]["OPTIONS"],
        "context_processors": [*templates[0]["OPTIONS"]["context_processors"], f"{__name__}.exploding_context"],
    }
    settings.TEMPLATES = templates
    response = client(world, "student").get("/explode/")
    body = response.content.decode()
    assert response.status_code == 500
    in_layout(body)
    assert "系統發生錯誤" in body and "沒有儲存" in body
    assert "a bug in a view" not in body  # no traceback, no detail of the error


def test_the_500_page_asks_nothing_of_the_database(django_assert_num_queries: Any) -> None:
    request = RequestFactory().get("/somewhere/")
    with django_assert_num_queries(0):
        response = error_pages.server_error(request)
    assert response.status_code == 500 and "系統發生錯誤" in response.content.decode()


def test_the_500_page_falls_back_to_plain_html(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the template engine is broken too")

    monkeypatch.setattr(error_pages.loader, "render_to_string", broken)
    response = error_pages.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_the_api_keeps_answering_json(world: World) -> None:
    response = client(world, "student").get("/api/no-such-endpoint")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_every_error_page_carries_the_content_security_policy(world: World) -> None:
    for response in (client().get("/no-such-page/"), client(HTTP_HOST="evil.example").get("/")):
        assert "default-src 'self'" in response["Content-Security-Policy"]
