"""Exact allocation of courses to competing requirements: settle an assignment, and find the best one by MILP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import NamedTuple

import numpy as np

EPSILON = 1e-9


class Bucket(NamedTuple):
    """A requirement that takes items exclusively: its minimum, its cap, its sub-limits and its overflow."""

    required: float
    cap: float | None = None
    limits: tuple[tuple[frozenset[int], float], ...] = ()
    overflow_into: int | None = None
    overflow_max: float | None = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A minimum over assignments that consumes nothing: e.g. credits from certain tiers, whatever tier they fill."""

    required: float
    weights: dict[tuple[int, int], float]


class Item(NamedTuple):
    """A course (or other unit) with its weight and the buckets it may count in."""

    weight: float
    candidates: tuple[int, ...]


@dataclass(slots=True)
class Settlement:
    """What an assignment gives: per item the amount counted and cut; per bucket totals, flows and status."""

    assignment: list[int | None]
    counted: list[float]
    cut: dict[int, list[tuple[int, float]]]
    own: list[float]
    inflow: list[list[tuple[int, float]]]
    outflow: list[float]
    total: list[float]
    retained: list[float]
    met: list[bool]
    aggregate_totals: list[float] = field(default_factory=list)
    aggregate_met: list[bool] = field(default_factory=list)
    solver: str = "direct"

    @property
    def met_count(self) -> int:
        return sum(self.met) + sum(self.aggregate_met)


def overflow_order(buckets: Sequence[Bucket]) -> list[int]:
    """Buckets ordered so that every overflow source comes before its target."""
    return list(_overflow_order(tuple(bucket.overflow_into for bucket in buckets)))


@lru_cache(maxsize=1024)
def _overflow_order(targets: tuple[int | None, ...]) -> tuple[int, ...]:
    # Settling runs this for every allocation, over a handful of shapes: remember the answers.
    order: list[int] = []
    state = [0] * len(targets)

    def visit(index: int) -> None:
        if state[index] == 2:
            return
        state[index] = 1
        for source, target in enumerate(targets):
            if target == index and state[source] == 0:
                visit(source)
        state[index] = 2
        order.append(index)

    for index in range(len(targets)):
        visit(index)
    return tuple(order)


def settle(
    items: Sequence[Item],
    buckets: Sequence[Bucket],
    assignment: Sequence[int | None],
    aggregates: Sequence[Aggregate] = (),
) -> Settlement:
    """Apply sub-limits, caps and overflows (in that order) to an assignment of items to buckets."""
    counted = [0.0] * len(items)
    cut: dict[int, list[tuple[int, float]]] = {}
    own = [0.0] * len(buckets)
    members_of: list[list[int]] = [[] for _ in buckets]
    for index, bucket_index in enumerate(assignment):
        if bucket_index is not None:
            counted[index] = items[index].weight
            members_of[bucket_index].append(index)
    for bucket_index, bucket in enumerate(buckets):
        members = members_of[bucket_index]
        for limit_number, (limited, maximum) in enumerate(bucket.limits):
            used = 0.0
            for i in members:
                if i not in limited or counted[i] <= 0:
                    continue
                room = max(0.0, maximum - used)
                take = min(counted[i], room)
                if take < counted[i] - EPSILON:
                    cut.setdefault(i, []).append((limit_number, counted[i] - take))
                counted[i] = take
                used += take
        amount = sum([counted[i] for i in members], 0.0)
        if bucket.cap is not None and amount > bucket.cap + EPSILON:
            excess = amount - bucket.cap
            for i in reversed(members):
                if excess <= EPSILON:
                    break
                take = min(counted[i], excess)
                if take > 0:
                    cut.setdefault(i, []).append((-1, take))
                    counted[i] -= take
                    excess -= take
            amount = bucket.cap
        own[bucket_index] = amount
    inflow: list[list[tuple[int, float]]] = [[] for _ in buckets]
    outflow = [0.0] * len(buckets)
    total = [0.0] * len(buckets)
    retained = [0.0] * len(buckets)
    met = [False] * len(buckets)
    for index in overflow_order(buckets):
        bucket = buckets[index]
        incoming = sum([amount for _, amount in inflow[index]], 0.0) if inflow[index] else 0.0
        value = own[index] + incoming
        if bucket.cap is not None:
            value = min(value, max(bucket.cap, own[index]))
        total[index] = value
        met[index] = value >= bucket.required - EPSILON
        retained[index] = value
        if bucket.overflow_into is not None:
            retained[index] = min(value, bucket.required)
            if met[index]:
                excess = value - bucket.required
                if bucket.overflow_max is not None:
                    excess = min(excess, bucket.overflow_max)
                if excess > EPSILON:
                    outflow[index] = excess
                    inflow[bucket.overflow_into].append((index, excess))
    aggregate_totals: list[float] = []
    aggregate_met: list[bool] = []
    for aggregate in aggregates:
        value = sum((weight for (i, b), weight in aggregate.weights.items() if assignment[i] == b), 0.0)
        aggregate_totals.append(value)
        aggregate_met.append(value >= aggregate.required - EPSILON)
    return Settlement(
        list(assignment),
        counted,
        cut,
        own,
        inflow,
        outflow,
        total,
        retained,
        met,
        aggregate_totals,
        aggregate_met,
    )


