"""Credit (and course-count) requirements: totals, filters, caps, sub-limits, and exclusive groups with overflow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from menkan.engine.allocation import Bucket, Item, Settlement, allocate
from menkan.engine.context import Context
from menkan.engine.filters import CoursePredicate, select_positions
from menkan.engine.ledger import Entry
from menkan.engine.messages import short
from menkan.engine.policy.models import Credits
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, fmt

_PLACES = Decimal("0.0001")
_NO_MESSAGE = {"zh-TW": "", "en": ""}


@lru_cache(maxsize=4096)
def to_decimal(value: float) -> Decimal:
    """Back from the solver's floats to exact amounts (credits are multiples of 0.5 or so; 4 places is plenty)."""
    exact = Decimal(repr(round(value, 4))).quantize(_PLACES)
    return exact.to_integral_value() if exact == exact.to_integral_value() else exact.normalize()


@dataclass(slots=True)
class Leaf:
    """One credit requirement taking part in an allocation, with the ledger entries it selects.

    `selected`: positions of entries matching include and not exclude; `excluded`: positions matching
    include but caught by exclude (reported as `excluded`).
    """

    full_id: str
    node: Credits
    limit_tests: list[CoursePredicate]
    selected: list[int]
    excluded: list[int]


def _leaf(ctx: Context, full_id: str, node: Credits) -> Leaf:
    resolved = ctx.resolve(node)
    selected, excluded = select_positions(resolved.include, resolved.exclude, ctx.columns, ctx.student)
    return Leaf(full_id, resolved, [ctx.matcher(limit.filter) for limit in resolved.limits], selected, excluded)


def _problem(
    leaves: list[Leaf], entries: tuple[Entry, ...], positions: list[int], candidates: dict[int, list[int]]
) -> tuple[list[Item], list[Bucket]]:
    """Items (the entries at `positions`) and buckets (the leaves) of the allocation."""
    unit = leaves[0].node.unit
    if unit == "courses":
        items = [Item(1.0, tuple(candidates[j])) for j in positions]
    else:
        items = [Item(entries[j].weight, tuple(candidates[j])) for j in positions]
    local_index = {leaf.node.id: b for b, leaf in enumerate(leaves)}
    full_index = {leaf.full_id: b for b, leaf in enumerate(leaves)}
    buckets = []
    for leaf in leaves:
        node = leaf.node
        limits = []
        for limit, test in zip(node.limits, leaf.limit_tests, strict=True):
            maximum = limit.max if limit.max is not None else node.min * (limit.max_fraction_of_min or Decimal(1))
            limited = frozenset(k for k, j in enumerate(positions) if test(entries[j].course))
            limits.append((limited, float(maximum)))
        into = overflow_max = None
        if node.overflow is not None:
            into = full_index.get(node.overflow.into, local_index.get(node.overflow.into))
            overflow_max = float(node.overflow.max) if node.overflow.max is not None else None
        cap = float(node.max) if node.max is not None else None
        buckets.append(Bucket(float(node.min), cap, tuple(limits), into, overflow_max))
    return items, buckets


@dataclass(slots=True)
class GroupOutcome:
    results: dict[str, RequirementResult]
    retained: Decimal
    potential_retained: Decimal


def evaluate_leaves(ctx: Context, members: list[tuple[str, Credits]], total_min: Decimal | None = None) -> GroupOutcome:
    """Allocate the counted courses among credit requirements that share them exclusively, then explain each."""
    entries = ctx.ledger.entries
    leaves = [_leaf(ctx, full_id, node) for full_id, node in members]
    candidates: dict[int, list[int]] = {}
    for b, leaf in enumerate(leaves):
        for j in leaf.selected:
            candidates.setdefault(j, []).append(b)
    countable = sorted(j for j in candidates if entries[j].countable)
    pending = sorted(j for j in candidates if entries[j].pending)
    items, buckets = _problem(leaves, entries, countable, candidates)
    settlement = allocate(items, buckets)
    potential: Settlement | None = None
    total_short = total_min is not None and sum(settlement.retained) < float(total_min)
    if pending and (total_short or not all(settlement.met)):
        p_items, p_buckets = _problem(leaves, entries, countable + pending, candidates)
        potential = allocate(p_items, p_buckets)
    slot_of = {j: k for k, j in enumerate(countable)}
    results = {leaf.full_id: _explain(ctx, leaves, b, slot_of, settlement, potential) for b, leaf in enumerate(leaves)}
    retained = sum((to_decimal(v) for v in settlement.retained), Decimal(0))
    potential_retained = (
        sum((to_decimal(v) for v in potential.retained), Decimal(0)) if potential is not None else retained
    )
    return GroupOutcome(results, retained, potential_retained)


