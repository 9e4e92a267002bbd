"""Issue 16 item 1: the production settings (`check --deploy` clean, refusing to start without what they need),
WhiteNoise's hashed static files, `/healthz`, and the beat schedule as data."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.test import Client

from menkan.web import health, serve
from menkan.web.audits.models import BatchRun
from menkan.web.audits.tasks import batch_audit_all_task
from menkan.web.celery import app as celery_app
from menkan.web.records.models import Student
from menkan.web.schedule import beat_schedule

from .conftest import World

KEY = "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"  # 50 characters, not repetitive
REDIS = ("127.0.0.1", 6379)


def production_env(var: Path, **changes: str | None) -> dict[str, str]:
    """What a site's service would have: the production settings and the variables they require (no broker: this
    process's tests need none)."""
    env = {
        name: value
        for name, value in os.environ.items()
        # the suite's own settings, and the async switch the browser tests set in this process, are not a site's
        if not name.startswith(("MENKAN_", "CELERY_")) and name != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="menkan.web.settings_production",
        MENKAN_VAR=str(var),
        MENKAN_SECRET_KEY=KEY,
        MENKAN_ALLOWED_HOSTS="menkan.example.edu.tw,testserver",
        DATABASE_URL=f"sqlite:///{var / 'menkan.sqlite3'}",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True, timeout=300
    )


CHECK_DEPLOY = """
    import django
    from django.core.management import call_command
    django.setup()
    call_command("check", deploy=True, fail_level="WARNING")
"""


# --- the production settings ------------------------------------------------------------------------------------


def test_check_deploy_reports_nothing_under_the_production_settings(tmp_path: Path) -> None:
    checked = run_python(CHECK_DEPLOY, production_env(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_check_deploy_would_report_a_plain_http_site(tmp_path: Path) -> None:
    """The check above is not vacuous: the local trial's plain HTTP (MENKAN_HTTPS=0) is what it reports."""
    checked = run_python(CHECK_DEPLOY, production_env(tmp_path, MENKAN_HTTPS="0"))
    assert checked.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in checked.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"MENKAN_SECRET_KEY": None}, "set MENKAN_SECRET_KEY"),
        ({"MENKAN_SECRET_KEY": "short-key"}, "the secret key is too weak"),
        ({"MENKAN_ALLOWED_HOSTS": None}, "set MENKAN_ALLOWED_HOSTS"),
        ({"DATABASE_URL": None}, "set DATABASE_URL"),
        ({"MENKAN_DEBUG": "1"}, "MENKAN_DEBUG=1 is refused"),
        ({"MENKAN_HTTPS": "maybe"}, "MENKAN_HTTPS='maybe' is not 1 or 0"),
        ({"MENKAN_SCHEDULE": '{"notices-send-due": "8 o\'clock"}'}, "is not a crontab line of 5 fields"),
    ],
)
def test_the_production_settings_refuse_to_start_without_what_they_need(
    tmp_path: Path, changes: dict[str, str | None], message: str
) -> None:
    started = run_python("import django; django.setup()", production_env(tmp_path, **changes))
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and message in started.stderr, started.stderr
    assert not (tmp_path / "secret_key").exists()  # no key made up for production


def test_the_secret_key_may_come_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(KEY + "\n", encoding="utf-8")
    env = production_env(tmp_path, MENKAN_SECRET_KEY=None, MENKAN_SECRET_KEY_FILE=str(tmp_path / "key"))
    shown = run_python(
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)", env
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == KEY


SETTINGS_SHOWN = """
    import json
    import django
    django.setup()
    from django.conf import settings
    from menkan.web import settings as portal
    names = ["DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
             "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "MIDDLEWARE", "STORAGES",
             "CELERY_TASK_DEFAULT_QUEUE", "MENKAN_STATIC_FROM_FINDERS"]
    shown = {name: getattr(settings, name, None) for name in names}
    shown["portal MIDDLEWARE"] = portal.MIDDLEWARE
    print(json.dumps(shown))
"""


