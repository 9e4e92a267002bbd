"""Course catalogues: what an institution offers (code, title, credits, the semesters it is offered in).

One JSON file per institution under `menkan/catalogs/` (`menkan.catalog/1`), derived from published data by
`scripts/gen_catalogs.py`, never edited by hand. Forecasts read which required courses are offered in one
semester only; study plans pick their planned courses from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from menkan.engine import InputError, InputProblem

CATALOGUES = Path(__file__).resolve().parents[1] / "catalogs"
SCHEMA = "menkan.catalog/1"
SEMESTERS = ("1", "2", "S")


@dataclass(frozen=True, slots=True)
class CatalogCourse:
    """One course of the catalogue. `semesters`: the terms of the year it is offered in ("1" fall, "2" spring,
    "S" summer); a course offered in one of them only is offered once a year."""

    code: str
    title: str
    credits: Decimal
    semesters: frozenset[str]
    required: bool = False

    @property
    def offered_once_a_year(self) -> bool:
        return len(self.semesters & {"1", "2"}) == 1


@dataclass(frozen=True, slots=True)
class Catalog:
    """An institution's catalogue, by course code."""

    institution: str
    source: str
    courses: dict[str, CatalogCourse]

    def course(self, code: str) -> CatalogCourse | None:
        return self.courses.get(code)

    def offered_in(self, code: str, semester: str) -> bool:
        course = self.courses.get(code)
        return course is not None and semester in course.semesters


def _problem(path: tuple[str | int, ...], reason: str, source: str) -> InputProblem:
    return InputProblem(source, path, reason, code="not-a-catalogue")


def catalog_from_dict(data: object, *, source: str) -> Catalog:
    """Validate a decoded `menkan.catalog/1` document; raises InputError naming where and why."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError([_problem(("schema",), f"expected {SCHEMA!r}", source)])
    institution = data.get("institution")
    rows = data.get("courses")
    if not isinstance(institution, str) or not isinstance(rows, list):
        raise InputError([_problem((), "needs `institution` (text) and `courses` (a list)", source)])
    courses: dict[str, CatalogCourse] = {}
    problems: list[InputProblem] = []
    for index, row in enumerate(rows):
        try:
            semesters = frozenset(row["semesters"])
            if not semesters or not semesters <= set(SEMESTERS):
                raise ValueError(f"semesters must be some of {', '.join(SEMESTERS)}")
            course = CatalogCourse(
                code=str(row["code"]),
                title=str(row["title"]),
                credits=Decimal(str(row["credits"])),
                semesters=semesters,
                required=bool(row.get("required", False)),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            problems.append(_problem(("courses", index), f"not a catalogue course: {exc}", source))
            continue
        if course.code in courses:
            problems.append(_problem(("courses", index, "code"), f"{course.code} is listed twice", source))
        courses[course.code] = course
    if problems:
        raise InputError(problems)
    return Catalog(institution=institution, source=str(data.get("source", "")), courses=courses)


@cache
def catalog_of(institution: str) -> Catalog | None:
    """The shipped catalogue of an institution (None when menkan ships none), read once per process."""
    path = CATALOGUES / f"{institution}.json"
    if not path.exists():
        return None
    return catalog_from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))
