"""WSGI entry point: the application, with the current policies loaded and frozen out of the collector's way."""

import gc
import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "menkan.web.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Load the current policies before the first request (a large set takes a second or two), then freeze what is
    loaded: it lives as long as the process, and full collections scanning it made one request in a hundred of the
    what-if across 49 programs take a second (docs/performance.md)."""
    from django.db import connections

    from menkan.web.audits.api import policy_sets_warm

    try:
        policy_sets_warm()
    except Exception:  # the server must start even if the database is not reachable yet
        logging.getLogger("menkan").warning("could not load the current policies at start-up", exc_info=True)
    finally:
        connections.close_all()
    gc.collect()
    gc.freeze()


_warm()
