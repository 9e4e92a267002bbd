"""Builds the NKUST demo cohort (src/menkan/demo/nkust.jsonl): general-education micro-credits and gen-ed credits.

Twelve day-division bachelor students admitted in 111 or 112, written by hand (no randomness) so that each
shows one thing of the document (NKUST Center for the Liberal Arts, "General Education Micro-credits"):
hours below and at the 18 h and 36 h steps, hours over the 36 h cap, duplicate course titles, a failed
course, hours accumulated over several semesters, certified micro-credits imported into the next semester's
schedule, and an approved gen-ed offset. Micro-credit courses are activities of item `ge-micro` (hours and
title); gen-ed courses carry a category tag of the five (placeholder) categories.

The script audits what it writes and stops unless every student comes out as the table below says.

    python scripts/make_nkust_demo.py            # write src/menkan/demo/nkust.jsonl
    python scripts/make_nkust_demo.py --check    # exit 1 if the file differs from what would be written
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from menkan.engine import Term, compile, load_shipped, student_from_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_files import jsonl, write_or_check  # noqa: E402

OUTPUT = ROOT / "src" / "menkan" / "demo" / "nkust.jsonl"
AS_OF = "114-1"
TERMS = ["111-1", "111-2", "112-1", "112-2", "113-1", "113-2", "114-1"]

# Micro-credit courses offered over the terms, by module area (titles invented for the demo).
COURSES = {
    "A1": ("感知美學：城市速寫", 9),
    "A2": ("感知美學：影像敘事", 6),
    "C1": ("雲端跨域：雲端服務入門", 9),
    "C2": ("雲端跨域：資料視覺化", 8),
    "L1": ("生命感知：正念與情緒", 6),
    "L2": ("生命感知：桌遊與溝通", 9),
    "P1": ("在地實踐：旗津社區走讀", 8),
    "P2": ("在地實踐：港都產業踏查", 9),
    "D1": ("數位科技微學程：生成式AI應用", 9),
    "D2": ("數位科技微學程：物聯網實作", 9),
    "D3": ("數位科技微學程：無人機操作", 4),
}
CATEGORIES = ["humanities", "social", "natural", "technology", "life"]
GEN_ED_TITLES = {
    "humanities": ["文學與人生", "藝術欣賞"],
    "social": ["法律與生活", "經濟學與社會"],
    "natural": ["環境與生態", "海洋科學概論"],
    "technology": ["科技與倫理", "程式設計思維"],
    "life": ["生命教育", "健康與休閒"],
}

# One row per student: department, admission term, micro-credit courses taken (code, term[, "F" failed]),
# gen-ed categories passed (2 credits each, in order; a category named twice is a second course), whether the
# 2 certified micro-credits are on the schedule (term imported) and an approved offset (term approved).
# The expected figures: micro-credit hours counted, hours over the cap, credits, gen-ed met.
STUDENTS: list[dict[str, Any]] = [
    {  # the portal's first student: 36 h certified, 2 micro-credits imported, offset approved, gen-ed met
        "department": "CSIE",
        "admission": "111-1",
        "micro": [("D1", "111-2"), ("C1", "112-1"), ("A1", "112-2"), ("L2", "113-1")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life"],
        "certified": "113-2",
        "offset": "114-1",
        "expect": {"counted": 36, "over": 0, "credits": 2, "duplicates": 0, "gen_ed": "met"},
    },
    {  # nothing yet
        "department": "CSIE",
        "admission": "112-1",
        "micro": [],
        "gen_ed": ["humanities", "technology"],
        "expect": {"counted": 0, "over": 0, "credits": 0, "duplicates": 0, "gen_ed": "not-met"},
    },
    {  # 17 h: one hour short of the first credit
        "department": "EE",
        "admission": "112-1",
        "micro": [("C2", "112-2"), ("D1", "113-1")],
        "gen_ed": ["humanities", "social", "natural"],
        "expect": {"counted": 17, "over": 0, "credits": 0, "duplicates": 0, "gen_ed": "not-met"},
    },
    {  # 18 h: 1 credit
        "department": "EE",
        "admission": "111-1",
        "micro": [("A1", "112-1"), ("P2", "113-2")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life", "social"],
        "expect": {"counted": 18, "over": 0, "credits": 1, "duplicates": 0, "gen_ed": "met"},
    },
    {  # 24 h accumulated over four semesters: 1 credit
        "department": "ME",
        "admission": "111-1",
        "micro": [("L1", "111-2"), ("A2", "112-1"), ("P1", "112-2"), ("D3", "113-1")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life"],
        "expect": {"counted": 24, "over": 0, "credits": 1, "duplicates": 0, "gen_ed": "not-met"},
    },
    {  # 35 h: still 1 credit
        "department": "ME",
        "admission": "111-1",
        "micro": [("D1", "112-1"), ("D2", "112-2"), ("C2", "113-1"), ("A1", "113-2")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life", "natural"],
        "expect": {"counted": 35, "over": 0, "credits": 1, "duplicates": 0, "gen_ed": "met"},
    },
    {  # 50 h: 2 credits, 14 h over the cap
        "department": "CE",
        "admission": "111-1",
        "micro": [("A1", "111-2"), ("C1", "112-1"), ("L2", "112-2"), ("D2", "113-1"), ("C2", "113-2"), ("L1", "114-1")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life", "life"],
        "certified": "113-2",
        "expect": {"counted": 36, "over": 14, "credits": 2, "duplicates": 0, "gen_ed": "met"},
    },
    {  # a course taken twice under the same title: counted once (27 h taken, 18 h counted)
        "department": "IM",
        "admission": "111-1",
        "micro": [("L2", "112-1"), ("L2", "113-1"), ("D1", "113-2")],
        "gen_ed": ["humanities", "social", "technology", "life"],
        "expect": {"counted": 18, "over": 0, "credits": 1, "duplicates": 1, "gen_ed": "not-met"},
    },
    {  # duplicates and over the cap: 2 credits
        "department": "IM",
        "admission": "111-1",
        "micro": [
            ("D1", "111-2"),
            ("D2", "112-1"),
            ("D1", "112-2"),
            ("P2", "113-1"),
            ("A1", "113-2"),
            ("C1", "114-1"),
        ],
        "gen_ed": ["humanities", "social", "natural", "technology", "life"],
        "expect": {"counted": 36, "over": 9, "credits": 2, "duplicates": 1, "gen_ed": "not-met"},
    },
    {  # a failed course does not count: 9 of 18 h
        "department": "FIN",
        "admission": "112-1",
        "micro": [("P1", "112-2", "F"), ("C1", "113-1")],
        "gen_ed": ["social", "natural", "life"],
        "expect": {"counted": 9, "over": 0, "credits": 0, "duplicates": 0, "gen_ed": "not-met"},
    },
    {  # failed, then passed under the same title: counts
        "department": "FIN",
        "admission": "112-1",
        "micro": [("P2", "112-2", "F"), ("P2", "113-1"), ("A1", "113-2")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life", "humanities"],
        "expect": {"counted": 18, "over": 0, "credits": 1, "duplicates": 0, "gen_ed": "met"},
    },
    {  # 36 h in the certification semester, the offset completing the gen-ed total
        "department": "AE",
        "admission": "111-1",
        "micro": [("A1", "112-1"), ("A2", "112-1"), ("L1", "112-2"), ("L2", "113-1"), ("P1", "113-1")],
        "gen_ed": ["humanities", "social", "natural", "technology", "life"],
        "certified": "113-2",
        "offset": "114-1",
        "expect": {"counted": 36, "over": 2, "credits": 2, "duplicates": 0, "gen_ed": "met"},
    },
]
NAMES = [
    "陳怡君",
    "林家豪",
    "黃雅婷",
    "張志明",
    "李俊傑",
    "王佳穎",
    "吳冠宇",
    "劉詩涵",
    "蔡宗翰",
    "楊欣怡",
    "許承恩",
    "鄭子晴",
]
CERTIFIED = [("GEMC1", "通識微學分課程(一)"), ("GEMC2", "通識微學分課程(二)")]


def _record(number: int, spec: dict[str, Any]) -> dict[str, Any]:
    department = spec["department"]
    admission = spec["admission"]
    year = admission.split("-")[0]
    activities = []
    for entry in spec["micro"]:
        code, term = entry[0], entry[1]
        title, hours = COURSES[code]
        row: dict[str, Any] = {"item": "ge-micro", "hours": hours, "term": term, "title": title, "unit": "通識教育中心"}
        if len(entry) > 2 and entry[2] == "F":
            row["passed"] = False
        activities.append(row)
    courses: list[dict[str, Any]] = []
    taken: dict[str, int] = {}
    terms = [t for t in TERMS if t >= admission]
    for index, category in enumerate(spec["gen_ed"]):
        nth = taken.get(category, 0)
        taken[category] = nth + 1
        title = GEN_ED_TITLES[category][nth]
        courses.append(
            {
                "code": f"GE{CATEGORIES.index(category) + 1}{nth + 1:02d}",
                "title": title,
                "credits": 2,
                "term": terms[index % len(terms)],
                "grade": str(70 + (number * 7 + index * 5) % 25),
                "category": "gen-ed",
                "tags": [f"ge:{category}"],
            }
        )
    if "certified" in spec:  # the 2 certified micro-credits, imported into the next semester's schedule
        for code, title in CERTIFIED:
            courses.append(
                {
                    "code": code,
                    "title": title,
                    "credits": 1,
                    "term": spec["certified"],
                    "grade": "P",
                    "category": "micro-credit",
                    "tags": ["ge-micro"],
                }
            )
    if "offset" in spec:  # the approved offset, entered by the registrar
        courses.append(
            {
                "code": "GEMC-OFFSET",
                "title": "通識微學分抵免",
                "credits": 2,
                "term": spec["offset"],
                "grade": "P",
                "category": "gen-ed",
                "tags": ["ge-offset"],
            }
        )
    return {
        "schema": "menkan.student/1",
        "student_id": f"K{year}{number:05d}",
        "institution": "nkust",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": admission,
        "admitted_into_year": 1,
        "name": NAMES[number - 1],
        "class_code": f"{department}{'四' if year == '111' else '三'}甲",
        "courses": courses,
        "activities": sorted(activities, key=lambda a: (a["term"], a["title"])),
        "enrollment": [{"term": term, "status": "enrolled"} for term in terms],
    }


def students() -> list[dict[str, Any]]:
    return [_record(number, spec) for number, spec in enumerate(STUDENTS, start=1)]


def check(cohort: list[dict[str, Any]]) -> None:
    """Audit the cohort; stop unless every student comes out as the table says."""
    runtime = compile(load_shipped("nkust"))
    as_of = Term.parse(AS_OF)
    for data, spec in zip(cohort, STUDENTS, strict=True):
        result = runtime.audit(student_from_dict(data), as_of=as_of)
        expect = spec["expect"]
        micro = result.find("ge-micro-credits")
        gen_ed = result.find("general-education")
        if micro is None or gen_ed is None:
            raise SystemExit(f"{result.student_id}: ge-micro-credits or general-education missing")
        found = {
            "counted": micro.details["hours_counted"],
            "over": micro.details["hours_over_cap"],
            "credits": micro.details["credits"],
            "duplicates": sum(1 for item in micro.not_applied if item.reason == "duplicate-title"),
            "gen_ed": gen_ed.status,
        }
        if found != expect:
            raise SystemExit(f"{result.student_id}: {found} is not {expect}")
        if "offset" in spec:
            total = result.find("general-education.total")
            if total is None or not any(item.ref.startswith("GEMC-OFFSET@") for item in total.applied):
                raise SystemExit(f"{result.student_id}: the offset does not count in general-education.total")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file on disk instead of writing")
    args = parser.parse_args()
    cohort = students()
    check(cohort)
    return write_or_check({OUTPUT: jsonl(cohort)}, check=args.check, script="make_nkust_demo.py")


if __name__ == "__main__":
    sys.exit(main())
