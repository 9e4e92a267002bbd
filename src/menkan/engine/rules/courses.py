"""Required-course lists with equivalents and course identity: all of them, or N of them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.ledger import Entry, normalize_title
from menkan.engine.matching import max_matching
from menkan.engine.messages import missing_list, text
from menkan.engine.policy.models import CourseRef, Courses
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status

_ONE = Decimal(1)
# The same NamedTuples (every field given) without the cost of their generated __new__: lists are long.
_new = tuple.__new__


def course_label(ref: CourseRef) -> str:
    if ref.title and ref.code:
        return f"{ref.title} ({ref.code})"
    return ref.title or ref.code or "?"


def listed(ref: CourseRef) -> list[tuple[str | None, str | None]]:
    """A listed course and its alternatives as (code, title) pairs."""
    return [(ref.code, ref.title), *((alt.code, alt.title) for alt in ref.alternatives)]


def listed_entries(
    ctx: Context, owner: object, refs: Sequence[CourseRef], entries: Sequence[Entry]
) -> list[tuple[Entry, tuple[int, ...]]]:
    """The entries that can stand for some listed course, in order, each with the slots (listed courses) it can fill."""
    by_code, by_title = ctx.identity.slot_lookup(owner, lambda: [listed(ref) for ref in refs])
    found = []
    for entry in entries:
        course = entry.course
        slots = by_code.get(course.code, ())
        other = by_title.get(normalize_title(course.title))
        if other and other != slots:  # a listed course is usually found by code and title alike
            slots = (*slots, *(s for s in other if s not in slots)) if slots else other
        if slots:
            found.append((entry, slots))
    return found


def _candidates(slot_count: int, found: Sequence[tuple[Entry, tuple[int, ...]]]) -> list[list[int]]:
    """For each slot, the positions in `found` that can fill it."""
    candidates: list[list[int]] = [[] for _ in range(slot_count)]
    for position, (_, slots) in enumerate(found):
        for slot in slots:
            candidates[slot].append(position)
    return candidates


def slot_candidates(
    ctx: Context, owner: object, refs: Sequence[CourseRef], entries: Sequence[Entry]
) -> list[list[int]]:
    """For each listed course, the records (by position in `entries`) that can stand for it."""
    by_code, by_title = ctx.identity.slot_lookup(owner, lambda: [listed(ref) for ref in refs])
    candidates: list[list[int]] = [[] for _ in refs]
    for position, entry in enumerate(entries):
        course = entry.course
        slots = by_code.get(course.code, ())
        other = by_title.get(normalize_title(course.title))
        for slot in (*slots, *(s for s in other if s not in slots)) if other else slots:
            candidates[slot].append(position)
    return candidates


def slots_of(refs: Sequence[CourseRef], named: str | None) -> tuple[int, ...]:
    """The listed courses that `named` (a code or a title) is one of."""
    if named is None:
        return ()
    title = normalize_title(named)
    return tuple(
        slot
        for slot, ref in enumerate(refs)
        if any(named == code or (t is not None and normalize_title(t) == title) for code, t in listed(ref))
    )


def _with_exceptions(
    ctx: Context, full_id: str, refs: Sequence[CourseRef], found: list[tuple[Entry, tuple[int, ...]]]
) -> list[tuple[Entry, tuple[int, ...]]]:
    """The listed entries with the exceptions that name the list: `exclude` drops a course; `substitute` (in
    place of `replaces`) and `recognise` (as `as`, a listed code or title) make a course stand for that one."""
    assert ctx.exceptions is not None
    entries = ctx.ledger.entries
    slots_by_entry = {entry.position: slots for entry, slots in found}
    for exception in ctx.exceptions.on(full_id, "exclude", "substitute", "recognise"):
        positions = [entries[j].position for j in ctx.exceptions.positions(exception, entries)]
        if not positions:
            continue
        if exception.kind == "exclude":
            ctx.exceptions.use(exception)
            for position in positions:
                slots_by_entry.pop(position, None)
            continue
        target = slots_of(refs, exception.replaces if exception.kind == "substitute" else exception.as_)
        if not target:
            continue  # the replaced course is no longer on the list: listed as not applicable
        ctx.exceptions.use(exception)
        for position in positions:
            slots_by_entry[position] = target
    by_position = {entry.position: entry for entry in entries}
    return [(by_position[position], slots) for position, slots in sorted(slots_by_entry.items())]


def evaluate(ctx: Context, node: Courses, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    refs = node.courses
    needed = node.min if node.min is not None else len(refs)
    # Only entries that can stand for a listed course matter; one pass finds them, matchings use just those.
    found = listed_entries(ctx, node.courses, refs, ctx.ledger.entries)
    if ctx.exceptions is not None and ctx.exceptions.on(full_id):
        found = _with_exceptions(ctx, full_id, refs, found)
    countable = [listing for listing in found if listing[0].countable]
    match = max_matching(_candidates(len(refs), countable), len(countable))
    applied = []
    for j in match:
        if j is not None:
            entry = countable[j][0]
            course = entry.course
            applied.append(_new(Applied, ("course", entry.ref, _ONE, course.title, course.term, False)))
    earned = len(applied)
    open_slots = [slot for slot, j in enumerate(match) if j is None]
    open_refs = [refs[slot] for slot in open_slots]
    pending = [listing for listing in found if listing[0].pending]
    pending_match: list[int | None] = []
    if open_slots and pending:
        all_candidates = _candidates(len(refs), pending)
        pending_match = max_matching([all_candidates[slot] for slot in open_slots], len(pending))
    for j in pending_match:
        if j is not None:
            entry = pending[j][0]
            course = entry.course
            applied.append(_new(Applied, ("course", entry.ref, _ONE, course.title, course.term, True)))
    covered = earned + sum(j is not None for j in pending_match)
    not_applied = []
    for entry, _ in found:
        if entry.reason is not None:
            course = entry.course
            not_applied.append(NotApplied(entry.ref, entry.reason, course.title, course.credits))
    if earned >= needed:
        status: Status = "met"
        missing = text("", "")
    else:
        status = "in-progress" if covered >= needed else "not-met"
        names = [course_label(ref) for ref in open_refs]
        if needed == len(refs):
            missing = missing_list("尚缺課程", "Missing courses", names)
        else:
            missing = {
                "zh-TW": f"尚需 {needed - earned} 門，可選：" + "、".join(names),
                "en": f"{needed - earned} more from: " + ", ".join(names),
            }
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit="courses",
        required=Decimal(needed),
        earned=Decimal(earned),
        cites=node.cites,
        applied=applied,
        not_applied=not_applied,
        missing=missing,
        advisory=node.advisory,
        details={"open": [course_label(ref) for ref in open_refs]} if open_refs else {},
    )
