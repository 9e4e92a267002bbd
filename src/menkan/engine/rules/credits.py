"""Credit (and course-count) requirements: totals, filters, caps, sub-limits, and exclusive groups with overflow."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from menkan.engine.allocation import Bucket, Item, Settlement, allocate
from menkan.engine.context import Context
from menkan.engine.filters import CoursePredicate, Selection
from menkan.engine.ledger import Entry
from menkan.engine.messages import short, text
from menkan.engine.policy.loader import exclusive_leaves
from menkan.engine.policy.models import AllOf, Credits, Limit
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, fmt, number

_PLACES = Decimal("0.0001")
# Allocations and results are made of many Item / Applied / NotApplied tuples: building them with
# tuple.__new__ (every field given) makes the same NamedTuples without the cost of their generated __new__.
_new = tuple.__new__
_NO_MESSAGE = {"zh-TW": "", "en": ""}
_ZERO = Decimal(0)
_ONE = Decimal(1)


# The solver's floats take few values: their exact amounts, remembered (a dict lookup where it is hot).
_DECIMALS: dict[float, Decimal] = {}
_DECIMALS_KEPT = 4096


def to_decimal(value: float) -> Decimal:
    """Back from the solver's floats to exact amounts (credits are multiples of 0.5 or so; 4 places is plenty)."""
    exact = _DECIMALS.get(value)
    if exact is None:
        if len(_DECIMALS) >= _DECIMALS_KEPT:
            _DECIMALS.clear()
        exact = Decimal(repr(round(value, 4))).quantize(_PLACES)
        exact = exact.to_integral_value() if exact == exact.to_integral_value() else exact.normalize()
        _DECIMALS[value] = exact
    return exact