def test_the_production_settings_take_hosts_origins_and_the_proxy_from_the_environment(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        MENKAN_ALLOWED_HOSTS="menkan.example.edu.tw, portal.example.edu.tw",
        MENKAN_CSRF_TRUSTED_ORIGINS="https://portal.example.edu.tw",
        MENKAN_PROXY_SSL_HEADER="X-Forwarded-Proto",
        MENKAN_QUEUE="menkan-example",
    )
    shown = run_python(SETTINGS_SHOWN, env)
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["menkan.example.edu.tw", "portal.example.edu.tw"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://portal.example.edu.tw"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    cookies = ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY")
    assert all(values[name] is True for name in cookies)
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["CELERY_TASK_DEFAULT_QUEUE"] == "menkan-example"
    # every middleware of the portal's (sessions, CSRF, axes, the Content-Security-Policy...) stays on, in its order,
    # with WhiteNoise right after the security middleware
    production = values["MIDDLEWARE"]
    assert [name for name in production if name != "whitenoise.middleware.WhiteNoiseMiddleware"] == values[
        "portal MIDDLEWARE"
    ]
    security = production.index("django.middleware.security.SecurityMiddleware")
    assert production[security + 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "menkan.web.static_serve.HashedStaticFiles"
    assert values["MENKAN_STATIC_FROM_FINDERS"] is False


def test_the_production_logs_go_to_stdout(tmp_path: Path) -> None:
    script = """
        import logging
        import django
        django.setup()
        logging.getLogger("menkan.audits").info("an audit line")
        logging.getLogger("django.request").error("a request that failed")
    """
    logged = run_python(script, production_env(tmp_path))
    assert logged.returncode == 0, logged.stderr
    assert "INFO menkan.audits" in logged.stdout and "an audit line" in logged.stdout
    assert "ERROR django.request" in logged.stdout and "a request that failed" in logged.stdout
    assert "an audit line" not in logged.stderr


SERVED = """
    import json
    import django
    from django.core.management import call_command
    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.test import Client
    client = Client()
    login = client.get("/accounts/login/", secure=True)
    page = login.content.decode()
    css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    styled = client.get(css, secure=True)
    escape = client.get("/static/..%2f..%2fsettings.py", secure=True)
    plain = client.get("/accounts/login/")
    healthz = client.get("/healthz")
    print(json.dumps({
        "login": login.status_code, "css": css, "css status": styled.status_code,
        "css cache": styled.get("Cache-Control", ""), "css body": b"".join(styled.streaming_content).decode()[:200],
        "escape": escape.status_code, "plain http": [plain.status_code, plain.get("Location", "")],
        "hsts": login.get("Strict-Transport-Security", ""),
        "healthz": [healthz.status_code, healthz.json()],
    }))
"""


def test_whitenoise_serves_the_collected_files_under_hashed_names(tmp_path: Path) -> None:
    served = run_python(SERVED, production_env(tmp_path))
    assert served.returncode == 0, served.stderr
    answers = json.loads(served.stdout.strip().splitlines()[-1])
    assert answers["login"] == 200
    assert answers["css"].startswith("/static/menkan/menkan.") and answers["css"] != "/static/menkan/menkan.css"
    assert answers["css status"] == 200 and "immutable" in answers["css cache"]
    assert answers["css body"] == (settings.STATICFILES_DIRS[0] / "menkan" / "menkan.css").read_text()[:200]
    assert answers["escape"] == 404
    assert (tmp_path / "static" / "staticfiles.json").exists()  # collected into VAR/static
    # plain HTTP is sent to HTTPS, with HSTS once there; the health check answers on either
    assert answers["plain http"] == [301, "https://testserver/accounts/login/"]
    assert "max-age=31536000" in answers["hsts"] and "includeSubDomains" in answers["hsts"]
    assert answers["healthz"] == [200, {"status": "ok", "database": "ok", "broker": "eager"}]


# --- /healthz ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_anyone_with_the_database_and_the_broker() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}  # eager: no broker configured


@pytest.mark.django_db
def test_healthz_names_an_unreachable_broker_without_revealing_its_address(settings: Any) -> None:
    # a port where nothing listens: refused at once (the check's timeout bounds a broker that does not answer)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://:s3cret@127.0.0.1:{port}/13"
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "broker": "unreachable", "failing": ["broker"]}
    assert str(port) not in response.content.decode() and "s3cret" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_names_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def cursor(self) -> Any:
            raise OperationalError("connection to server at 10.0.0.5 failed")

        def close(self) -> None:
            pass

    monkeypatch.setattr(health, "connection", Down())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "database": "unreachable",
        "broker": "eager",
        "failing": ["database"],
    }
    assert "10.0.0.5" not in response.content.decode()


def _redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db
def test_healthz_reaches_a_real_broker(settings: Any) -> None:
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}")
    settings.CELERY_BROKER_URL = f"redis://{REDIS[0]}:{REDIS[1]}/13"
    response = Client().get("/healthz")
    assert (response.status_code, response.json()["broker"]) == (200, "ok")


@pytest.mark.django_db
def test_healthz_only_answers_reads() -> None:
    assert Client().post("/healthz").status_code == 405


# --- the beat schedule --------------------------------------------------------------------------------------------

ENTRIES = {
    "notices-send-due": {"task": "menkan.notices_send_due", "when": "0 8 * * *"},
    "batch-audit-nightly": {"task": "menkan.batch_audit_all", "when": "30 2 * * *"},
}


def test_the_beat_schedule_is_the_settings_data() -> None:
    assert settings.MENKAN_SCHEDULE == ENTRIES
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert set(schedule) == set(ENTRIES)
    assert schedule["notices-send-due"] == {"task": "menkan.notices_send_due", "schedule": crontab("0", "8")}
    assert schedule["batch-audit-nightly"]["schedule"] == crontab("30", "2")
    assert {entry["task"] for entry in schedule.values()} <= set(celery_app.tasks)  # every entry's task exists


