"""`/healthz`: whether this web process reaches its database and its Celery broker, for load balancers and monitors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

log = logging.getLogger("menkan.health")

OK, UNREACHABLE, EAGER = "ok", "unreachable", "eager"
BROKER_TIMEOUT = 2.0  # seconds: a monitor polls often and must not pile up requests behind a broker that hangs


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.warning("healthz: the database did not answer", exc_info=True)
        connection.close()  # the next request opens a fresh connection instead of reusing a broken one
        return UNREACHABLE
    return OK


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return EAGER  # no broker: tasks run in the web process itself
    options = {"socket_timeout": BROKER_TIMEOUT, "socket_connect_timeout": BROKER_TIMEOUT}
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options=options) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    except Exception:
        log.warning("healthz: the broker did not answer", exc_info=True)
        return UNREACHABLE
    return OK


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Open to anyone (no session, no data): `{"status": "ok", "database": "ok", "broker": "ok" | "eager"}` with 200,
    or 503 with `"failing"` naming what is unreachable. Addresses and error texts go to the log, not to the answer."""
    checks = {"database": database_status(), "broker": broker_status()}
    failing = [name for name, status in checks.items() if status == UNREACHABLE]
    body: dict[str, object] = {"status": "failing" if failing else OK, **checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