@dataclass(frozen=True, slots=True)
class Leaf:
    """One credit requirement taking part in an allocation, as it stands for a student profile.

    `node` has the overrides folded in; `bucket` is its side of the allocation without sub-limit members
    (those depend on the courses); `target` is the position of the leaf its overflow goes into.
    """

    full_id: str
    node: Credits
    selection: Selection
    limit_tests: tuple[CoursePredicate, ...]
    limit_maxima: tuple[float, ...]
    bucket: Bucket
    target: int | None
    # (limit number, test of the condition's courses) for each limit that `requires` something of the record
    conditions: tuple[tuple[int, CoursePredicate], ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """How a limit's condition on the record stands for one student, and the courses it kept from counting."""

    limit: Limit
    on_record: Decimal
    met: bool
    withheld: tuple[int, ...]  # ledger positions of the courses the unmet condition keeps out

    def as_detail(self) -> dict[str, object]:
        """The condition in the result's `details`, with its explanation in zh-TW and English."""
        required = self.limit.requires
        assert required is not None
        need, have = fmt(required.min), fmt(self.on_record)
        what_zh, what_en, limit_zh, limit_en = (
            required.title.zh_tw,
            required.title.en,
            self.limit.title.zh_tw,
            self.limit.title.en,
        )
        if self.met:
            explanation = text(
                f"「{limit_zh}」計入：紀錄上已有{what_zh} {have} 學分（需 {need} 學分）。",
                f"{limit_en} counts: the record has {have} credits of {what_en} ({need} needed).",
            )
        else:
            explanation = text(
                f"「{limit_zh}」須紀錄上有{what_zh} {need} 學分始得計入；目前僅有 {have} 學分，故不予計入。",
                f"{limit_en} counts only with {need} credits of {what_en} on the record; "
                f"the record has {have}, so it does not count.",
            )
        detail: dict[str, object] = {
            "limit": self.limit.id,
            "required": number(required.min),
            "on_record": number(self.on_record),
            "met": self.met,
            "explanation": explanation,
        }
        if required.cites:
            detail["cites"] = required.cites
        return detail


@dataclass(frozen=True, slots=True)
class Shape:
    """The leaves of an allocation for one student profile: derived from the policy once, reused by audits."""

    leaves: tuple[Leaf, ...]
    limited: bool
    conditional: bool = False  # some limit requires something of the record


def shape(ctx: Context, members: list[tuple[str, Credits]]) -> Shape:
    """Resolve the members for the student's profile and compile what the allocation needs of them."""
    resolved = [(full_id, ctx.resolve(node)) for full_id, node in members]
    local_index = {node.id: b for b, (_, node) in enumerate(resolved)}
    full_index = {full_id: b for b, (full_id, _) in enumerate(resolved)}
    leaves = []
    for full_id, node in resolved:
        maxima = tuple(
            float(limit.max if limit.max is not None else node.min * (limit.max_fraction_of_min or Decimal(1)))
            for limit in node.limits
        )
        into = overflow_max = target = None
        if node.overflow is not None:
            into = full_index.get(node.overflow.into, local_index.get(node.overflow.into))
            overflow_max = float(node.overflow.max) if node.overflow.max is not None else None
            # What the explanation names: the first leaf with that full or local id.
            target = next(
                (b for b, (other_id, other) in enumerate(resolved) if node.overflow.into in (other_id, other.id)), None
            )
        cap = float(node.max) if node.max is not None else None
        leaves.append(
            Leaf(
                full_id,
                node,
                Selection(node.include, node.exclude, ctx.student.department),
                tuple(ctx.matcher(limit.filter) for limit in node.limits),
                maxima,
                Bucket(float(node.min), cap, (), into, overflow_max),
                target,
                tuple(
                    (n, ctx.matcher(limit.requires.filter))
                    for n, limit in enumerate(node.limits)
                    if limit.requires is not None
                ),
            )
        )
    return Shape(tuple(leaves), any(leaf.node.limits for leaf in leaves), any(leaf.conditions for leaf in leaves))


def _conditions(ctx: Context, leaf: Leaf, selected: list[int]) -> list[Condition]:
    """The leaf's conditional limits that concern the student's selected courses, each as it stands: a course
    under a limit whose condition does not hold (earned or in progress) cannot count, and is withheld."""
    entries = ctx.ledger.entries
    found = []
    for limit_number, required in leaf.conditions:
        limit = leaf.node.limits[limit_number]
        test = leaf.limit_tests[limit_number]
        concerned = [j for j in selected if (entries[j].countable or entries[j].pending) and test(entries[j].course)]
        if not concerned:
            continue
        have = sum((entry.course.credits for entry in entries if entry.countable and required(entry.course)), _ZERO)
        assert limit.requires is not None
        met = have >= limit.requires.min
        found.append(Condition(limit, have, met, () if met else tuple(concerned)))
    return found


def _problem(
    shape: Shape, entries: tuple[Entry, ...], positions: list[int], candidates: dict[int, tuple[int, ...]]
) -> tuple[list[Item], list[Bucket]]:
    """Items (the entries at `positions`) and buckets (the leaves) of the allocation."""
    leaves = shape.leaves
    if leaves[0].node.unit == "courses":
        items = [_new(Item, (1.0, candidates[j])) for j in positions]
    else:
        items = [_new(Item, (entries[j].weight, candidates[j])) for j in positions]
    if not shape.limited:
        return items, [leaf.bucket for leaf in leaves]
    buckets = []
    for leaf in leaves:
        limits = tuple(
            (frozenset(k for k, j in enumerate(positions) if test(entries[j].course)), maximum)
            for test, maximum in zip(leaf.limit_tests, leaf.limit_maxima, strict=True)
        )
        buckets.append(leaf.bucket._replace(limits=limits))
    return items, buckets


@dataclass(slots=True)
class GroupOutcome:
    results: dict[str, RequirementResult]
    retained: Decimal
    potential_retained: Decimal


def evaluate_leaves(ctx: Context, shape: Shape, total_min: Decimal | None = None) -> GroupOutcome:
    """Allocate the counted courses among credit requirements that share them exclusively, then explain each."""
    entries = ctx.ledger.entries
    columns = ctx.columns
    selections = [leaf.selection.positions(columns) for leaf in shape.leaves]
    conditions: dict[int, list[Condition]] = {}
    if shape.conditional:
        for b, leaf in enumerate(shape.leaves):
            if leaf.conditions:
                conditions[b] = _conditions(ctx, leaf, selections[b][0])
                withheld = {j for condition in conditions[b] for j in condition.withheld}
                if withheld:
                    selected, excluded = selections[b]
                    selections[b] = ([j for j in selected if j not in withheld], excluded)
    pinned: dict[int, int] = {}
    waived_out: dict[int, list[tuple[int, str]]] = {}
    if ctx.exceptions is not None:
        pinned, waived_out = _apply_exceptions(ctx, shape, selections)
    candidates: dict[int, tuple[int, ...]] = {}
    for b, (selected, _) in enumerate(selections):
        alone = (b,)  # one tuple for every entry that only this leaf selects
        if candidates.keys().isdisjoint(selected):
            candidates.update(dict.fromkeys(selected, alone))
            continue
        for j in selected:
            have = candidates.get(j)
            candidates[j] = alone if have is None else (*have, b)
    for j, b in pinned.items():  # an `assign`: a constraint of the allocation, which stays exact
        candidates[j] = (b,)
    order = sorted(candidates)
    countable = [j for j in order if entries[j].countable]
    pending = [j for j in order if entries[j].pending]
    items, buckets = _problem(shape, entries, countable, candidates)
    settlement = allocate(items, buckets)
    potential: Settlement | None = None
    total_short = total_min is not None and sum(settlement.retained, 0.0) < float(total_min)
    if pending and (total_short or not all(settlement.met)):
        p_items, p_buckets = _problem(shape, entries, countable + pending, candidates)
        potential = allocate(p_items, p_buckets)
    slot_of: list[int | None] = [None] * len(entries)
    for k, j in enumerate(countable):
        slot_of[j] = k
    results = {
        leaf.full_id: _explain(ctx, shape, b, selections[b], slot_of, settlement, potential, conditions.get(b, []))
        for b, leaf in enumerate(shape.leaves)
    }
    for b, removed in waived_out.items():
        result = results[shape.leaves[b].full_id]
        for j, exception_id in removed:
            course = entries[j].course
            result.not_applied.append(
                NotApplied(entries[j].ref, "exception", course.title, course.credits, exception_id)
            )
    retained = sum((to_decimal(v) for v in settlement.retained), Decimal(0))
    potential_retained = (
        sum((to_decimal(v) for v in potential.retained), Decimal(0)) if potential is not None else retained
    )
    return GroupOutcome(results, retained, potential_retained)


def _apply_exceptions(
    ctx: Context, shape: Shape, selections: list[tuple[list[int], list[int]]]
) -> tuple[dict[int, int], dict[int, list[tuple[int, str]]]]:
    """The exceptions that name the leaves: `exclude` takes a course out of a leaf's selection; `recognise`,
    `assign` and `credit` put it in; `assign` and `credit` also pin it to that leaf (in a group, only there).
    Returns the pins (entry -> leaf) and, per leaf, the entries excluded with the exception's id."""
    assert ctx.exceptions is not None
    entries = ctx.ledger.entries
    pinned: dict[int, int] = {}
    removed: dict[int, list[tuple[int, str]]] = {}
    for b, leaf in enumerate(shape.leaves):
        named = ctx.exceptions.on(leaf.full_id, "exclude", "recognise", "assign", "credit")
        if not named:
            continue
        selected, excluded = list(selections[b][0]), list(selections[b][1])
        for exception in named:
            positions = [
                j for j in ctx.exceptions.positions(exception, entries) if entries[j].countable or entries[j].pending
            ]
            if not positions:
                continue
            ctx.exceptions.use(exception)
            if exception.kind == "exclude":
                selected = [j for j in selected if j not in positions]
                removed.setdefault(b, []).extend((j, exception.id) for j in positions)
                continue
            selected = sorted({*selected, *positions})
            excluded = [j for j in excluded if j not in positions]
            if exception.kind in ("assign", "credit"):
                pinned.update(dict.fromkeys(positions, b))
        selections[b] = (selected, excluded)
    return pinned, removed


def _explain(
    ctx: Context,
    shape: Shape,
    b: int,
    selection: tuple[list[int], list[int]],
    slot_of: list[int | None],
    settlement: Settlement,
    potential: Settlement | None,
    conditions: list[Condition],
) -> RequirementResult:
    """The result of one leaf: what counted (and how much), what did not and why, what is missing."""
    leaves = shape.leaves
    leaf = leaves[b]
    node = leaf.node
    selected, excluded = selection
    entries = ctx.ledger.entries
    assignment, counted, cuts = settlement.assignment, settlement.counted, settlement.cut
    by_courses = node.unit == "courses"
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    pending_amount = _ZERO
    decimals = _DECIMALS
    for j in selected:
        entry = entries[j]
        course = entry.course
        k = slot_of[j]
        if k is None:
            if entry.pending:
                amount = _ONE if by_courses else course.credits
                pending_amount += amount
                applied.append(_new(Applied, ("course", entry.ref, amount, course.title, course.term, True)))
            elif entry.reason is not None:
                not_applied.append(_new(NotApplied, (entry.ref, entry.reason, course.title, course.credits, None)))
            continue
        assigned = assignment[k]
        if assigned == b:
            amount = decimals.get(counted[k]) or to_decimal(counted[k])
            if amount:  # counted amounts are never negative
                applied.append(_new(Applied, ("course", entry.ref, amount, course.title, course.term, False)))
            if k in cuts:
                for limit_number, cut in cuts[k]:
                    detail = node.limits[limit_number].id if limit_number >= 0 else "max"
                    not_applied.append(NotApplied(entry.ref, "over-cap", course.title, to_decimal(cut), detail))
        elif assigned is None:
            not_applied.append(NotApplied(entry.ref, "over-cap", course.title, course.credits, "max"))
        else:
            other = leaves[assigned].full_id
            not_applied.append(NotApplied(entry.ref, "counted-elsewhere", course.title, course.credits, other))
    for j in excluded:
        entry = entries[j]
        if entry.countable or entry.pending:
            not_applied.append(NotApplied(entry.ref, "excluded", entry.course.title, entry.course.credits))
    for condition in conditions:
        for j in condition.withheld:
            course = entries[j].course
            not_applied.append(
                NotApplied(entries[j].ref, "condition-not-met", course.title, course.credits, condition.limit.id)
            )
    own = to_decimal(settlement.own[b])
    inflow = _ZERO
    for source, flow in settlement.inflow[b]:
        flowed = to_decimal(flow)
        inflow += flowed
        applied.append(Applied("overflow", leaves[source].full_id, flowed))
    earned = to_decimal(settlement.total[b])
    required = node.min
    details: dict[str, object] = {}
    if node.overflow is not None:
        outflow = to_decimal(settlement.outflow[b])
        if outflow > 0:
            if leaf.target is None:
                raise KeyError(node.overflow.into)
            target = leaves[leaf.target].full_id
            details["overflow"] = {"into": target, "amount": float(outflow)}
        if earned > required:
            lost = earned - required - outflow
            if lost > 0:
                details["not_counted"] = float(lost)
    if settlement.solver != "direct":
        details["allocation"] = settlement.solver
    if conditions:
        details["conditions"] = [condition.as_detail() for condition in conditions]
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


def evaluate(ctx: Context, node: Credits, full_id: str) -> RequirementResult:
    """A credit requirement on its own: every counted course that matches may count."""
    alone = ctx.shared.memo(node, "shape", lambda: shape(ctx, [(full_id, node)]), full_id)
    return evaluate_leaves(ctx, alone).results[full_id]


def group_shape(ctx: Context, group: AllOf, full_id: str) -> Shape:
    """The shape of an exclusive group: the credit requirements below it that apply to the student."""

    def build() -> Shape:
        return shape(ctx, [(leaf_id, leaf) for leaf_id, leaf, _ in exclusive_leaves(group, full_id, ctx.applicable)])

    return ctx.shared.memo(group, "shape", build, full_id)