def test_the_schedule_is_changed_or_switched_off_by_name() -> None:
    changed = beat_schedule(ENTRIES, '{"notices-send-due": "0 7 * * 1-5", "batch-audit-nightly": "off"}')
    assert changed == {
        "notices-send-due": {"task": "menkan.notices_send_due", "schedule": crontab("0", "7", day_of_week="1-5")}
    }
    assert beat_schedule(ENTRIES, '{"notices-send-due": 30}')["notices-send-due"]["schedule"] == 30.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ('{"notice-send-due": "off"}', "names no such entry: ['notice-send-due']"),
        ('{"notices-send-due": "0 25 * * *"}', "MENKAN_SCHEDULE['notices-send-due']: '0 25 * * *': Invalid end range"),
        ('{"notices-send-due": "daily"}', "is not a crontab line of 5 fields"),
        ('{"notices-send-due": -5}', "must be more than 0"),
        ('{"notices-send-due": true}', "neither a crontab line nor seconds"),
        ('["notices-send-due"]', "must be a JSON object"),
        ("{notices", "MENKAN_SCHEDULE is not JSON"),
    ],
)
def test_a_bad_schedule_refuses_to_start_saying_where_and_why(changes: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        beat_schedule(ENTRIES, changes)
    assert message in str(refused.value)


def test_the_nightly_batch_re_audits_every_student(world: World) -> None:
    run_pk = batch_audit_all_task()
    run = BatchRun.objects.get(pk=run_pk)
    total = Student.objects.count()
    assert (run.institution, run.state, run.total, run.done) == (None, BatchRun.State.DONE, total, total)


# --- menkan serve, the systemd units and the compose file ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_menkan_serve_on_loopback_is_a_local_trial_and_says_so(tmp_path: Path) -> None:
    out = io.StringIO()
    env = serve.environment(serve.ServeOptions(bind="127.0.0.1:8123"), {"MENKAN_VAR": str(tmp_path)}, out)
    assert env["DJANGO_SETTINGS_MODULE"] == "menkan.web.settings_production"
    assert (env["MENKAN_HTTPS"], env["MENKAN_ALLOWED_HOSTS"]) == ("0", "127.0.0.1,localhost")
    key = Path(env["MENKAN_SECRET_KEY_FILE"])
    assert key == tmp_path / "secret_key" and len(key.read_text()) >= 50 and key.stat().st_mode & 0o077 == 0
    assert "a trial on this machine (127.0.0.1:8123): plain HTTP (MENKAN_HTTPS=0)" in out.getvalue()


def test_menkan_serve_elsewhere_makes_nothing_up(tmp_path: Path) -> None:
    out = io.StringIO()
    env = serve.environment(serve.ServeOptions(bind="0.0.0.0:8000"), {"MENKAN_VAR": str(tmp_path)}, out)
    assert not {"MENKAN_HTTPS", "MENKAN_ALLOWED_HOSTS", "MENKAN_SECRET_KEY_FILE"} & set(env)
    assert out.getvalue() == "" and not (tmp_path / "secret_key").exists()


def test_menkan_serve_refuses_without_database_and_broker(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = serve.serve(serve.ServeOptions(), {"MENKAN_VAR": str(tmp_path)}, out, err)
    assert code == 2
    assert err.getvalue().startswith(
        "menkan serve: set DATABASE_URL and CELERY_BROKER_URL: the stack runs on PostgreSQL"
    )


def test_the_units_and_the_compose_file_run_the_services_as_menkan_serve_does() -> None:
    started = serve.commands(serve.ServeOptions())
    units = {path.name: path.read_text() for path in (ROOT / "deploy" / "systemd").glob("*.service")}
    execs = {name: re.findall(r"^ExecStart=/opt/menkan/\.venv/bin/(.+)$", text, re.M) for name, text in units.items()}
    assert execs["menkan-web.service"] == [" ".join(started["web"][2:5])]
    assert execs["menkan-worker@.service"] == [" ".join(started["worker"][2:7]) + " -n menkan-%i@%H"]
    assert execs["menkan-beat.service"] == [" ".join(started["beat"][2:])]
    assert execs["menkan-prepare.service"][0] == "django-admin migrate --noinput"
    assert "Requires=menkan-prepare.service" in units["menkan-web.service"]
    assert all("EnvironmentFile=/etc/menkan/menkan.env" in text for text in units.values())
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert services["web"]["command"] == started["web"][2:5]
    assert services["worker"]["command"] == started["worker"][2:7]
    assert services["beat"]["command"] == started["beat"][2:]
    for name in ("prepare", "web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "menkan.web.settings_production"
        assert {"MENKAN_SECRET_KEY", "MENKAN_ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(environment)
        assert services[name]["volumes"] == ["menkan-var:/var/lib/menkan"]
    assert services["web"]["depends_on"]["prepare"] == {"condition": "service_completed_successfully"}
    example = (ROOT / "deploy" / "menkan.env.example").read_text()
    assert "DJANGO_SETTINGS_MODULE=menkan.web.settings_production" in example
