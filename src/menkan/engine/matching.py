"""Maximum bipartite matching (augmenting paths): which records fill which listed slots, exactly."""

from __future__ import annotations

from collections.abc import Sequence


def max_matching(candidates: Sequence[Sequence[int]], right_size: int) -> list[int | None]:
    """For each left vertex (a listed slot) the right vertex (a record) matched to it, maximising the matches.

    Kuhn's algorithm: exact, O(V·E), ample for course lists. Slots are tried in order and records in the
    order given, so the result is deterministic.
    """
    owner: list[int | None] = [None] * right_size

    # Most listed courses have a single free record: take those directly, augment only for the rest.
    pending: list[int] = []
    for left, options in enumerate(candidates):
        for right in options:
            if owner[right] is None:
                owner[right] = left
                break
        else:
            if options:
                pending.append(left)
    for left in pending:
        _augment(left, candidates, owner, [False] * right_size)
    match: list[int | None] = [None] * len(candidates)
    for right, matched_left in enumerate(owner):
        if matched_left is not None:
            match[matched_left] = right
    return match


def _augment(left: int, candidates: Sequence[Sequence[int]], owner: list[int | None], seen: list[bool]) -> bool:
    """Find an augmenting path from `left` and flip it.

    A module function on purpose: a recursive closure refers to itself, a reference cycle that would keep
    every matching's lists alive until the cycle collector runs.
    """
    for right in candidates[left]:
        if seen[right]:
            continue
        seen[right] = True
        current = owner[right]
        if current is None or _augment(current, candidates, owner, seen):
            owner[right] = left
            return True
    return False
