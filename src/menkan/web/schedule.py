"""What Celery beat sends by itself: the schedule as settings data (crontab lines or seconds), and its changes."""

from __future__ import annotations

import json
from typing import Any

from celery.schedules import ParseException, crontab
from django.core.exceptions import ImproperlyConfigured

OFF = "off"


def _when(name: str, value: Any) -> Any:
    """A crontab line (`"30 2 * * *"`: minute, hour, day of month, month, day of week, local time) or a number of
    seconds between runs, as Celery beat takes them."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ImproperlyConfigured(f"MENKAN_SCHEDULE[{name!r}]: {value!r} is neither a crontab line nor seconds")
    if isinstance(value, int | float):
        if value <= 0:
            raise ImproperlyConfigured(f"MENKAN_SCHEDULE[{name!r}]: {value!r} seconds: must be more than 0")
        return float(value)
    fields = value.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"MENKAN_SCHEDULE[{name!r}]: {value!r} is not a crontab line of 5 fields (minute hour day month weekday)"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        when = crontab(minute, hour, day_of_week, day_of_month, month_of_year)
    except (ValueError, ParseException) as exc:
        raise ImproperlyConfigured(f"MENKAN_SCHEDULE[{name!r}]: {value!r}: {exc}") from None
    return when


def beat_schedule(entries: dict[str, dict[str, Any]], changes: str = "") -> dict[str, dict[str, Any]]:
    """CELERY_BEAT_SCHEDULE from `entries` (name -> {"task": task name, "when": crontab line or seconds}) with the
    operator's `changes` applied: JSON `{"name": "crontab line" | seconds | "off"}` (MENKAN_SCHEDULE). A name that is
    not an entry, or a time that is not one, refuses to start with the name and the reason."""
    whens = {name: entry["when"] for name, entry in entries.items()}
    if changes.strip():
        try:
            changed = json.loads(changes)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(f"MENKAN_SCHEDULE is not JSON: {exc}") from None
        if not isinstance(changed, dict):
            raise ImproperlyConfigured('MENKAN_SCHEDULE must be a JSON object: {"entry name": "crontab line"}')
        unknown = sorted(set(changed) - set(entries))
        if unknown:
            raise ImproperlyConfigured(f"MENKAN_SCHEDULE names no such entry: {unknown} (entries: {sorted(entries)})")
        whens.update(changed)
    return {
        name: {"task": entries[name]["task"], "schedule": _when(name, when)}
        for name, when in whens.items()
        if when != OFF
    }
