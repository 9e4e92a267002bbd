"""Decisions raced from several threads released at once: what each of them got (decided, stale, locked)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import OperationalError, connections


def decide_at_once(users: Sequence[Any], decide: Callable[[Any], object], stale: type[Exception]) -> list[str]:
    """Each user calls `decide(user)` at the same moment; "decided", "stale" (the `stale` error: someone acted
    first) or "locked: …" (SQLite's in-memory test database refuses a second writer instead of waiting)."""
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def work(user: Any) -> None:
        try:
            barrier.wait(timeout=30)
            decide(user)
            outcomes.append("decided")
        except stale:
            outcomes.append("stale")
        except OperationalError as exc:
            outcomes.append(f"locked: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes
