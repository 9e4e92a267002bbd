"""Synthetic NTUT cohorts built from the real curriculum standards and 114-1 catalog, for benchmarks and demos."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from menkan.engine.policy.loader import PolicySet, walk
from menkan.engine.policy.models import CourseRef, Courses

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ntut"
GRADES = ["95", "88", "82", "78", "73", "68", "64", "61", "55", "W"]
GRADE_WEIGHTS = [8, 14, 16, 16, 14, 12, 8, 6, 4, 2]
DIMENSIONS = ["gen-ed:人文", "gen-ed:社法", "gen-ed:自然", "gen-ed:創創"]


@dataclass(frozen=True, slots=True)
class Offering:
    code: str
    title: str
    credits: float
    unit: str


def load_catalog(data: Path = DATA) -> list[Offering]:
    """Day-division offerings with credits, from the real 114-1 catalog."""
    offerings = []
    with (data / "catalog-114-1.ndjson").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["division_group"] != "day" or not row["credits"] or row["is_placeholder"]:
                continue
            offerings.append(Offering(row["course_code"], row["name"]["zh"], float(row["credits"]), row["unit_code"]))
    return offerings


def load_standards(data: Path = DATA) -> dict[str, list[dict[str, Any]]]:
    """Course lists of the day four-year programs by division code."""
    standards = json.loads((data / "standards-115.json").read_text(encoding="utf-8"))
    return {p["division"]: p["courses"] for p in standards["programs"] if p["matric"] == "7"}


def _pick(ref: CourseRef, rng: random.Random) -> tuple[str, str]:
    options = [ref, *ref.alternatives]
    chosen = rng.choice(options) if ref.alternatives else ref
    return chosen.code or ref.code or "X", chosen.title or ref.title or "?"


def _term(year: int, semester: int) -> str:
    return f"{year}-{semester}"


def make_student(
    index: int,
    policy_set: PolicySet,
    standards: dict[str, list[dict[str, Any]]],
    catalog: list[Offering],
    rng: random.Random,
    *,
    overlap: bool = False,
    admission_year: int = 111,
) -> dict[str, Any]:
    """One senior with ~50 courses over eight semesters: required list, electives, gen-ed, free electives."""
    required_lists = {
        node.applies_to.department[0]: node
        for full_id, node in _walk_all(policy_set)
        if isinstance(node, Courses) and node.applies_to is not None and node.applies_to.department
    }
    department = rng.choice(sorted(d for d in required_lists if d in standards))
    courses: list[dict[str, Any]] = []

    def add(code: str, title: str, credits: float, category: str, slot: int, **extra: Any) -> None:
        year = admission_year + min(slot // 2, 3)
        semester = 1 + slot % 2
        grade = rng.choices(GRADES, GRADE_WEIGHTS)[0]
        record: dict[str, Any] = {
            "code": code,
            "title": title,
            "credits": credits,
            "term": _term(year, semester),
            "grade": grade,
            "category": category,
        }
        record.update(extra)
        courses.append(record)
        if grade in ("55", "W"):
            # a failed or withdrawn course is usually retaken a semester later
            retake = dict(record, term=_term(year + (semester == 2), 2 if semester == 1 else 1), grade="70")
            courses.append(retake)

    gen_ed_titles = {"學院指定向度", "學生自選向度", "通識課程"}
    for slot, ref in enumerate(required_lists[department].courses):
        code, title = _pick(ref, rng)
        is_gen_ed = any(ref.title and ref.title.startswith(prefix) for prefix in gen_ed_titles)
        symbol_common = ref.code is not None and ref.code.startswith("14")
        category = "gen-ed" if is_gen_ed else ("common-required" if symbol_common else "professional-required")
        tags = [rng.choice(DIMENSIONS)] if is_gen_ed else []
        if is_gen_ed and overlap:
            tags = rng.sample(DIMENSIONS, 2)
        add(
            code,
            title,
            float(ref.credits or 0),
            category,
            slot * 8 // max(1, len(required_lists[department].courses)),
            tags=tags,
        )
    electives = [c for c in standards[department] if c["requirement"]["symbol"] == "★" and c["credits"]]
    for course in rng.sample(electives, min(len(electives), 6)):
        slot = (course["study_year"] - 1) * 2 + course["study_sem"] - 1
        add(course["course_code"], course["name_zh"], float(course["credits"]), "professional-elective", slot)
    free = [o for o in catalog if not o.code.startswith(department[:2])]
    for position in range(4):
        offering = rng.choice(free)
        add(offering.code, offering.title, offering.credits, "free", position, offered_by=offering.unit)
    for position in range(3):
        tags = rng.sample(DIMENSIONS, 3 if overlap else 1)
        add(
            f"141{index % 90:02d}{position}", f"博雅選修{index % 17}-{position}", 2.0, "gen-ed", 4 + position, tags=tags
        )
    if rng.random() < 0.3:
        # the final term still in progress
        for record in courses[-4:]:
            record["term"] = _term(admission_year + 3, 2)
            record.pop("grade", None)
    return {
        "schema": "menkan.student/1",
        "student_id": f"B{admission_year}{index:05d}",
        "institution": "ntut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": f"{admission_year}-1",
        "courses": courses,
        "programs": [],
    }


def _walk_all(policy_set: PolicySet) -> list[tuple[str, Any]]:
    return [pair for policy in policy_set.policies for pair in walk(policy.requirements)]
