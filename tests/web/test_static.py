"""Static files: a path out of the static folders is a 404, under the test client and under the demo's server."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import unquote

import pytest
from django.contrib.staticfiles.management.commands.runserver import Command as Runserver
from django.test import Client
from django.test.client import RequestFactory

from menkan.web.portal import DEMO_SERVE_ARGUMENTS

pytestmark = pytest.mark.django_db

ESCAPES = ["/static/..%2f..", "/static/..%2f..%2fsettings.py", "/static/menkan/..%2f..%2f..%2fsettings.py"]
ESCAPES += ["/static/../../settings.py", "/static/%2e%2e/%2e%2e/web/settings.py"]


@pytest.mark.parametrize("path", ESCAPES)
def test_a_path_out_of_the_static_folder_is_not_found(path: str) -> None:
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 404


def test_a_static_file_is_served() -> None:
    response = Client().get("/static/menkan/menkan.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


def _demo_server_get(path: str) -> tuple[str, bytes]:
    """GET through the WSGI handler that `menkan demo` runs (runserver with the demo's arguments), with the path as
    a WSGI server passes it on: percent-decoded, so `..%2f..` arrives as `../..`."""
    command = Runserver()
    options = vars(command.create_parser("manage.py", "runserver").parse_args([*DEMO_SERVE_ARGUMENTS]))
    handler = command.get_handler(**options)
    environ = RequestFactory()._base_environ(PATH_INFO=unquote(path), REQUEST_METHOD="GET")
    environ["wsgi.input"] = BytesIO(b"")
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"] = status

    body = b"".join(handler(environ, start_response))
    return answer["status"], body


@pytest.mark.parametrize("path", ESCAPES)
def test_the_demo_server_answers_a_path_out_of_the_static_folder_with_404(path: str) -> None:
    status, _ = _demo_server_get(path)
    assert status.startswith("404")


def test_the_demo_server_serves_the_static_files() -> None:
    status, body = _demo_server_get("/static/menkan/menkan.css")
    assert status.startswith("200") and body
