"""Tiered programs (micro-programs): per-tier minimum courses, a credit minimum, credits from outside the department."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.allocation import Aggregate, Bucket, Item, allocate
from menkan.engine.context import Context
from menkan.engine.ledger import Entry
from menkan.engine.messages import short, text
from menkan.engine.policy.models import OutsideRule, Tiered
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, combine, fmt
from menkan.engine.rules.courses import slot_candidates
from menkan.engine.rules.credits import to_decimal


def is_outside(ctx: Context, rule: OutsideRule, entry: Entry) -> bool:
    """Is the course from outside the student's own department, by the rule's test?"""
    course = entry.course
    if rule.test == "offered-by":
        return course.offered_by is not None and course.offered_by != ctx.student.department
    return course.category not in rule.own_categories


def evaluate(ctx: Context, node: Tiered, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    tiers = node.tiers
    entries = [entry for entry in ctx.ledger.entries if entry.countable or entry.pending]
    tier_of_slot = [t for t, tier in enumerate(tiers) for _ in tier.courses]
    slots = [ref for tier in tiers for ref in tier.courses]
    per_slot = slot_candidates(ctx, node.tiers, slots, entries)
    options: list[set[int]] = [set() for _ in entries]
    for slot, positions in enumerate(per_slot):
        for position in positions:
            options[position].add(tier_of_slot[slot])
    candidates = [tuple(sorted(found)) for found in options]
    listed = [i for i, options in enumerate(candidates) if options]
    eligible = ctx.applicable_to(node.eligibility)
    outside_tiers = {t for t, tier in enumerate(tiers) if node.outside and tier.id in node.outside.tiers}

    def solve(include_pending: bool) -> tuple[list[int], list[int | None], list[float], list[bool]]:
        chosen = [i for i in listed if entries[i].countable or include_pending]
        items = [Item(1.0, candidates[i]) for i in chosen]
        buckets = [Bucket(required=float(tier.min_courses)) for tier in tiers]
        credit_weights = {(k, t): float(entries[i].course.credits) for k, i in enumerate(chosen) for t in candidates[i]}
        aggregates = [Aggregate(float(node.min_credits), credit_weights)]
        if node.outside is not None:
            outside_weights = {
                (k, t): w
                for (k, t), w in credit_weights.items()
                if t in outside_tiers and is_outside(ctx, node.outside, entries[chosen[k]])
            }
            aggregates.append(Aggregate(float(node.outside.min), outside_weights))
        settlement = allocate(items, buckets, aggregates)
        return (
            chosen,
            settlement.assignment,
            settlement.aggregate_totals,
            settlement.met + settlement.aggregate_met,
        )

    chosen, assignment, totals, met_flags = solve(include_pending=False)
    has_pending = any(entries[i].pending for i in listed)
    potential_flags = solve(include_pending=True)[3] if has_pending and not all(met_flags) else met_flags

    def status_of(index: int) -> Status:
        if met_flags[index]:
            return "met"
        return "in-progress" if potential_flags[index] else "not-met"

    children: list[RequirementResult] = []
    for t, tier in enumerate(tiers):
        applied = []
        for k, i in enumerate(chosen):
            if assignment[k] == t:
                course = entries[i].course
                applied.append(Applied("course", course.ref, course.credits, course.title, course.term))
        for i in listed:
            # a course in progress is shown once, under the first tier it could fill
            if entries[i].pending and candidates[i][0] == t:
                course = entries[i].course
                applied.append(Applied("course", course.ref, course.credits, course.title, course.term, True))
        earned = Decimal(sum(1 for a in assignment if a == t))
        status = status_of(t)
        children.append(
            RequirementResult(
                id=f"{full_id}.{tier.id}",
                title=tier.title.as_dict(),
                kind="tier",
                status=status,
                unit="courses",
                required=Decimal(tier.min_courses),
                earned=earned,
                cites=node.cites,
                applied=applied,
                missing=short(Decimal(tier.min_courses) - earned, "courses") if status != "met" else text("", ""),
            )
        )
    credit_total = to_decimal(totals[0])
    status = status_of(len(tiers))
    children.append(
        RequirementResult(
            id=f"{full_id}.credits",
            title={"zh-TW": "學程學分", "en": "Program credits"},
            kind="program-credits",
            status=status,
            unit="credits",
            required=node.min_credits,
            earned=credit_total,
            cites=node.cites,
            missing=short(node.min_credits - credit_total, "credits") if status != "met" else text("", ""),
        )
    )
    if node.outside is not None:
        outside_total = to_decimal(totals[1])
        status = status_of(len(tiers) + 1)
        applied = []
        not_applied = []
        for k, i in enumerate(chosen):
            placed = assignment[k]
            if placed is None or placed not in outside_tiers:
                continue
            course = entries[i].course
            if is_outside(ctx, node.outside, entries[i]):
                applied.append(Applied("course", course.ref, course.credits, course.title, course.term))
            else:
                not_applied.append(NotApplied(course.ref, "own-department", course.title, course.credits))
        rule_title = node.outside.title or None
        children.append(
            RequirementResult(
                id=f"{full_id}.outside",
                title=rule_title.as_dict()
                if rule_title
                else {"zh-TW": "跨領域專業課程學分", "en": "Credits from outside the own department"},
                kind="program-outside",
                status=status,
                unit="credits",
                required=node.outside.min,
                earned=outside_total,
                cites=node.cites,
                applied=applied,
                not_applied=not_applied,
                missing=short(node.outside.min - outside_total, "credits") if status != "met" else text("", ""),
            )
        )
    overall = combine([child.status for child in children])
    details: dict[str, object] = {"eligible": eligible}
    registrations = [r for r in ctx.student.programs if r.program == node.id and r.withdrawn_term is None]
    details["registered"] = str(registrations[0].registered_term) if registrations else None
    missing = text("", "")
    if not eligible:
        overall = "not-met"
        missing = text("不符合本學程修讀資格", "Not eligible for this program")
    elif overall != "met":
        open_children = [c for c in children if c.status != "met"]
        missing = {
            "zh-TW": "；".join(f"{c.title['zh-TW']}{c.missing['zh-TW']}" for c in open_children),
            "en": "; ".join(f"{c.title['en']}: {c.missing['en']}" for c in open_children),
        }
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=overall,
        unit="credits",
        required=node.min_credits,
        earned=credit_total,
        cites=node.cites,
        display=f"{fmt(credit_total)} / {fmt(node.min_credits)}",
        missing=missing,
        children=children,
        advisory=node.advisory,
        details=details,
    )
