"""The Celery application (Redis broker when configured; eager in-process otherwise)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "menkan.web.settings")

app = Celery("menkan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
