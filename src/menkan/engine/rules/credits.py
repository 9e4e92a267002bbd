"""Credit (and course-count) requirements: totals, filters, caps, sub-limits, and exclusive groups with overflow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from menkan.engine.allocation import Bucket, Item, Settlement, allocate
from menkan.engine.context import Context
from menkan.engine.filters import CoursePredicate
from menkan.engine.ledger import Entry
from menkan.engine.messages import short
from menkan.engine.policy.models import Credits
from menkan.engine.result import Applied, NotApplied, RequirementResult, fmt

_PLACES = Decimal("0.0001")


@lru_cache(maxsize=4096)
def to_decimal(value: float) -> Decimal:
    """Back from the solver's floats to exact amounts (credits are multiples of 0.5 or so; 4 places is plenty)."""
    exact = Decimal(repr(round(value, 4))).quantize(_PLACES)
    return exact.to_integral_value() if exact == exact.to_integral_value() else exact.normalize()


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


@dataclass(slots=True)
class Selection:
    """Which ledger entries each leaf selects (and includes before `exclude`), computed once per group."""

    selects: list[list[bool]]
    includes: list[list[bool]]
    candidates: list[tuple[int, ...]]


def _select(leaves: list[Leaf], entries: tuple[Entry, ...]) -> Selection:
    selects = [[leaf.select(entry.course) for entry in entries] for leaf in leaves]
    includes = [
        [leaf.include_only(entry.course) for entry in entries] if leaf.node.exclude is not None else row
        for leaf, row in zip(leaves, selects, strict=True)
    ]
    candidates = [tuple(b for b, row in enumerate(selects) if row[j]) for j in range(len(entries))]
    return Selection(selects, includes, candidates)


def _problem(
    leaves: list[Leaf], entries: tuple[Entry, ...], positions: list[int], selection: Selection
) -> tuple[list[Item], list[Bucket]]:
    unit = leaves[0].node.unit
    local_index = {leaf.node.id: i for i, leaf in enumerate(leaves)}
    full_index = {leaf.full_id: i for i, leaf in enumerate(leaves)}
    if unit == "courses":
        items = [Item(1.0, selection.candidates[j]) for j in positions]
    else:
        items = [Item(float(entries[j].course.credits), selection.candidates[j]) for j in positions]
    buckets = []
    for leaf in leaves:
        node = leaf.node
        limits = []
        for limit, test in zip(node.limits, leaf.limit_tests, strict=True):
            maximum = limit.max if limit.max is not None else node.min * (limit.max_fraction_of_min or Decimal(1))
            limited = frozenset(k for k, j in enumerate(positions) if test(entries[j].course))
            limits.append((limited, float(maximum)))
        into = None
        if node.overflow is not None:
            into = full_index.get(node.overflow.into, local_index.get(node.overflow.into))
        overflow_max = node.overflow.max if node.overflow is not None else None
        buckets.append(
            Bucket(
                required=float(node.min),
                cap=float(node.max) if node.max is not None else None,
                limits=tuple(limits),
                overflow_into=into,
                overflow_max=float(overflow_max) if overflow_max is not None else None,
            )
        )
    return items, buckets


@dataclass(slots=True)
class GroupOutcome:
    results: dict[str, RequirementResult]
    retained: Decimal
    potential_retained: Decimal


def evaluate_leaves(ctx: Context, members: list[tuple[str, Credits]], total_min: Decimal | None = None) -> GroupOutcome:
    """Allocate the counted courses among credit requirements that share them exclusively, then explain each."""
    leaves = [_leaf(ctx, full_id, node) for full_id, node in members]
    entries = ctx.ledger.entries
    selection = _select(leaves, entries)
    candidates = selection.candidates
    countable = [j for j, entry in enumerate(entries) if entry.countable and candidates[j]]
    pending = [j for j, entry in enumerate(entries) if entry.pending and candidates[j]]
    items, buckets = _problem(leaves, entries, countable, selection)
    settlement = allocate(items, buckets)
    potential: Settlement | None = None
    total_short = total_min is not None and sum(settlement.retained) < float(total_min)
    if pending and (total_short or not all(settlement.met)):
        p_items, p_buckets = _problem(leaves, entries, countable + pending, selection)
        potential = allocate(p_items, p_buckets)
    results = {
        leaf.full_id: _explain(ctx, leaves, b, selection, countable, pending, settlement, potential)
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
    selection: Selection,
    countable: list[int],
    pending: list[int],
    settlement: Settlement,
    potential: Settlement | None,
) -> RequirementResult:
    leaf = leaves[b]
    node = leaf.node
    entries = ctx.ledger.entries
    selects = selection.selects[b]
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    for k, j in enumerate(countable):
        course = entries[j].course
        assigned = settlement.assignment[k]
        if assigned == b:
            amount = to_decimal(settlement.counted[k])
            if amount > 0:
                applied.append(Applied("course", course.ref, amount, course.title, course.term))
            for limit_number, cut in settlement.cut.get(k, []):
                detail = node.limits[limit_number].id if limit_number >= 0 else "max"
                not_applied.append(NotApplied(course.ref, "over-cap", course.title, to_decimal(cut), detail))
        elif selects[j]:
            if assigned is None:
                not_applied.append(NotApplied(course.ref, "over-cap", course.title, course.credits, "max"))
            else:
                other = leaves[assigned].full_id
                not_applied.append(NotApplied(course.ref, "counted-elsewhere", course.title, course.credits, other))
    pending_amount = Decimal(0)
    for j in pending:
        if selects[j]:
            course = entries[j].course
            amount = Decimal(1) if node.unit == "courses" else course.credits
            pending_amount += amount
            applied.append(Applied("course", course.ref, amount, course.title, course.term, True))
    includes = selection.includes[b]
    for j, entry in enumerate(entries):
        if selects[j]:
            reason = entry.reason
            if reason is not None:
                course = entry.course
                not_applied.append(NotApplied(course.ref, reason, course.title, course.credits))
        elif includes[j] and (entry.countable or entry.pending):
            course = entry.course
            not_applied.append(NotApplied(course.ref, "excluded", course.title, course.credits))
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
        details["overflow"] = {"into": leaves[settlement_target(leaves, node)].full_id, "amount": float(outflow)}
    if node.overflow is not None and earned > required:
        lost = earned - required - outflow
        if lost > 0:
            details["not_counted"] = float(lost)
    if settlement.solver != "direct":
        details["allocation"] = settlement.solver
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
