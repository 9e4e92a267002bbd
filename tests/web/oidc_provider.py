"""A real OpenID Connect provider for the campus sign-in tests: npm's oidc-provider (tests/oidc/provider.mjs) run by
Node on 127.0.0.1, its accounts known to the campus; and the fixtures that point the portal's settings at it."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from menkan.web.accounts import oidc
from menkan.web.accounts.oidc_settings import BACKEND, oidc_settings

from .processes import process_stop

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "menkan-portal"
CLIENT_SECRET = "test-secret-of-the-menkan-client"
#: The campus's accounts: the login is the account id (and its preferred_username); extra claims beside it.
CAMPUS_ACCOUNTS = {
    "B112340001": {"name": "Own Student", "student_id": "B112340001"},
    "alice": {"name": "Alice (student id in a claim of its own)", "student_id": "B112340001"},
    "registrar": {"name": "The registrar"},
    "T999999": {"name": "Not known to menkan", "student_id": "T999999"},
}
READY_SECONDS = 60  # first start after `npm ci` can be slow on a busy machine


def node_tools() -> tuple[str, str]:
    """node and npm, and the provider's packages installed (`npm ci`, as `make test` does); skips without Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(
            "SKIPPED: campus sign-in tests need Node.js and npm (the OpenID Connect provider they start is npm's "
            "oidc-provider): apt-get install nodejs npm"
        )
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=600)
    return node, npm


@pytest.fixture(scope="session")
def campus_provider(live_server: Any) -> Iterator[str]:
    """The provider's issuer URL; its client is the live server's portal."""
    node, _ = node_tools()
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{live_server.url}/accounts/oidc/callback/"],
        "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
    }
    env = {
        **os.environ,
        "MENKAN_TEST_OIDC_CLIENT": json.dumps(client),
        "MENKAN_TEST_OIDC_ACCOUNTS": json.dumps(CAMPUS_ACCOUNTS),
    }
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
            line = process.stdout.readline() if ready and process.stdout else ""
            if not line:
                log.seek(0)
                pytest.fail(f"the OIDC provider did not start within {READY_SECONDS} s: {log.read()[-2000:]}")
            yield json.loads(line)["issuer"]
        finally:
            process_stop(process, timeout=10)


def campus_environment(issuer: str, **extra: str) -> dict[str, str]:
    """The MENKAN_OIDC_* variables a site sets for this provider (discovery from the issuer)."""
    return {
        "MENKAN_OIDC_ISSUER": issuer,
        "MENKAN_OIDC_CLIENT_ID": CLIENT_ID,
        "MENKAN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "MENKAN_OIDC_PROVIDER_NAME": "Test Campus",
        **extra,
    }


def campus_configure(settings: Any, issuer: str, **extra: str) -> None:
    """Turn campus sign-in on in `settings` (pytest-django's fixture) as the environment would at start-up."""
    for name, value in oidc_settings(campus_environment(issuer, **extra)).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    oidc._metadata.clear()


def form_of(html: str, containing: str) -> tuple[str, dict[str, str]]:
    """The form of a page that contains `containing`: its action and its hidden fields."""
    forms = re.finditer(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", html, re.S)
    form = next((form for form in forms if containing in form[2]), None)
    assert form is not None, html[:2000]
    fields = dict(re.findall(r"<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", form[2]))
    return unescape(form[1]), {name: unescape(value) for name, value in fields.items()}


def campus_sign_in(base: str, login: str, session: requests.Session | None = None) -> requests.Response:
    """A person at the login page: the campus button, the provider's own sign-in page filled in and submitted, and
    every redirect after it (back to the portal's callback and on). Returns the last page."""
    session = session or requests.Session()
    login_page = session.get(f"{base}/accounts/login/", timeout=30)
    assert 'id="campus-sign-in"' in login_page.text
    action, _ = form_of(login_page.text, 'id="campus-sign-in"')
    provider_page = session.get(urljoin(login_page.url, action), timeout=30)
    assert 'name="login"' in provider_page.text, provider_page.text[:2000]  # the provider's sign-in page
    action, hidden = form_of(provider_page.text, 'name="login"')
    return session.post(
        urljoin(provider_page.url, action), data={**hidden, "login": login, "password": "any"}, timeout=30
    )
