"""Actions raced from several threads released at once, and decisions raced that way: what each of them got."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import OperationalError, connections


def run_at_once(actions: Sequence[Callable[[], object]]) -> None:
    """Run each action in a thread of its own, all released at the same moment; each thread closes its database
    connections when done. Returns once every action has (an action records what it got itself)."""
    barrier = threading.Barrier(len(actions))

    def work(action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            action()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def decide_at_once(users: Sequence[Any], decide: Callable[[Any], object], stale: type[Exception]) -> list[str]:
    """Each user calls `decide(user)` at the same moment; "decided", "stale" (the `stale` error: someone acted
    first) or "locked: …" (SQLite's in-memory test database refuses a second writer instead of waiting)."""
    outcomes: list[str] = []

    def deciding(user: Any) -> Callable[[], None]:
        def action() -> None:
            try:
                decide(user)
                outcomes.append("decided")
            except stale:
                outcomes.append("stale")
            except OperationalError as exc:
                outcomes.append(f"locked: {exc}")

        return action

    run_at_once([deciding(user) for user in users])
    return outcomes
