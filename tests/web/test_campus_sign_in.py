"""Campus sign-in (OpenID Connect) against a real provider process (npm's oidc-provider on 127.0.0.1): the claim
finds the existing account, an unknown, inactive or ambiguous one is refused, nothing is created, logout reaches the
provider; and the settings a site sets, with local passwords where nothing is configured."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from menkan.web.accounts.models import RoleAssignment, User
from menkan.web.accounts.oidc_settings import oidc_settings
from menkan.web.accounts.services import user_create

from .conftest import World, build_world
from .oidc_provider import CLIENT_ID, campus_configure, campus_environment, campus_provider, campus_sign_in

__all__ = ["campus_provider"]  # the fixture, used by name

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campus(settings: Any, campus_provider: str, live_server: Any) -> str:
    """Campus sign-in on, with the default claim (preferred_username); the live server's URL."""
    campus_configure(settings, campus_provider)
    return live_server.url


@pytest.fixture
def live_world(transactional_db: Any) -> World:
    return build_world()


def _me(base: str, session: requests.Session) -> requests.Response:
    return session.get(f"{base}/api/v1/me", timeout=30)


def test_a_student_signs_in_with_the_campus_account_and_sees_their_own_page(campus: str, live_world: World) -> None:
    session = requests.Session()
    page = campus_sign_in(campus, "B112340001", session)
    assert page.status_code == 200
    assert urlsplit(page.url).path == f"/students/ntut/{live_world.own.student_id}/"
    assert 'id="requirements"' in page.text and live_world.own.name in page.text
    assert _me(campus, session).json()["username"] == "student"  # the student's account, found by the student id
    # their own page only: a classmate's is answered as an id that does not exist, as after a password login
    assert session.get(f"{campus}/students/ntut/{live_world.other.student_id}/", timeout=30).status_code == 403


def test_a_callback_replayed_signs_nobody_in(campus: str, live_world: World) -> None:
    session = requests.Session()
    page = campus_sign_in(campus, "B112340001", session)
    callback = next(step.url for step in page.history if "/accounts/oidc/callback/" in step.url)
    assert "code=" in callback and "state=" in callback
    elsewhere = requests.get(callback, timeout=30)  # another browser, with the code and state seen in a log
    assert elsewhere.status_code == 400 and 'data-reason="failed"' in elsewhere.text
    assert elsewhere.url == callback  # refused there: not signed in and sent on
    again = session.get(callback, timeout=30)  # the same browser: that state was used up
    assert again.status_code == 400 and 'data-reason="invalid"' in again.text


def test_staff_sign_in_by_username(campus: str, live_world: World) -> None:
    session = requests.Session()
    page = campus_sign_in(campus, "registrar", session)
    assert page.status_code == 200 and "/accounts/" not in page.url
    assert _me(campus, session).json()["username"] == "registrar"


def test_an_unknown_subject_is_refused_and_nothing_is_created(campus: str, live_world: World) -> None:
    users, roles = User.objects.count(), RoleAssignment.objects.count()
    session = requests.Session()
    page = campus_sign_in(campus, "T999999", session)
    assert page.status_code == 403
    assert 'data-reason="unknown"' in page.text and "T999999" in page.text
    assert "沒有" in page.text  # the refusal in the default language, zh-TW
    assert (User.objects.count(), RoleAssignment.objects.count()) == (users, roles)
    assert _me(campus, session).status_code == 401  # not signed in as anybody
    # Refusals are not counted as failed logins (they name no username): many from one address (a campus NAT)
    # do not lock the campus sign-in of everyone behind it.
    for _ in range(6):
        assert campus_sign_in(campus, "T999999").status_code == 403
    assert campus_sign_in(campus, "B112340001").status_code == 200


def test_an_inactive_account_is_refused_and_its_open_session_ends(campus: str, live_world: World) -> None:
    session = requests.Session()
    campus_sign_in(campus, "B112340001", session)
    assert _me(campus, session).status_code == 200
    User.objects.filter(username="student").update(is_active=False)
    assert _me(campus, session).status_code == 401  # the campus session ends at its next request
    page = campus_sign_in(campus, "B112340001")
    assert page.status_code == 403 and 'data-reason="inactive"' in page.text


def test_two_accounts_matching_one_claim_sign_in_neither(campus: str, live_world: World) -> None:
    user_create("b112340001")  # a username equal (but for case) to the student's id: which one is meant?
    page = campus_sign_in(campus, "B112340001")
    assert page.status_code == 403 and 'data-reason="ambiguous"' in page.text


def test_the_student_id_can_come_from_its_own_claim(
    settings: Any, campus_provider: str, live_server: Any, live_world: World
) -> None:
    campus_configure(
        settings, campus_provider, MENKAN_OIDC_USERNAME_CLAIM="student_id", MENKAN_OIDC_SCOPES="openid student"
    )
    session = requests.Session()
    page = campus_sign_in(live_server.url, "alice", session)  # the campus login is alice; her student_id claim counts
    assert urlsplit(page.url).path == f"/students/ntut/{live_world.own.student_id}/"
    assert _me(live_server.url, session).json()["username"] == "student"


def test_students_of_another_institution_are_not_matched(
    settings: Any, campus_provider: str, live_server: Any, live_world: World
) -> None:
    campus_configure(settings, campus_provider, MENKAN_OIDC_INSTITUTION="nycu")
    page = campus_sign_in(live_server.url, "B112340001")  # an NTUT student id, at a site whose campus is NYCU
    assert page.status_code == 403 and 'data-reason="unknown"' in page.text


