"""Hour thresholds over activities: items, merges shown separately (`24 + 4 / 24`), distinct titles, caps, credits."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.ledger import normalize_title
from menkan.engine.messages import short, text
from menkan.engine.policy.models import Hours
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, fmt


def evaluate(ctx: Context, node: Hours, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    items = set(node.items)
    merge_from = {merge.item: merge.from_term for merge in node.merges}
    # An item shown inside another requirement shows only the hours that requirement takes in.
    target = ctx.nodes.get(node.shown_in) if node.shown_in is not None else None
    shown_from = {m.item: m.from_term for m in target.merges if m.item in items} if isinstance(target, Hours) else {}
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    seen_titles: set[str] = set()
    own = Decimal(0)
    merged = Decimal(0)
    activities = sorted(
        (a for a in ctx.student.activities if a.item in items or a.item in merge_from),
        key=lambda a: (a.term, a.date or "", a.title),
    )
    for activity in activities:
        if activity.term > ctx.as_of:
            continue
        if not activity.passed:
            not_applied.append(NotApplied(activity.ref, "failed", activity.title, activity.hours))
            continue
        is_merge = activity.item not in items
        starts = merge_from[activity.item] if is_merge else shown_from.get(activity.item)
        if starts is not None and activity.term < starts:
            detail = f"counts from {starts}"
            not_applied.append(NotApplied(activity.ref, "before-merge", activity.title, activity.hours, detail))
            continue
        if node.distinct_titles:
            key = normalize_title(activity.title)
            if key in seen_titles:
                not_applied.append(NotApplied(activity.ref, "duplicate-title", activity.title, activity.hours))
                continue
            seen_titles.add(key)
        if is_merge:
            applied.append(Applied("merge", activity.ref, activity.hours, activity.title, activity.term))
        else:
            applied.append(Applied("activity", activity.ref, activity.hours, activity.title, activity.term))
        if is_merge:
            merged += activity.hours
        else:
            own += activity.hours
    total = own + merged
    counted = total
    if node.max_counted is not None and total > node.max_counted:
        counted = node.max_counted
        over = total - counted
        # The latest hours are the ones beyond the cap.
        for index in range(len(applied) - 1, -1, -1):
            if over <= 0:
                break
            entry = applied[index]
            cut = min(entry.amount, over)
            over -= cut
            not_applied.append(NotApplied(entry.ref, "over-cap", entry.title, cut, "max_counted"))
            if cut == entry.amount:
                applied.pop(index)
            else:
                applied[index] = Applied(entry.kind, entry.ref, entry.amount - cut, entry.title, entry.term)
    details: dict[str, object] = {}
    if node.merges:
        details["own"] = float(own)
        details["merged"] = float(merged)
    if node.credit_steps:
        credits = Decimal(0)
        for step in sorted(node.credit_steps, key=lambda s: s.hours):
            if counted >= step.hours:
                credits = step.credits
        details["credits"] = float(credits)
        details["hours_counted"] = float(counted)
        over_cap = total - counted
        set_aside = {
            reason: sum((n.amount or Decimal(0) for n in not_applied if n.reason == reason), Decimal(0))
            for reason in ("duplicate-title", "failed", "before-merge")
        }
        details["hours_over_cap"] = float(over_cap)
        details["hours_set_aside"] = {reason: float(hours) for reason, hours in set_aside.items() if hours}
        details["hours_ignored"] = float(over_cap + sum(set_aside.values(), Decimal(0)))
    required = node.min
    status: Status = "met" if counted >= required else "not-met"
    merged_display = f"{fmt(own)} + {fmt(merged)} / {fmt(required)}"
    display = merged_display if node.merges else f"{fmt(counted)} / {fmt(required)}"
    if node.credit_steps:
        display += f" ({fmt(Decimal(str(details['credits'])))} 學分 credits)"
    if node.shown_in is not None:
        target_zh = (target.short_title or target.title).zh_tw if target is not None else node.shown_in
        display = f"{fmt(counted)} (納入{target_zh})"
        status = "met"
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit="hours",
        required=required,
        earned=counted,
        cites=node.cites,
        display=display,
        applied=applied,
        not_applied=not_applied,
        missing=short(required - counted, "hours") if status != "met" else text("", ""),
        advisory=node.advisory or node.shown_in is not None,
        details=details,
    )
