"""Compiled predicates for course filters and applicability conditions."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from menkan.engine.policy.models import Applicability, Filter
from menkan.engine.records import CourseRecord, Student
from menkan.engine.terms import Term

CoursePredicate = Callable[[CourseRecord], bool]


def _always(_: CourseRecord) -> bool:
    return True


def compile_filter(spec: Filter | None, student: Student) -> CoursePredicate:
    """A fast predicate for `spec` (None matches every course); only the given fields are tested."""
    if spec is None:
        return _always
    tests: list[CoursePredicate] = []
    if spec.category is not None:
        categories = frozenset(spec.category)
        tests.append(lambda c: c.category in categories)
    if spec.tags is not None:
        any_tags = frozenset(spec.tags)
        tests.append(lambda c: not any_tags.isdisjoint(c.tags))
    if spec.tags_all is not None:
        all_tags = frozenset(spec.tags_all)
        tests.append(lambda c: all_tags.issubset(c.tags))
    if spec.level is not None:
        levels = frozenset(spec.level)
        tests.append(lambda c: c.level in levels)
    if spec.delivery is not None:
        deliveries = frozenset(spec.delivery)
        tests.append(lambda c: c.delivery in deliveries)
    if spec.transfer is not None:
        transfer = spec.transfer
        tests.append(lambda c: c.transfer is transfer)
    if spec.summer is not None:
        summer = spec.summer
        tests.append(lambda c: c.term.is_summer is summer)
    if spec.codes is not None:
        codes = frozenset(spec.codes)
        tests.append(lambda c: c.code in codes)
    if spec.titles is not None:
        titles = frozenset(spec.titles)
        tests.append(lambda c: c.title in titles)
    if spec.offered_by is not None:
        units = frozenset(spec.offered_by)
        tests.append(lambda c: c.offered_by in units)
    if spec.own_department is not None:
        own, department = spec.own_department, student.department
        tests.append(lambda c: (c.offered_by == department) is own)
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    return lambda c: all(test(c) for test in tests)


def compile_selection(include: Filter | None, exclude: Filter | None, student: Student) -> CoursePredicate:
    """Courses that match `include` and not `exclude`."""
    included = compile_filter(include, student)
    if exclude is None:
        return included
    excluded = compile_filter(exclude, student)
    return lambda c: included(c) and not excluded(c)


def active_programs(student: Student, as_of: Term | None = None) -> frozenset[str]:
    """The programs the student is registered in as of `as_of` (registered by then, not withdrawn by then).

    Without `as_of`, every registration that has not been withdrawn.
    """
    return frozenset(
        r.program
        for r in student.programs
        if (as_of is None or r.registered_term <= as_of)
        and (r.withdrawn_term is None or (as_of is not None and as_of < r.withdrawn_term))
    )


def applies(spec: Applicability | None, student: Student, as_of: Term | None = None) -> bool:
    """Does the student fall under `spec` (None: everyone)? `as_of` dates program registrations."""
    if spec is None:
        return True
    if spec.registered is not None and active_programs(student, as_of).isdisjoint(spec.registered):
        return False
    if spec.division is not None and student.division not in spec.division:
        return False
    if spec.degree is not None and student.degree not in spec.degree:
        return False
    if spec.department is not None and student.department not in spec.department:
        return False
    if spec.department_not is not None and student.department in spec.department_not:
        return False
    if spec.admitted is not None and not spec.admitted.contains(student.admission_term):
        return False
    if spec.admitted_into_year is not None and student.admitted_into_year not in spec.admitted_into_year:
        return False
    if spec.flags is not None and not set(spec.flags).issubset(student.flags):
        return False
    return not (spec.flags_not is not None and not set(spec.flags_not).isdisjoint(student.flags))


class Columns:
    """The fields of a student's course records as columns, for filtering many records at once."""

    __slots__ = ("_cache", "_indexes", "courses")

    def __init__(self, courses: list[CourseRecord]) -> None:
        self.courses = courses
        self._cache: dict[str, list[object]] = {}
        self._indexes: dict[str, dict[object, list[int]]] = {}

    def index(self, name: str) -> dict[object, list[int]]:
        """Positions of the records by value of a column, ascending (for `tags`, by each of the tags)."""
        index = self._indexes.get(name)
        if index is None:
            index = {}
            if name == "tags":
                for position, tags in enumerate(self.column("tags")):
                    for tag in tags:  # type: ignore[attr-defined]
                        listed = index.setdefault(tag, [])
                        if not listed or listed[-1] != position:  # a tag given twice lists the record once
                            listed.append(position)
            else:
                for position, value in enumerate(self.column(name)):
                    index.setdefault(value, []).append(position)
            self._indexes[name] = index
        return index

    def column(self, name: str) -> list[object]:
        values = self._cache.get(name)
        if values is None:
            if name == "summer":
                values = [course.term.is_summer for course in self.courses]
            else:
                values = list(map(attrgetter(name), self.courses))
            self._cache[name] = values
        return values


