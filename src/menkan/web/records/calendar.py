"""Reads of the academic calendar: today's date, and the term an institution is in on a day."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from menkan.engine import Term, term_on
from menkan.web.records.hooks import policy_set_current, term_starts_kept
from menkan.web.records.models import Institution


def today() -> dt.date:
    """The portal's today (local time). `MENKAN_TODAY` (an ISO date) fixes it, for tests and demonstrations:
    every page default, term and date check asks here, so they agree with one another."""
    fixed = getattr(settings, "MENKAN_TODAY", None)
    if fixed:
        return fixed if isinstance(fixed, dt.date) else dt.date.fromisoformat(str(fixed))
    return timezone.localdate()


def _policy_starts(institution: Institution) -> dict[Term, dt.date]:
    """`workflows.calendar` of the institution's current policy: term -> first day (e.g. `115-1: 2026-09-14`,
    `114-S: 2026-07-01` for a summer term; the loader refused entries that are not a term and a date)."""
    policy_set = policy_set_current(institution)
    return dict(policy_set.institution.workflows.calendar) if policy_set is not None else {}


def term_starts(institution: Institution) -> dict[Term, dt.date]:
    """The institution's own term start dates: its policy's calendar, then the calendars other apps keep (the
    registrar's micro-program calendar, which is edited in the portal, so it wins where both name a term)."""
    return {**_policy_starts(institution), **term_starts_kept(institution)}


def term_current(institution: Institution, day: dt.date | None = None) -> Term:
    """The term `institution` is in on `day` (today by default): the latest of its terms that has started,
    from its own start dates where it has them and the ROC rule (1 August, 1 February) otherwise."""
    return term_on(day or today(), term_starts(institution))


def term_of_day(institution: Institution, day: dt.date) -> str:
    """The term a dated record (an activity on `day`) belongs to, as text (`115-1`)."""
    return str(term_current(institution, day))
