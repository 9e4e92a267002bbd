"""What the engine's speed-ups must not change: audits are the same with cold or warm caches, in any order,
the caches keep nothing of a student, an audit leaves no reference cycles, and the fast paths (identity
keys, indexed filters, slot lookups) agree with the plain definitions they replace."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_student
from menkan.engine import (
    PolicySet,
    Runtime,
    Student,
    Term,
    audit,
    compile,
    iter_students,
    latest_term,
    load_policy_dir,
    load_shipped,
)
from menkan.engine.filters import Columns, Selection, compile_selection
from menkan.engine.ledger import CourseIdentity, normalize_title
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.engine.policy.models import CourseRef, Filter, Identity
from menkan.engine.records import CourseRecord
from menkan.engine.rules.courses import listed as listed_pairs

TESTS = Path(__file__).resolve().parent
DEMO = TESTS.parent / "src" / "menkan" / "demo"


def cohort(institution: str) -> list[Student]:
    """The shipped demo students (and the NYCU test records), with variants that change the student's profile."""
    students = list(iter_students(DEMO / f"{institution}.jsonl"))
    if institution == "nycu":
        students += list(iter_students(TESTS / "data" / "nycu_students.jsonl"))
    departments = sorted({student.department for student in students})
    variants = []
    for number, student in enumerate(students):
        other = departments[(departments.index(student.department) + 1) % len(departments)]
        variants.append(dataclasses.replace(student, student_id=f"{student.student_id}-d", department=other))
        if number % 2 == 0:
            variants.append(dataclasses.replace(student, student_id=f"{student.student_id}-f", flags=("transfer",)))
    return students + variants


def dicts(students: list[Student], runtime: Runtime, as_of: Term | None) -> Iterator[dict[str, Any]]:
    """Audits of the students in turn with one runtime (each audit may reuse what the earlier ones derived)."""
    for student in students:
        yield runtime.audit(student, as_of=as_of or latest_term(student)).as_dict()


def cold(student: Student, policy_set: PolicySet, as_of: Term | None) -> dict[str, Any]:
    """An audit with nothing derived beforehand (a runtime of its own)."""
    return compile(policy_set).audit(student, as_of=as_of or latest_term(student)).as_dict()


@pytest.mark.parametrize("institution", ["ntut", "nycu"])
@pytest.mark.parametrize("as_of", [None, "113-1", "115-2"])
def test_audits_are_the_same_with_cold_or_warm_caches_in_any_order(institution: str, as_of: str | None) -> None:
    policy_set = load_shipped(institution)
    term = Term.parse(as_of) if as_of else None
    students = cohort(institution)
    expected = [cold(student, policy_set, term) for student in students]
    runtime = compile(policy_set)
    assert list(dicts(students, runtime, term)) == expected
    assert list(dicts(students[::-1], runtime, term))[::-1] == expected
    interleaved = students[1::2] + students[::2]
    by_id = dict(zip([s.student_id for s in students], expected, strict=True))
    assert list(dicts(interleaved, compile(policy_set), term)) == [by_id[s.student_id] for s in interleaved]


@pytest.mark.parametrize("institution", ["ntut", "nycu"])
def test_caches_keep_nothing_of_a_student(institution: str) -> None:
    runtime = compile(load_shipped(institution))
    for student in cohort(institution):
        runtime.audit(student, as_of=latest_term(student))
    seen: set[int] = set()
    stack: list[object] = [runtime.profiles, runtime.identity, runtime.predicates, runtime.scale]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        assert not isinstance(item, Student | CourseRecord), f"a cache holds {item!r}"
        stack.extend(gc.get_referents(item))


@pytest.mark.parametrize("institution", ["ntut", "nycu"])
def test_an_audit_leaves_no_reference_cycles(institution: str) -> None:
    runtime = compile(load_shipped(institution))
    students = cohort(institution)
    for student in students:
        runtime.audit(student, as_of=latest_term(student))  # warm the runtime: what it builds may stay
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for student in students:
            runtime.audit(student, as_of=latest_term(student)).as_dict()
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_nothing_outside_the_callers_runtime_keeps_a_policy_set() -> None:
    """What an audit derives belongs to the caller's runtime: once the caller drops the policies, no cache of
    the engine's keeps them (or what was derived from them) alive."""
    policy_set = load_policy_dir(SHIPPED_POLICIES / "ntut")
    student = cohort("ntut")[0]
    audit(student, policy_set, latest_term(student))
    runtime = compile(policy_set)
    runtime.audit(student, as_of=latest_term(student))
    dropped = weakref.ref(policy_set.policies[0])
    del policy_set, runtime
    gc.collect()
    assert dropped() is None


