"""Builds the shipped demo cohort (src/menkan/demo/*.jsonl) from the real NTUT data and the NYCU test students.

NTUT students follow their department's real 115 curriculum standard and take real 114-1 catalog courses;
each is then varied to show one situation (complete, a failed required course, courses in progress, short
on free electives, gen-ed overflow, a course repeated under another code). The script audits every student
it writes and stops if one does not come out as intended, so the demo always shows what it claims.

    python scripts/make_demo_cohort.py            # write src/menkan/demo/
    python scripts/make_demo_cohort.py --check    # exit 1 if the files differ from what would be written
"""

from __future__ import annotations

import argparse
import copy
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_files import jsonl, write_or_check  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from cohort import Offering, load_catalog, load_standards  # noqa: E402

from menkan.engine import Term, audit, load_shipped, student_from_dict  # noqa: E402

DEMO = ROOT / "src" / "menkan" / "demo"
AS_OF = "115-2"  # the final term of students admitted in 112
ADMITTED = 112
GEN_ED_SLOTS = ("學院指定向度", "學生自選向度", "通識課程")
GRADES = ["92", "85", "78", "88", "73", "81", "90", "67"]


def _term(study_year: int, study_sem: int) -> str:
    return f"{ADMITTED + study_year - 1}-{study_sem}"


def _category(symbol: str, code: str, title: str) -> str:
    if symbol == "▲":
        return "professional-required"
    if symbol == "△":
        return "gen-ed" if title.startswith(GEN_ED_SLOTS) else "common-required"
    if symbol == "★":
        return "professional-elective"
    return "free"


def _pools() -> dict[str, list[dict[str, str]]]:
    extra = load_shipped("ntut").institution.extra
    pools: dict[str, list[dict[str, str]]] = extra["category_rules"]["gen-ed"]["pools"]
    return pools


def _slot_dimensions() -> dict[str, str]:
    """The 博雅 slot codes and the dimension each asks for ("any" for a free choice)."""
    slots = load_shipped("ntut").institution.extra["category_rules"]["gen-ed"]["slots"]
    return {slot["code"]: slot["dimension"] for slot in slots}


def complete_student(number: int, department: str, name: str) -> dict[str, Any]:
    """A senior (admitted 112) who has passed everything their department's standard asks for."""
    standards = load_standards()[department]
    pools = _pools()
    dimensions = sorted(pools)
    courses: list[dict[str, Any]] = []
    used_pool: set[str] = set()
    grade = iter(GRADES * 40)
    for row in standards:
        symbol = row["requirement"]["symbol"]
        if symbol not in "▲△":
            continue
        title, code = row["name_zh"], row["course_code"]
        category = _category(symbol, code, title)
        record: dict[str, Any] = {
            "code": code,
            "title": title,
            "credits": row["credits"],
            "term": _term(row["study_year"], row["study_sem"]),
            "grade": next(grade),
            "category": category,
            "offered_by": code[:2],
        }
        if category == "gen-ed":
            # a 博雅 slot is filled by a real course of the matching dimension's pool
            dimension = _slot_dimensions().get(code, "any")
            if dimension not in pools:
                dimension = dimensions[len(courses) % len(dimensions)]
            pick = next(c for c in pools[dimension] if c["code"] not in used_pool)
            used_pool.add(pick["code"])
            record.update(code=pick["code"], title=pick["title"], tags=[dimension], offered_by="14")
            record["credits"] = max(row["credits"], 2.0)
        courses.append(record)
    return {
        "schema": "menkan.student/1",
        "student_id": f"B{ADMITTED}{department}{number:03d}",
        "name": name,
        "institution": "ntut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": f"{ADMITTED}-1",
        "class_code": f"{department}-{ADMITTED}",
        "courses": courses,
        "enrollment": [{"term": _term(y, s), "status": "enrolled"} for y in (1, 2, 3, 4) for s in (1, 2)],
    }


def _shortfalls(data: dict[str, Any]) -> dict[str, Decimal]:
    result = audit(student_from_dict(data), load_shipped("ntut"), Term.parse(AS_OF))
    short: dict[str, Decimal] = {}
    for leaf in ("professional-elective", "free", "common-required.gen-ed", "common-required.school-common"):
        node = result.find(f"graduation.credits.{leaf}")
        if node is not None and node.required is not None and node.earned is not None:
            short[leaf] = max(Decimal(0), node.required - node.earned)
    return short


def fill(data: dict[str, Any], catalog: list[Offering]) -> dict[str, Any]:
    """Add real electives, gen-ed and free courses until every credit bucket is met."""
    department = data["department"]
    standards = load_standards()[department]
    electives = [row for row in standards if row["requirement"]["symbol"] == "★" and row["credits"]]
    pools = _pools()
    free = [o for o in catalog if o.unit not in ("14", department[:2]) and o.credits >= 2]
    taken = {c["code"] for c in data["courses"]}
    grade = iter(GRADES * 40)
    for _ in range(40):
        short = _shortfalls(data)
        if not any(short.values()):
            return data
        if short.get("professional-elective"):
            row = next(r for r in electives if r["course_code"] not in taken)
            record = {
                "code": row["course_code"],
                "title": row["name_zh"],
                "credits": row["credits"],
                "term": _term(row["study_year"], row["study_sem"]),
                "category": "professional-elective",
                "offered_by": department,
            }
        elif short.get("common-required.gen-ed"):
            dimension = sorted(pools)[len(taken) % len(pools)]
            pick = next(c for c in pools[dimension] if c["code"] not in taken)
            record = {"code": pick["code"], "title": pick["title"], "credits": 2, "term": "114-1"}
            record.update(category="gen-ed", tags=[dimension], offered_by="14")
        else:
            offering = next(o for o in free if o.code not in taken)
            record = {"code": offering.code, "title": offering.title, "credits": offering.credits, "term": "114-2"}
            record.update(category="free", offered_by=offering.unit)
        record["grade"] = next(grade)
        taken.add(record["code"])
        data["courses"].append(record)
    raise SystemExit(f"could not complete {data['student_id']}")


def ntut_students() -> list[dict[str, Any]]:
    catalog = load_catalog()
    people = [
        ("340", "林家豪"),
        ("590", "陳怡君"),
        ("310", "張志明"),
        ("650", "黃雅婷"),
        ("370", "吳承翰"),
        ("390", "李佩珊"),
    ]
    students = [complete_student(n + 1, dept, name) for n, (dept, name) in enumerate(people)]
    # The cross-domain condition (admitted from 112): 林家豪 (土木系) earns 綠建築 (AVM), as in the regulation's
    # worked example; the others hold a completed minor (a `credential:minor` certificate).
    students[0]["programs"] = [{"program": "AVM", "registered_term": "112-2"}]
    for code, title, term in [
        ("3901404", "建築技術史", "112-2"),
        ("3902019", "建築物理(一)", "113-1"),
        ("3901416", "綠建築概論", "113-1"),
        ("3902015", "建築環境控制系統(一)", "113-2"),
        ("3903446", "循環經濟之建築設計", "114-1"),
    ]:
        students[0]["courses"].append(
            {"code": code, "title": title, "credits": 2, "term": term, "grade": "82", "category": "free"}
            | {"offered_by": "39"}
        )
    for data in students[1:]:
        data["certificates"] = [{"code": "credential:minor", "title": "輔系", "term": "114-2"}]
    students = [fill(data, catalog) for data in students]
    # 1: complete (met). 2: a professional required course failed and not retaken.
    required = next(c for c in students[1]["courses"] if c["category"] == "professional-required" and c["credits"])
    required["grade"] = "52"
    # 3: the last semester in progress (no grades yet): in progress.
    for course in students[2]["courses"]:
        if course["term"] in ("115-1",):
            course.pop("grade", None)
    students[2]["courses"].append(
        {"code": "3104999", "title": "電機專題實作", "credits": 3, "term": "115-1", "category": "professional-elective"}
    )
    for course in students[2]["courses"]:
        if course["term"] == "115-1":
            course.pop("grade", None)
    frees = [c for c in students[2]["courses"] if c["category"] == "free"]
    frees[0]["term"] = "115-1"
    frees[0].pop("grade", None)
    # 4: short on free electives (two free courses withdrawn).
    for course in [c for c in students[3]["courses"] if c["category"] == "free"][:2]:
        course["grade"] = "W"
    # 5: more gen-ed than 15: at most 4 flow into free electives.
    pools = _pools()
    extra = [c for c in pools["gen-ed:社法"] if c["code"] not in {x["code"] for x in students[4]["courses"]}][:3]
    for offset, pick in enumerate(extra):
        students[4]["courses"].append(
            {
                "code": pick["code"],
                "title": pick["title"],
                "credits": 2,
                "term": f"113-{1 + offset % 2}",
                "grade": "84",
                "category": "gen-ed",
                "tags": ["gen-ed:社法"],
                "offered_by": "14",
            }
        )
    # 6: a required course passed, then taken again under another code (same title): not counted twice.
    repeatable = load_shipped("ntut").institution.repeats.repeatable
    titles = set(repeatable.titles or []) if repeatable is not None else set()
    first = next(
        c
        for c in students[5]["courses"]
        if c["category"] == "professional-required" and c["credits"] and c["title"] not in titles
    )
    again = copy.deepcopy(first)
    again.update(code="R" + first["code"], term="114-2", grade="95")  # a new code, the same title
    students[5]["courses"].append(again)
    return students


EXPECTED_NTUT = ["met", "not-met", "in-progress", "not-met", "met", "met"]


def check(students: list[dict[str, Any]], expected: list[str]) -> None:
    for data, status in zip(students, expected, strict=True):
        institution = data["institution"]
        result = audit(student_from_dict(data), load_shipped(institution), Term.parse(AS_OF))
        if result.status != status:
            raise SystemExit(f"{data['student_id']}: expected {status}, audit says {result.status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args()
    ntut = ntut_students()
    check(ntut, EXPECTED_NTUT)
    outputs = {
        DEMO / "ntut.jsonl": jsonl(ntut),
        DEMO / "nycu.jsonl": (ROOT / "tests" / "data" / "nycu_students.jsonl").read_text(encoding="utf-8"),
    }
    return write_or_check(outputs, check=args.check, script="make_demo_cohort.py")


if __name__ == "__main__":
    raise SystemExit(main())