def allocate(items: Sequence[Item], buckets: Sequence[Bucket], aggregates: Sequence[Aggregate] = ()) -> Settlement:
    """The assignment that meets the most minimums (then makes the most progress), solved exactly.

    Items with one candidate go there (more never hurts: caps cut, overflows only add). When items could
    count in several buckets, a deficit-first assignment is tried; it is accepted only if it meets as many
    minimums as an upper bound allows (then nothing can do better). Otherwise the choice is a mixed-integer
    program solved by HiGHS. No first-fit, no enumeration of combinations.
    """
    assignment: list[int | None] = [item.candidates[0] if len(item.candidates) == 1 else None for item in items]
    if None not in assignment:  # the usual case: nothing is contested
        return settle(items, buckets, assignment, aggregates)
    contested = [i for i, item in enumerate(items) if len(item.candidates) > 1]
    if not contested:
        return settle(items, buckets, assignment, aggregates)
    proposal = _deficit_first(items, buckets, assignment, contested)
    settlement = settle(items, buckets, proposal, aggregates)
    if settlement.met_count >= upper_bound(items, buckets, aggregates):
        settlement.solver = "bound"
        return settlement
    choices = _solve_dp(items, buckets, aggregates, assignment, contested)
    solver = "dp"
    if choices is None:
        choices = _solve_milp(items, buckets, aggregates, list(assignment), contested)
        solver = "milp"
    for index, choice in choices.items():
        assignment[index] = choice
    settlement = settle(items, buckets, assignment, aggregates)
    settlement.solver = solver
    return settlement


DP_STATE_LIMIT = 20_000
_GRAIN = 2  # amounts are counted in half units (credits come in halves at the finest)


def _solve_dp(
    items: Sequence[Item],
    buckets: Sequence[Bucket],
    aggregates: Sequence[Aggregate],
    fixed: Sequence[int | None],
    contested: Sequence[int],
) -> dict[int, int | None] | None:
    """Exact dynamic program over fill levels capped at each minimum, for buckets without sub-limits,
    overflows or aggregates whose state space is small; None when it does not apply.

    Two partial assignments that fill every bucket to the same (capped) level are interchangeable for
    what remains, so only one per level is kept: the work is items × reachable levels × candidates.
    """
    if aggregates or any(bucket.limits or bucket.overflow_into is not None for bucket in buckets):
        return None
    units = []
    for item in items:
        scaled = item.weight * _GRAIN
        if abs(scaled - round(scaled)) > EPSILON:
            return None
        units.append(round(scaled))
    ceilings = []
    size = 1
    for bucket in buckets:
        ceiling = bucket.required if bucket.cap is None else min(bucket.required, bucket.cap)
        scaled = ceiling * _GRAIN
        if abs(scaled - round(scaled)) > EPSILON:
            return None
        ceilings.append(round(scaled))
        size *= ceilings[-1] + 1
    if size > DP_STATE_LIMIT:
        return None
    start = [0] * len(buckets)
    for i, b in enumerate(fixed):
        if b is not None:
            start[b] = min(ceilings[b], start[b] + units[i])
    # level -> (previous level, bucket chosen for the item of this layer)
    layers: list[dict[tuple[int, ...], tuple[tuple[int, ...], int]]] = []
    frontier: dict[tuple[int, ...], tuple[tuple[int, ...], int]] = {tuple(start): ((), -1)}
    for i in contested:
        following: dict[tuple[int, ...], tuple[tuple[int, ...], int]] = {}
        for level in frontier:
            for b in items[i].candidates:
                filled = min(ceilings[b], level[b] + units[i])
                after = level if filled == level[b] else (*level[:b], filled, *level[b + 1 :])
                if after not in following:
                    following[after] = (level, b)
        layers.append(following)
        frontier = following
    required = [round(bucket.required * _GRAIN) for bucket in buckets]

    def score(level: tuple[int, ...]) -> tuple[int, int]:
        return (sum(level[b] >= required[b] for b in range(len(buckets))), sum(level))

    best = max(frontier, key=score)
    choice: dict[int, int | None] = {}
    level = best
    for i, layer in zip(reversed(contested), reversed(layers), strict=True):
        previous, b = layer[level]
        choice[i] = b
        level = previous
    return choice


