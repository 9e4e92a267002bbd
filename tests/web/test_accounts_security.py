"""Accounts: changing a password asks for the current one (but the forced first change), and the lockout page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from menkan.web.accounts.models import User
from menkan.web.accounts.services import user_create

from .conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/password/"
NEW = "a-Fresh-password-42"


def _password_is(username: str, password: str) -> bool:
    return User.objects.get(username=username).check_password(password)


def test_a_password_is_not_changed_without_the_current_one(world: World) -> None:
    client = world.client("student")
    response = client.post(CHANGE, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200  # the form again, with the error
    assert response.context["form"].errors["old_password"]
    assert _password_is("student", PASSWORD) and not _password_is("student", NEW)


def test_a_wrong_current_password_is_refused(world: World) -> None:
    client = world.client("student")
    response = client.post(CHANGE, {"old_password": "not-my-password", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert 'name="old_password"' in response.content.decode()
    assert _password_is("student", PASSWORD)


def test_the_current_password_changes_it(world: World) -> None:
    client = world.client("student")
    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert _password_is("student", NEW)
    assert client.get("/students/").status_code == 200  # the session survives the change


def test_the_forced_first_change_does_not_ask_for_the_one_time_password_again(world: World) -> None:
    user_create("newcomer", password="Temporary-pass-123")
    client = Client()
    client.post("/accounts/login/", {"username": "newcomer", "password": "Temporary-pass-123"})
    page = client.get(CHANGE).content.decode()
    assert 'name="old_password"' not in page
    response = client.post(CHANGE, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert _password_is("newcomer", NEW)
    assert not User.objects.get(username="newcomer").must_change_password


def _locked_out(client: Client) -> object:
    response = None
    for _ in range(6):
        response = client.post("/accounts/login/", {"username": "registrar", "password": "wrong"})
    return response


def test_the_lockout_is_a_portal_page_in_chinese_saying_when_to_retry(world: World) -> None:
    from axes.models import AccessAttempt
    from django.utils import timezone

    before = timezone.now()
    response = _locked_out(Client())
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert '<html lang="zh-hant">' in page and '<header class="top">' in page  # the portal's layout
    assert "登入已暫停" in page and "Login locked" not in page
    last = AccessAttempt.objects.get(username="registrar").attempt_time
    retry_at = timezone.localtime(last + timedelta(minutes=15))  # AXES_COOLOFF_TIME = 0.25 h
    assert before + timedelta(minutes=15) <= retry_at <= timezone.now() + timedelta(minutes=15)
    assert f"請於 {retry_at:%Y-%m-%d %H:%M} 後再試" in page, page
    assert "約 15 分鐘後" in page


def test_the_lockout_page_speaks_english_to_an_english_browser(world: World) -> None:
    response = _locked_out(Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "Login locked" in page and "You can try again after" in page and "(in about 15 minutes)" in page