def test_the_audit_term_is_always_given() -> None:
    student = cohort("ntut")[0]
    with pytest.raises(TypeError):
        compile(load_shipped("ntut")).audit(student)  # type: ignore[call-arg]


def reference_keys(identity: CourseIdentity, courses: list[CourseRecord]) -> list[str]:
    """Identity keys by union-find over code and title nodes (the definition `CourseIdentity.keys` implements)."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    code_nodes = ["c:" + identity.canonical(course.code) for course in courses]
    if not identity.same_title:
        return code_nodes
    for course, code_node in zip(courses, code_nodes, strict=True):
        a, b = find(code_node), find("t:" + normalize_title(course.title))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [find(node) for node in code_nodes]


CODES = st.sampled_from(["A", "B", "C", "D", "E"])
TITLES = st.sampled_from(["微積分", "微積分(一)", "物理", "Physics", " physics "])
TERM = Term.parse("112-1")


def record(code: str, title: str, **fields: Any) -> CourseRecord:
    return CourseRecord(code=code, title=title, credits=Decimal(1), term=TERM, **fields)


identities = st.builds(
    lambda same_title, groups: Identity(same_title=same_title, equivalents=groups),
    st.booleans(),
    st.lists(st.lists(CODES, min_size=2, max_size=3, unique=True), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(identities, st.lists(st.tuples(CODES, TITLES), max_size=10))
def test_identity_keys_match_the_union_find_definition(identity: Identity, rows: list[tuple[str, str]]) -> None:
    courses = [record(code, title) for code, title in rows]
    engine = CourseIdentity(identity)
    assert engine.keys(courses) == reference_keys(engine, courses)


refs = st.builds(
    lambda code, title, alternatives: CourseRef(code=code, title=title, alternatives=alternatives),
    st.one_of(st.none(), CODES),
    TITLES,
    st.lists(st.builds(lambda code, title: CourseRef(code=code, title=title), CODES, TITLES), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(identities, st.lists(refs, min_size=1, max_size=4), st.lists(st.tuples(CODES, TITLES), max_size=8))
def test_slot_lookup_matches_course_identity(
    identity: Identity, listed: list[CourseRef], rows: list[tuple[str, str]]
) -> None:
    engine = CourseIdentity(identity)
    by_code, by_title = engine.slot_lookup(listed, lambda: [listed_pairs(ref) for ref in listed])
    for code, title in rows:
        course = record(code, title)
        found = set(by_code.get(code, ())) | set(by_title.get(normalize_title(title), ()))
        expected = {
            slot
            for slot, ref in enumerate(listed)
            for option in (ref, *ref.alternatives)
            if engine.matches(course, option.code, option.title)
        }
        assert found == expected


filters = st.builds(
    Filter,
    category=st.one_of(st.none(), st.lists(st.sampled_from(["gen-ed", "free", "core"]), min_size=1, max_size=2)),
    tags=st.one_of(st.none(), st.lists(st.sampled_from(["x", "y", "military"]), min_size=1, max_size=2)),
    offered_by=st.one_of(st.none(), st.lists(st.sampled_from(["CE", "EE"]), min_size=1)),
    own_department=st.one_of(st.none(), st.booleans()),
    summer=st.one_of(st.none(), st.booleans()),
)
records = st.builds(
    lambda code, category, tags, offered_by, semester: CourseRecord(
        code=code,
        title=code,
        credits=Decimal(1),
        term=Term(112, semester),
        category=category,
        tags=tuple(tags),
        offered_by=offered_by,
    ),
    CODES,
    st.one_of(st.none(), st.sampled_from(["gen-ed", "free", "core"])),
    st.lists(st.sampled_from(["x", "y", "military"]), max_size=3),
    st.one_of(st.none(), st.sampled_from(["CE", "EE"])),
    st.sampled_from(["1", "2", "S"]),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), filters), st.one_of(st.none(), filters), st.lists(records, max_size=12))
def test_indexed_selection_matches_the_compiled_filters(
    include: Filter | None, exclude: Filter | None, courses: list[CourseRecord]
) -> None:
    student = make_student()
    selected, caught = Selection(include, exclude, student.department).positions(Columns(courses))
    wanted = compile_selection(include, None, student)
    excluded = compile_selection(exclude, None, student) if exclude is not None else None
    assert selected == [j for j, c in enumerate(courses) if wanted(c) and not (excluded is not None and excluded(c))]
    assert caught == [j for j, c in enumerate(courses) if wanted(c) and excluded is not None and excluded(c)]
