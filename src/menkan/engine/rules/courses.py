"""Required-course lists with equivalents and course identity: all of them, or N of them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.ledger import Entry
from menkan.engine.matching import max_matching
from menkan.engine.messages import missing_list, text
from menkan.engine.policy.models import CourseRef, Courses
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status


def course_label(ref: CourseRef) -> str:
    if ref.title and ref.code:
        return f"{ref.title} ({ref.code})"
    return ref.title or ref.code or "?"


def listed(ref: CourseRef) -> list[tuple[str | None, str | None]]:
    """A listed course and its alternatives as (code, title) pairs."""
    return [(ref.code, ref.title), *((alt.code, alt.title) for alt in ref.alternatives)]


def slot_candidates(
    ctx: Context, owner: object, refs: Sequence[CourseRef], entries: Sequence[Entry]
) -> list[list[int]]:
    """For each listed course, the records (by position in `entries`) that can stand for it."""
    index = ctx.identity.slot_index(owner, lambda: [listed(ref) for ref in refs])
    candidates: list[list[int]] = [[] for _ in refs]
    keys = ctx.record_keys()
    for position, entry in enumerate(entries):
        code_key, title_key = keys[entry.position]
        slots = index.get(code_key, ())
        other = index.get(title_key, ())
        for slot in (*slots, *(s for s in other if s not in slots)) if other else slots:
            candidates[slot].append(position)
    return candidates


def ref_matches(ctx: Context, ref: CourseRef, entry: Entry) -> bool:
    keys = ctx.identity.memo(ref, lambda: ctx.identity.listed_keys(listed(ref)))
    code_key, title_key = ctx.identity.record_keys(entry.course)
    return code_key in keys or title_key in keys


def evaluate(ctx: Context, node: Courses, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    refs = node.courses
    needed = node.min if node.min is not None else len(refs)
    countable = [entry for entry in ctx.ledger.entries if entry.countable]
    match = max_matching(slot_candidates(ctx, node.courses, refs, countable), len(countable))
    applied = [
        Applied("course", countable[j].course.ref, Decimal(1), countable[j].course.title, countable[j].course.term)
        for j in match
        if j is not None
    ]
    earned = len(applied)
    open_slots = [slot for slot, j in enumerate(match) if j is None]
    open_refs = [refs[slot] for slot in open_slots]
    pending = [entry for entry in ctx.ledger.entries if entry.pending]
    pending_match: list[int | None] = []
    if open_slots and pending:
        all_candidates = slot_candidates(ctx, node.courses, refs, pending)
        pending_match = max_matching([all_candidates[slot] for slot in open_slots], len(pending))
    for j in pending_match:
        if j is not None:
            course = pending[j].course
            applied.append(Applied("course", course.ref, Decimal(1), course.title, course.term, pending=True))
    covered = earned + sum(j is not None for j in pending_match)
    not_applied = []
    unsettled = [entry for entry in ctx.ledger.entries if entry.reason is not None]
    listed_unsettled = {j for options in slot_candidates(ctx, node.courses, refs, unsettled) for j in options}
    for j in sorted(listed_unsettled):
        course = unsettled[j].course
        not_applied.append(NotApplied(course.ref, unsettled[j].reason or "", course.title, course.credits))
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