def _explain(
    ctx: Context,
    leaves: list[Leaf],
    b: int,
    slot_of: dict[int, int],
    settlement: Settlement,
    potential: Settlement | None,
) -> RequirementResult:
    """The result of one leaf: what counted (and how much), what did not and why, what is missing."""
    leaf = leaves[b]
    node = leaf.node
    entries = ctx.ledger.entries
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    pending_amount = Decimal(0)
    for j in leaf.selected:
        entry = entries[j]
        course = entry.course
        k = slot_of.get(j)
        if k is None:
            if entry.pending:
                amount = Decimal(1) if node.unit == "courses" else course.credits
                pending_amount += amount
                applied.append(Applied("course", entry.ref, amount, course.title, course.term, True))
            elif entry.reason is not None:
                not_applied.append(NotApplied(entry.ref, entry.reason, course.title, course.credits))
            continue
        assigned = settlement.assignment[k]
        if assigned == b:
            amount = to_decimal(settlement.counted[k])
            if amount > 0:
                applied.append(Applied("course", entry.ref, amount, course.title, course.term))
            for limit_number, cut in settlement.cut.get(k, ()):
                detail = node.limits[limit_number].id if limit_number >= 0 else "max"
                not_applied.append(NotApplied(entry.ref, "over-cap", course.title, to_decimal(cut), detail))
        elif assigned is None:
            not_applied.append(NotApplied(entry.ref, "over-cap", course.title, course.credits, "max"))
        else:
            other = leaves[assigned].full_id
            not_applied.append(NotApplied(entry.ref, "counted-elsewhere", course.title, course.credits, other))
    for j in leaf.excluded:
        entry = entries[j]
        if entry.countable or entry.pending:
            not_applied.append(NotApplied(entry.ref, "excluded", entry.course.title, entry.course.credits))
    own = to_decimal(settlement.own[b])
    inflow = Decimal(0)
    for source, flow in settlement.inflow[b]:
        flowed = to_decimal(flow)
        inflow += flowed
        applied.append(Applied("overflow", leaves[source].full_id, flowed))
    earned = to_decimal(settlement.total[b])
    required = node.min
    details: dict[str, object] = {}
    outflow = to_decimal(settlement.outflow[b])
    if outflow > 0 and node.overflow is not None:
        target = leaves[settlement_target(leaves, node)].full_id
        details["overflow"] = {"into": target, "amount": float(outflow)}
    if node.overflow is not None and earned > required:
        lost = earned - required - outflow
        if lost > 0:
            details["not_counted"] = float(lost)
    if settlement.solver != "direct":
        details["allocation"] = settlement.solver
    status: Status
    if settlement.met[b]:
        status = "met"
    elif potential is not None and potential.met[b]:
        status = "in-progress"
    else:
        status = "not-met"
    display = f"{fmt(own)} + {fmt(inflow)} / {fmt(required)}" if inflow else f"{fmt(earned)} / {fmt(required)}"
    return RequirementResult(
        id=leaf.full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit=node.unit,
        required=required,
        earned=earned,
        cites=node.cites,
        display=display,
        applied=applied,
        not_applied=not_applied,
        missing=short(required - earned, node.unit, pending_amount) if status != "met" else dict(_NO_MESSAGE),
        advisory=node.advisory,
        details=details,
    )


def settlement_target(leaves: list[Leaf], node: Credits) -> int:
    """The position of the leaf a node overflows into (given by local or full id)."""
    assert node.overflow is not None
    for index, leaf in enumerate(leaves):
        if node.overflow.into in (leaf.full_id, leaf.node.id):
            return index
    raise KeyError(node.overflow.into)


def evaluate(ctx: Context, node: Credits, full_id: str) -> RequirementResult:
    """A credit requirement on its own: every counted course that matches may count."""
    return evaluate_leaves(ctx, [(full_id, node)]).results[full_id]
