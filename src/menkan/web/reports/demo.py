"""Demo of the reports app: nothing to add (the report runs over the demo cohort; the registrar has the page)."""

from __future__ import annotations

from typing import TextIO


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    """No data and no accounts of its own: the registrar's "Reports" link opens the pass-rate report."""
    return []