def test_a_campus_session_is_not_forced_to_change_the_one_time_password(campus: str, live_world: World) -> None:
    User.objects.filter(username="student").update(must_change_password=True)
    session = requests.Session()
    page = campus_sign_in(campus, "B112340001", session)
    assert urlsplit(page.url).path == f"/students/ntut/{live_world.own.student_id}/"  # not /accounts/password/
    assert _me(campus, session).status_code == 200  # nor refused by the API
    # a local password set from a campus session needs the current one (an unattended session cannot add one)
    assert 'name="old_password"' in session.get(f"{campus}/accounts/password/", timeout=30).text
    assert User.objects.get(username="student").must_change_password  # a password login would still be forced
    client = Client()
    user_create("newcomer", password="Temporary-pass-123")
    client.post("/accounts/login/", {"username": "newcomer", "password": "Temporary-pass-123"})
    assert client.get("/students/").url.startswith("/accounts/password/")


def test_logout_ends_the_session_at_the_provider_too(campus: str, live_world: World) -> None:
    session = requests.Session()
    campus_sign_in(campus, "B112340001", session)
    csrf = session.cookies.get("csrftoken")
    response = session.post(
        f"{campus}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{campus}/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert target.path == "/session/end"  # the provider's end_session_endpoint, from its discovery document
    assert query["client_id"] == [CLIENT_ID] and query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [f"{campus}/accounts/login/"]
    assert _me(campus, session).status_code == 401
    # the provider accepts the request: its own sign-out confirmation page
    assert "logout" in session.get(response.headers["Location"], timeout=30).text.lower()


def test_a_password_session_logs_out_locally(campus: str, live_world: World) -> None:
    client = live_world.client("student")
    assert client.post("/accounts/logout/").url == "/accounts/login/"


def test_a_provider_that_cannot_be_reached_gets_a_clear_page(settings: Any, live_world: World) -> None:
    campus_configure(settings, "http://127.0.0.1:9")  # nothing listens on the discard port
    response = Client().get("/accounts/oidc/start/")
    assert response.status_code == 503
    assert 'data-reason="unavailable"' in response.content.decode()


def test_without_configuration_there_is_no_campus_button_and_no_route(live_world: World) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'id="campus-sign-in"' not in page and 'name="password"' in page
    assert Client().get("/accounts/oidc/start/").status_code == 404
    assert Client().get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_button_is_bilingual(settings: Any, live_world: World) -> None:
    campus_configure(settings, "http://127.0.0.1:9")
    assert "使用校園帳號登入" in Client().get("/accounts/login/").content.decode()
    english = Client(headers={"Accept-Language": "en"}).get("/accounts/login/").content.decode()
    assert "Sign in with your campus account (Test Campus)" in english


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"MENKAN_OIDC_ISSUER": "https://sso.example.edu"}, "MENKAN_OIDC_CLIENT_ID is not"),
        ({"MENKAN_OIDC_CLIENT_ID": "menkan", "MENKAN_OIDC_CLIENT_SECRET": "s"}, "MENKAN_OIDC_ISSUER"),
        ({"MENKAN_OIDC_CLIENT_ID": "menkan", "MENKAN_OIDC_ISSUER": "https://sso.example.edu"}, "CLIENT_SECRET"),
        (
            {
                "MENKAN_OIDC_CLIENT_ID": "menkan",
                "MENKAN_OIDC_CLIENT_SECRET": "s",
                "MENKAN_OIDC_AUTHORIZATION_ENDPOINT": "https://sso.example.edu/auth",
            },
            "MENKAN_OIDC_TOKEN_ENDPOINT",
        ),
        ({**campus_environment("https://sso.example.edu"), "MENKAN_OIDC_SCOPES": "profile"}, "must include openid"),
        ({**campus_environment("https://sso.example.edu"), "MENKAN_OIDC_TOKEN_AUTH_METHOD": "x"}, "use one of"),
    ],
)
def test_a_half_made_configuration_is_refused_at_start_up(environment: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        oidc_settings(environment)


def test_settings_from_the_environment() -> None:
    assert oidc_settings({}) == {"MENKAN_OIDC_ENABLED": False}
    made = oidc_settings(campus_environment("https://sso.example.edu/"))
    assert made["MENKAN_OIDC_DISCOVERY_URL"] == "https://sso.example.edu/.well-known/openid-configuration"
    assert made["MENKAN_OIDC_USERNAME_CLAIM"] == "preferred_username"
    assert made["OIDC_CREATE_USER"] is False and made["OIDC_USE_PKCE"] is True
    explicit = oidc_settings(
        {
            "MENKAN_OIDC_CLIENT_ID": "menkan",
            "MENKAN_OIDC_CLIENT_SECRET": "s",
            **{
                f"MENKAN_OIDC_{name}": f"https://sso.example.edu/{name.lower()}"
                for name in ("AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "USERINFO_ENDPOINT", "JWKS_URI")
            },
        }
    )
    assert explicit["OIDC_OP_TOKEN_ENDPOINT"] == "https://sso.example.edu/token_endpoint"
    assert explicit["MENKAN_OIDC_DISCOVERY_URL"] == ""


def test_the_sign_in_and_logout_forms_may_lead_to_the_provider_and_nowhere_else(
    settings: Any, campus_provider: str, client: Any
) -> None:
    """Browsers hold a form's redirect to `form-action`: the provider's origin joins 'self' only when configured."""
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "form-action 'self';" in policy
    campus_configure(settings, campus_provider)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(campus_provider))
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert f"form-action 'self' {origin};" in policy
    assert policy.count(origin) == 1 and "script-src 'self';" in policy
