"""What `menkan notices send` does (the CLI stays thin: it parses the arguments and calls this)."""

from __future__ import annotations

from datetime import date
from typing import TextIO


def notices_send(today: date | None, dry_run: bool, institution: str | None, out: TextIO, err: TextIO) -> int:
    """Send (or with dry_run, list) the notices due on `today`; one line per notice and recipient."""
    from django.apps import apps

    from menkan.web import portal

    if not apps.ready:
        portal.setup()
    from menkan.web.notices.services import notices_send_due

    target = None
    if institution is not None:
        target = portal.institution_named(institution, err)
        if target is None:
            return 2
    report = notices_send_due(today, dry_run=dry_run, institution=target)
    for key, recipient, email, outcome in report.lines:
        out.write(f"{key}  {recipient:<36} {email or '-':<40} {outcome}\n")
    for problem in report.problems:
        err.write(f"menkan: {problem}\n")
    out.write(f"notices: {report.summary()}\n")
    return 1 if report.counts.get("failed") else 0
