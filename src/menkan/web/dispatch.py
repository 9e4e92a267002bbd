"""Background work scheduled by task name: services send here and never import the tasks (which call them)."""

from __future__ import annotations

from typing import Any

from menkan.web.celery import app


def task_delay(name: str, *args: Any) -> None:
    """Run the Celery task registered as `name` in the background (in-process, now, without a broker). The
    tasks modules are imported by their apps' `ready()`, so every task is registered before any is sent."""
    app.tasks[name].delay(*args)
