"""Required-course lists with equivalents and course identity: all of them, or N of them."""

from __future__ import annotations

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


def ref_keys(ctx: Context, ref: CourseRef) -> frozenset[str]:
    """The identity keys of a listed course and its alternatives."""
    return ctx.identity.keys_of(ref, [(ref.code, ref.title), *((alt.code, alt.title) for alt in ref.alternatives)])


def ref_matches(ctx: Context, ref: CourseRef, entry: Entry) -> bool:
    code_key, title_key = ctx.identity.record_keys(entry.course)
    keys = ref_keys(ctx, ref)
    return code_key in keys or title_key in keys


def match_slots(ctx: Context, refs: list[CourseRef], entries: list[Entry]) -> list[int | None]:
    """Match listed courses to records one-to-one (a record fills one slot), as many as possible."""
    candidates = [[j for j, entry in enumerate(entries) if ref_matches(ctx, ref, entry)] for ref in refs]
    return max_matching(candidates, len(entries))


def evaluate(ctx: Context, node: Courses, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    refs = node.courses
    needed = node.min if node.min is not None else len(refs)
    countable = [entry for entry in ctx.ledger.entries if entry.countable]
    match = match_slots(ctx, refs, countable)
    applied = [
        Applied("course", countable[j].course.ref, Decimal(1), countable[j].course.title, countable[j].course.term)
        for j in match
        if j is not None
    ]
    earned = len(applied)
    open_refs = [ref for ref, j in zip(refs, match, strict=True) if j is None]
    pending = [entry for entry in ctx.ledger.entries if entry.pending]
    pending_match = match_slots(ctx, open_refs, pending) if open_refs and pending else []
    for j in pending_match:
        if j is not None:
            course = pending[j].course
            applied.append(Applied("course", course.ref, Decimal(1), course.title, course.term, pending=True))
    covered = earned + sum(j is not None for j in pending_match)
    not_applied = []
    for entry in ctx.ledger.entries:
        if entry.reason is not None and any(ref_matches(ctx, ref, entry) for ref in refs):
            not_applied.append(NotApplied(entry.course.ref, entry.reason, entry.course.title, entry.course.credits))
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
