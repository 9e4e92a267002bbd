"""What `menkan notices send` does (the CLI stays thin: it parses the arguments and calls this)."""

from __future__ import annotations

from datetime import date
from typing import TextIO


def notices_send(today: date | None, dry_run: bool, institution: str | None, out: TextIO, err: TextIO) -> int:
    """Send (or with dry_run, list) the notices due on `today`; one line per notice and recipient."""
    from django.apps import apps

    if not apps.ready:
        from menkan.web import portal

        portal.setup()
    from menkan.web.notices.services import notices_send_due
    from menkan.web.records.models import Institution

    target = None
    if institution is not None:
        target = Institution.objects.filter(code=institution).first()
        if target is None:
            err.write(f"menkan: no institution {institution!r} in the database\n")
            return 2
    report = notices_send_due(today, dry_run=dry_run, institution=target)
    for key, recipient, email, outcome in report.lines:
        out.write(f"{key}  {recipient:<36} {email or '-':<40} {outcome}\n")
    for problem in report.problems:
        err.write(f"menkan: {problem}\n")
    out.write(f"notices: {report.summary()}\n")
    return 1 if report.counts.get("failed") else 0