def upper_bound(items: Sequence[Item], buckets: Sequence[Bucket], aggregates: Sequence[Aggregate]) -> int:
    """At most this many minimums can be met by any assignment.

    Two bounds, the smaller wins: a bucket counts only if it is reachable on its own (its candidates, or an
    inflow, could fill it); and since every item counts once, the met buckets' minimums must fit in the
    total weight, so at most the k smallest reachable minimums that fit. Aggregates consume nothing and
    are bounded separately.
    """
    reach = [0.0] * len(buckets)
    supply = 0.0
    for item in items:
        if item.candidates:
            supply += item.weight
        for b in item.candidates:
            reach[b] += item.weight
    fed = {bucket.overflow_into for bucket in buckets if bucket.overflow_into is not None}
    reachable = [
        bucket.required
        for b, bucket in enumerate(buckets)
        if b in fed or min(reach[b], bucket.cap if bucket.cap is not None else reach[b]) >= bucket.required - EPSILON
    ]
    bound = 0
    used = 0.0
    for required in sorted(reachable):
        if used + required > supply + EPSILON:
            break
        used += required
        bound += 1
    for aggregate in aggregates:
        best: dict[int, float] = {}
        for (i, _), weight in aggregate.weights.items():
            best[i] = max(best.get(i, 0.0), weight)
        bound += sum(best.values(), 0.0) >= aggregate.required - EPSILON
    return bound


def _deficit_first(
    items: Sequence[Item], buckets: Sequence[Bucket], fixed: Sequence[int | None], contested: Sequence[int]
) -> list[int | None]:
    """Each contested item (fewest options first, then heaviest) to the candidate bucket furthest from its minimum."""
    filled = [0.0] * len(buckets)
    for i, b in enumerate(fixed):
        if b is not None:
            filled[b] += items[i].weight
    proposal = list(fixed)
    for i in sorted(contested, key=lambda i: (len(items[i].candidates), -items[i].weight, i)):
        target = max(items[i].candidates, key=lambda b: (buckets[b].required - filled[b], -b))
        proposal[i] = target
        filled[target] += items[i].weight
    return proposal