def _mask(spec: Filter, columns: Columns, department: str) -> list[bool] | None:
    """Which records match `spec`, field by field (None: the filter tests nothing, so all match)."""
    mask: list[bool] | None = None

    def narrow(values: list[bool]) -> None:
        nonlocal mask
        mask = values if mask is None else [a and b for a, b in zip(mask, values, strict=True)]

    for name, column in (
        ("category", "category"),
        ("level", "level"),
        ("delivery", "delivery"),
        ("codes", "code"),
        ("titles", "title"),
        ("offered_by", "offered_by"),
    ):
        listed = getattr(spec, name)
        if listed is not None:
            wanted = frozenset(listed)
            narrow([value in wanted for value in columns.column(column)])
    if spec.tags is not None:
        any_tags = frozenset(spec.tags)
        narrow([not any_tags.isdisjoint(tags) for tags in columns.column("tags")])  # type: ignore[arg-type]
    if spec.tags_all is not None:
        all_tags = frozenset(spec.tags_all)
        narrow([all_tags.issubset(tags) for tags in columns.column("tags")])  # type: ignore[arg-type]
    if spec.transfer is not None:
        narrow([value is spec.transfer for value in columns.column("transfer")])
    if spec.summer is not None:
        narrow([value is spec.summer for value in columns.column("summer")])
    if spec.own_department is not None:
        own = spec.own_department
        narrow([(value == department) is own for value in columns.column("offered_by")])
    return mask


# Filter fields that test one column against listed values, and the column each tests.
_LISTED = {
    "category": "category",
    "tags": "tags",
    "level": "level",
    "delivery": "delivery",
    "codes": "code",
    "titles": "title",
    "offered_by": "offered_by",
}


class _Picker:
    """Which records one filter matches: by index lookup when it tests a single listed field, else by mask."""

    __slots__ = ("column", "department", "spec", "values")

    def __init__(self, spec: Filter, department: str) -> None:
        self.spec = spec
        self.department = department
        given = [name for name in type(spec).model_fields if getattr(spec, name) is not None]
        self.column: str | None = None
        self.values: tuple[object, ...] = ()
        if len(given) == 1 and given[0] in _LISTED:
            self.column = _LISTED[given[0]]
            self.values = tuple(dict.fromkeys(getattr(spec, given[0])))

    def positions(self, columns: Columns) -> list[int] | None:
        """Ascending positions of the matching records (None: the filter tests nothing, so all match)."""
        if self.column is None:
            mask = _mask(self.spec, columns, self.department)
            return None if mask is None else [j for j, hit in enumerate(mask) if hit]
        index = columns.index(self.column)
        if len(self.values) == 1:
            return list(index.get(self.values[0], ()))
        return sorted({j for value in self.values for j in index.get(value, ())})


class Selection:
    """Compiled `include` and `exclude` filters that pick record positions out of `Columns`.

    Depends on the student only through the department (`own_department`), like `compile_filter`; it keeps
    nothing else of the student, so it can be shared by the audits of a policy set.
    """

    __slots__ = ("_exclude", "_include")

    def __init__(self, include: Filter | None, exclude: Filter | None, department: str) -> None:
        self._include = _Picker(include, department) if include is not None else None
        self._exclude = _Picker(exclude, department) if exclude is not None else None

    def positions(self, columns: Columns) -> tuple[list[int], list[int]]:
        """Positions of records matching `include` and not `exclude`, and of those `exclude` caught."""
        included = self._include.positions(columns) if self._include is not None else None
        if included is None:
            included = list(range(len(columns.courses)))
        if self._exclude is None:
            return included, []
        excluded = self._exclude.positions(columns)
        if excluded is None:
            return [], included
        if not excluded:
            return included, []
        caught_set = set(excluded)
        return [j for j in included if j not in caught_set], [j for j in included if j in caught_set]
