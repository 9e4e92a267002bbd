"""Credit (and course-count) requirements: totals, filters, caps, sub-limits, and exclusive groups with overflow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from menkan.engine.allocation import Bucket, Item, Settlement, allocate
from menkan.engine.context import Context
from menkan.engine.filters import CoursePredicate
from menkan.engine.ledger import Entry
from menkan.engine.messages import short
from menkan.engine.policy.models import Credits
from menkan.engine.result import Applied, NotApplied, RequirementResult, fmt

_PLACES = Decimal("0.0001")


def to_decimal(value: float) -> Decimal:
    """Back from the solver's floats to exact amounts (credits are multiples of 0.5 or so; 4 places is plenty)."""
    return Decimal(repr(round(value, 4))).quantize(_PLACES).normalize() + Decimal(0)


@dataclass(slots=True)
class Leaf:
    """One credit requirement taking part in an allocation."""

    full_id: str
    node: Credits
    select: CoursePredicate
    include_only: CoursePredicate
    limit_tests: list[CoursePredicate]


def _leaf(ctx: Context, full_id: str, node: Credits) -> Leaf:
    resolved = ctx.resolve(node)
    return Leaf(
        full_id=full_id,
        node=resolved,
        select=ctx.selection(resolved.include, resolved.exclude),
        include_only=ctx.matcher(resolved.include),
        limit_tests=[ctx.matcher(limit.filter) for limit in resolved.limits],
    )


def _weight(entry: Entry, unit: str) -> float:
    return 1.0 if unit == "courses" else float(entry.course.credits)


def _problem(leaves: list[Leaf], entries: list[Entry]) -> tuple[list[Item], list[Bucket]]:
    unit = leaves[0].node.unit
    local_index = {leaf.node.id: i for i, leaf in enumerate(leaves)}
    full_index = {leaf.full_id: i for i, leaf in enumerate(leaves)}
    items = [
        Item(_weight(entry, unit), tuple(b for b, leaf in enumerate(leaves) if leaf.select(entry.course)))
        for entry in entries
    ]
    buckets = []
    for leaf in leaves:
        node = leaf.node
        limits = []
        for limit, test in zip(node.limits, leaf.limit_tests, strict=True):
            maximum = limit.max if limit.max is not None else node.min * (limit.max_fraction_of_min or Decimal(1))
            limits.append((frozenset(i for i, entry in enumerate(entries) if test(entry.course)), float(maximum)))
        into = None
        if node.overflow is not None:
            into = full_index.get(node.overflow.into, local_index.get(node.overflow.into))
        buckets.append(
            Bucket(
                required=float(node.min),
                cap=float(node.max) if node.max is not None else None,
                limits=tuple(limits),
                overflow_into=into,
                overflow_max=float(node.overflow.max)
                if node.overflow is not None and node.overflow.max is not None
                else None,
            )
        )
    return items, buckets


@dataclass(slots=True)
class GroupOutcome:
    results: dict[str, RequirementResult]
    retained: Decimal
    potential_retained: Decimal


def evaluate_leaves(ctx: Context, members: list[tuple[str, Credits]]) -> GroupOutcome:
    """Allocate the counted courses among credit requirements that share them exclusively, then explain each."""
    leaves = [_leaf(ctx, full_id, node) for full_id, node in members]
    countable = [
        entry for entry in ctx.ledger.entries if entry.countable and any(leaf.select(entry.course) for leaf in leaves)
    ]
    items, buckets = _problem(leaves, countable)
    settlement = allocate(items, buckets)
    pending = [entry for entry in ctx.ledger.entries if entry.pending and any(leaf.select(entry.course) for leaf in leaves)]
    potential: Settlement | None = None
    if pending and not all(settlement.met):
        p_items, p_buckets = _problem(leaves, countable + pending)
        potential = allocate(p_items, p_buckets)
    results = {
        leaf.full_id: _explain(ctx, leaves, b, countable, pending, settlement, potential)
        for b, leaf in enumerate(leaves)
    }
    retained = sum((to_decimal(v) for v in settlement.retained), Decimal(0))
    potential_retained = (
        sum((to_decimal(v) for v in potential.retained), Decimal(0)) if potential is not None else retained
    )
    return GroupOutcome(results, retained, potential_retained)