@dataclass(slots=True)
class _Model:
    """A column-by-column MILP under construction (maximisation)."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[float, float, list[int], list[float]]] = field(default_factory=list)

    def var(self, lower: float, upper: float, cost: float = 0.0, integer: bool = False) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float, terms: dict[int, float]) -> None:
        self.rows.append((lower, upper, list(terms), list(terms.values())))


def _solve_milp(
    items: Sequence[Item],
    buckets: Sequence[Bucket],
    aggregates: Sequence[Aggregate],
    fixed: Sequence[int | None],
    contested: Sequence[int],
) -> dict[int, int | None]:
    import highspy

    inf = highspy.kHighsInf
    total_weight = sum((item.weight for item in items), 0.0) + 1.0
    big = (
        sum((bucket.required for bucket in buckets), 0.0)
        + sum((aggregate.required for aggregate in aggregates), 0.0)
        + total_weight
        + 1.0
    )
    tiny = 1.0 / (total_weight * (len(buckets) + 1))
    model = _Model()
    x: dict[tuple[int, int], int] = {}
    for i in contested:
        for b in items[i].candidates:
            x[(i, b)] = model.var(0, 1, tiny * items[i].weight, integer=True)
        model.row(-inf, 1, {x[(i, b)]: 1.0 for b in items[i].candidates})
    fixed_in: list[float] = [0.0] * len(buckets)
    for i, fixed_bucket in enumerate(fixed):
        if fixed_bucket is not None:
            fixed_in[fixed_bucket] += items[i].weight
    # Columns per bucket: own amount, total (own + inflow), met flag, progress toward the minimum, outflow.
    own, total, met, progress = [], [], [], []
    for bucket in buckets:
        cap = bucket.cap if bucket.cap is not None else inf
        own.append(model.var(0, cap))
        total.append(model.var(0, cap))
        met.append(model.var(0, 1, big, integer=True))
        progress.append(model.var(0, bucket.required, 1.0))
    outflow: dict[int, tuple[int, float]] = {}
    for b, bucket in enumerate(buckets):
        if bucket.overflow_into is not None:
            limit = bucket.overflow_max if bucket.overflow_max is not None else total_weight
            outflow[b] = (model.var(0, limit), limit)
    for b, bucket in enumerate(buckets):
        excesses: list[int] = []
        for limited, maximum in bucket.limits:
            excess = model.var(0, inf)
            excesses.append(excess)
            fixed_limited = sum((items[i].weight for i in limited if fixed[i] == b), 0.0)
            terms = {x[(i, b)]: items[i].weight for i in limited if (i, b) in x}
            terms[excess] = -1.0
            model.row(-inf, maximum - fixed_limited, terms)
        # own <= assigned weight - what sub-limits cut
        terms = {own[b]: 1.0}
        terms.update({column: -items[i].weight for (i, candidate), column in x.items() if candidate == b})
        terms.update({excess: 1.0 for excess in excesses})
        model.row(-inf, fixed_in[b], terms)
        # total <= own + inflow from sources
        terms = {total[b]: 1.0, own[b]: -1.0}
        terms.update({column: -1.0 for source, (column, _) in outflow.items() if buckets[source].overflow_into == b})
        model.row(-inf, 0, terms)
        model.row(0, inf, {total[b]: 1.0, met[b]: -bucket.required})
        model.row(-inf, 0, {progress[b]: 1.0, total[b]: -1.0})
        if b in outflow:
            # outflow <= total - required when met, and nothing when not met
            column, limit = outflow[b]
            model.row(-inf, 0, {column: 1.0, total[b]: -1.0, met[b]: bucket.required})
            model.row(-inf, 0, {column: 1.0, met[b]: -limit})
    for aggregate in aggregates:
        # value = fixed part + chosen contested pairs; met only when value reaches the minimum
        fixed_value = sum((w for (i, b), w in aggregate.weights.items() if fixed[i] == b), 0.0)
        met_flag = model.var(0, 1, big, integer=True)
        progress_column = model.var(0, aggregate.required, 1.0)
        chosen = {x[(i, b)]: w for (i, b), w in aggregate.weights.items() if (i, b) in x}
        model.row(-fixed_value, inf, {**{c: w for c, w in chosen.items()}, met_flag: -aggregate.required})
        model.row(-inf, fixed_value, {**{c: -w for c, w in chosen.items()}, progress_column: 1.0})
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    # Small models: one thread avoids spinning up a pool per solve (and contention with other workers).
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("parallel", "off")
    count = len(model.cost)
    highs.addVars(count, np.array(model.lower), np.array(model.upper))
    indices = np.arange(count, dtype=np.int32)
    highs.changeColsCost(count, indices, np.array(model.cost))
    integer_columns = np.array([i for i, flag in enumerate(model.integer) if flag], dtype=np.int32)
    highs.changeColsIntegrality(
        len(integer_columns),
        integer_columns,
        np.array([highspy.HighsVarType.kInteger] * len(integer_columns)),
    )
    for lower, upper, columns, values in model.rows:
        highs.addRow(lower, upper, len(columns), np.array(columns, dtype=np.int32), np.array(values))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    solution = list(highs.getSolution().col_value)
    choice: dict[int, int | None] = {}
    for i in contested:
        picked = [b for b in items[i].candidates if solution[x[(i, b)]] > 0.5]
        choice[i] = picked[0] if picked else None
    return choice


def brute_force_best(items: Sequence[Item], buckets: Sequence[Bucket], aggregates: Sequence[Aggregate] = ()) -> int:
    """The most minimums any assignment can meet, by trying them all (for tests on small instances only)."""
    options = [(*item.candidates, None) for item in items]
    return max(settle(items, buckets, list(choice), aggregates).met_count for choice in product(*options))


def first_fit(items: Sequence[Item], buckets: Sequence[Bucket]) -> Settlement:
    """What a first-fit audit does: each item to its first candidate bucket still short (for comparison only)."""
    assignment: list[int | None] = []
    filled = [0.0] * len(buckets)
    for item in items:
        target = next((b for b in item.candidates if filled[b] < buckets[b].required - EPSILON), item.candidates[0])
        assignment.append(target)
        filled[target] += item.weight
    return settle(items, buckets, assignment)
