"""Allocation is exact: property tests against brute force, and the adversarial case where first-fit fails."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from menkan.engine.allocation import Aggregate, Bucket, Item, allocate, brute_force_best, first_fit, settle


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Item], list[Bucket], list[Aggregate]]:
    bucket_count = draw(st.integers(1, 4))
    item_count = draw(st.integers(1, 6))
    items = [
        Item(
            weight=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
            candidates=tuple(sorted(draw(st.sets(st.integers(0, bucket_count - 1), min_size=1)))),
        )
        for _ in range(item_count)
    ]
    buckets: list[Bucket] = []
    for index in range(bucket_count):
        limits: tuple[tuple[frozenset[int], float], ...] = ()
        if draw(st.booleans()):
            limited = frozenset(draw(st.sets(st.integers(0, item_count - 1), max_size=item_count)))
            limits = ((limited, float(draw(st.integers(0, 4)))),)
        overflow_into = None
        if index + 1 < bucket_count and draw(st.integers(0, 2)) == 0:
            overflow_into = draw(st.integers(index + 1, bucket_count - 1))
        buckets.append(
            Bucket(
                required=float(draw(st.integers(0, 7))),
                cap=draw(st.one_of(st.none(), st.sampled_from([3.0, 6.0]))),
                limits=limits,
                overflow_into=overflow_into,
                overflow_max=draw(st.one_of(st.none(), st.sampled_from([1.0, 2.0]))),
            )
        )
    aggregates = []
    for _ in range(draw(st.integers(0, 2))):
        pairs = [(i, b) for i, item in enumerate(items) for b in item.candidates]
        chosen = draw(st.sets(st.sampled_from(pairs), max_size=len(pairs))) if pairs else set()
        weights = {pair: float(draw(st.integers(1, 3))) for pair in sorted(chosen)}
        aggregates.append(Aggregate(required=float(draw(st.integers(1, 8))), weights=weights))
    return items, buckets, aggregates


@settings(max_examples=400, deadline=None)
@given(instances())
def test_allocation_meets_as_many_requirements_as_brute_force(
    instance: tuple[list[Item], list[Bucket], list[Aggregate]],
) -> None:
    items, buckets, aggregates = instance
    assert allocate(items, buckets, aggregates).met_count == brute_force_best(items, buckets, aggregates)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_allocation_never_does_worse_than_first_fit(
    instance: tuple[list[Item], list[Bucket], list[Aggregate]],
) -> None:
    items, buckets, _ = instance
    assert allocate(items, buckets).met_count >= first_fit(items, buckets).met_count


def test_adversarial_case_where_first_fit_fails() -> None:
    """docs/allocation.md, case 1: a two-way course taken first blocks a one-way course under first-fit.

    Bucket 0 (e.g. "natural sciences", 3 credits) accepts courses A and B; bucket 1 ("applied sciences",
    3 credits) accepts only A. First-fit puts A (listed first) in bucket 0 and leaves bucket 1 empty.
    menkan puts A in bucket 1 and B in bucket 0: both met.
    """
    items = [Item(3.0, (0, 1)), Item(3.0, (0,))]
    buckets = [Bucket(required=3.0), Bucket(required=3.0)]
    assert first_fit(items, buckets).met_count == 1
    best = allocate(items, buckets)
    assert best.met_count == 2
    assert best.assignment == [1, 0]


def test_case_the_deficit_first_proposal_misses_goes_to_the_dynamic_program() -> None:
    """docs/allocation.md, case 2: bucket 0 needs 4, bucket 1 needs 3; courses of 3, 2 and 2 credits fit either.

    Deficit-first gives 3+2 to bucket 0 and 2 to bucket 1 (one met); the bound says two can be met, so the
    exact dynamic program decides: 3 to bucket 1, 2+2 to bucket 0.
    """
    items = [Item(3.0, (0, 1)), Item(2.0, (0, 1)), Item(2.0, (0, 1))]
    buckets = [Bucket(required=4.0), Bucket(required=3.0)]
    best = allocate(items, buckets)
    assert best.solver == "dp"
    assert best.met_count == 2
    assert best.assignment == [1, 0, 0]


def test_case_with_an_overflow_goes_to_the_integer_program() -> None:
    """docs/allocation.md, case 3: an overflow couples buckets, so the MILP (HiGHS) decides; all three are met."""
    items = [Item(3.0, (0, 2)), Item(2.0, (1, 2)), Item(3.0, (0, 2)), Item(3.0, (1, 2))]
    buckets = [Bucket(required=4.0, overflow_into=2, overflow_max=1.0), Bucket(required=3.0), Bucket(required=2.0)]
    best = allocate(items, buckets)
    assert best.solver == "milp"
    assert best.met_count == 3 == brute_force_best(items, buckets)


@st.composite
def pure_instances(draw: st.DrawFn) -> tuple[list[Item], list[Bucket]]:
    """Buckets without sub-limits or overflows: the instances the dynamic program takes."""
    bucket_count = draw(st.integers(2, 4))
    items = [
        Item(
            weight=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
            candidates=tuple(sorted(draw(st.sets(st.integers(0, bucket_count - 1), min_size=1)))),
        )
        for _ in range(draw(st.integers(1, 7)))
    ]
    buckets = [
        Bucket(required=float(draw(st.integers(0, 8))), cap=draw(st.one_of(st.none(), st.sampled_from([3.0, 6.0]))))
        for _ in range(bucket_count)
    ]
    return items, buckets


@settings(max_examples=400, deadline=None)
@given(pure_instances())
def test_dynamic_program_path_matches_brute_force(instance: tuple[list[Item], list[Bucket]]) -> None:
    items, buckets = instance
    assert allocate(items, buckets).met_count == brute_force_best(items, buckets)


def test_uncontested_items_are_placed_directly_without_the_solver() -> None:
    items = [Item(3.0, (0,)), Item(2.0, (1,))]
    settlement = allocate(items, [Bucket(required=3.0), Bucket(required=2.0)])
    assert settlement.solver == "direct"
    assert settlement.met == [True, True]


def test_overflow_moves_only_the_excess_and_respects_its_maximum() -> None:
    items = [Item(10.0, (0,)), Item(1.0, (1,))]
    buckets = [Bucket(required=6.0, overflow_into=1, overflow_max=3.0), Bucket(required=4.0)]
    settlement = settle(items, buckets, [0, 1])
    assert settlement.outflow == [3.0, 0.0]
    assert settlement.total == [10.0, 4.0]
    assert settlement.retained == [6.0, 4.0]
    assert settlement.met == [True, True]


def test_sub_limit_cuts_the_later_part_of_a_course() -> None:
    items = [Item(3.0, (0,)), Item(3.0, (0,))]
    buckets = [Bucket(required=6.0, limits=((frozenset({0, 1}), 4.0),))]
    settlement = settle(items, buckets, [0, 0])
    assert settlement.counted == [3.0, 1.0]
    assert settlement.cut == {1: [(0, 2.0)]}
    assert settlement.met == [False]