def _explain(
    ctx: Context,
    leaves: list[Leaf],
    b: int,
    countable: list[Entry],
    pending: list[Entry],
    settlement: Settlement,
    potential: Settlement | None,
) -> RequirementResult:
    leaf = leaves[b]
    node = leaf.node
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    for i, entry in enumerate(countable):
        course = entry.course
        assigned = settlement.assignment[i]
        if assigned == b:
            amount = to_decimal(settlement.counted[i])
            if amount > 0:
                applied.append(Applied("course", course.ref, amount, course.title, course.term))
            for limit_number, cut in settlement.cut.get(i, []):
                detail = node.limits[limit_number].id if limit_number >= 0 else "max"
                not_applied.append(NotApplied(course.ref, "over-cap", course.title, to_decimal(cut), detail))
        elif leaf.select(course):
            if assigned is None:
                not_applied.append(NotApplied(course.ref, "over-cap", course.title, course.credits, "max"))
            else:
                other = leaves[assigned].full_id
                not_applied.append(NotApplied(course.ref, "counted-elsewhere", course.title, course.credits, other))
    pending_amount = Decimal(0)
    for entry in pending:
        if leaf.select(entry.course):
            amount = Decimal(1) if node.unit == "courses" else entry.course.credits
            pending_amount += amount
            applied.append(Applied("course", entry.course.ref, amount, entry.course.title, entry.course.term, True))
    for entry in ctx.ledger.entries:
        course = entry.course
        if entry.countable or entry.pending:
            if not leaf.select(course) and leaf.include_only(course) and node.exclude is not None:
                not_applied.append(NotApplied(course.ref, "excluded", course.title, course.credits))
        elif leaf.select(course) and entry.reason is not None:
            not_applied.append(NotApplied(course.ref, entry.reason, course.title, course.credits))
    own = to_decimal(settlement.own[b])
    inflow = Decimal(0)
    for source, flow in settlement.inflow[b]:
        flowed = to_decimal(flow)
        inflow += flowed
        applied.append(Applied("overflow", leaves[source].full_id, flowed))
    earned = to_decimal(settlement.total[b])
    required = node.min
    details: dict[str, object] = {}
    if settlement.outflow[b] > 0 and node.overflow is not None:
        details["overflow"] = {
            "into": leaves[settlement_target(leaves, node)].full_id,
            "amount": float(to_decimal(settlement.outflow[b])),
        }
    if node.overflow is not None and earned > required:
        lost = earned - required - to_decimal(settlement.outflow[b])
        if lost > 0:
            details["not_counted"] = float(lost)
    if settlement.solver == "milp":
        details["allocation"] = "milp"
    if settlement.met[b]:
        status = "met"
    elif potential is not None and potential.met[b]:
        status = "in-progress"
    else:
        status = "not-met"
    display = f"{fmt(own)} + {fmt(inflow)} / {fmt(required)}" if inflow else f"{fmt(earned)} / {fmt(required)}"
    missing = short(required - earned, node.unit, pending_amount) if status != "met" else {"zh-TW": "", "en": ""}
    return RequirementResult(
        id=leaf.full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,  # type: ignore[arg-type]
        unit=node.unit,
        required=required,
        earned=earned,
        cites=node.cites,
        display=display,
        applied=applied,
        not_applied=not_applied,
        missing=missing,
        advisory=node.advisory,
        details=details,
    )


def settlement_target(leaves: list[Leaf], node: Credits) -> int:
    assert node.overflow is not None
    for index, leaf in enumerate(leaves):
        if node.overflow.into in (leaf.full_id, leaf.node.id):
            return index
    raise KeyError(node.overflow.into)


def evaluate(ctx: Context, node: Credits, full_id: str) -> RequirementResult:
    """A credit requirement on its own: every counted course that matches may count."""
    return evaluate_leaves(ctx, [(full_id, node)]).results[full_id]
