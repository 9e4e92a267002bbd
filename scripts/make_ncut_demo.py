"""Builds the NCUT demo cohort (src/menkan/demo/ncut.jsonl): 60 day-division seniors admitted in 111.

Each department of NCUT's 114-1 pass-rate tables gets seniors in proportion to its 大四學生數; whether a
senior passes an item is drawn (fixed seed) with the department's own 114-1 rate for that item, the items
correlated through one per-student factor (the document's 29.45% passed all four, far more than
independent items would give). The student's activities and certificates are then made to match: hours
registered by the owner offices over the terms 111-1..114-1 (MOOCs from the 教學資源組 list for 抗壓, the
library's sessions for 精進, volunteering for 社會接軌, aesthetics hours — some before 113-2, which do not
count), and a certificate from the department's list (some students hold one that is not on it).
The first two students are the two summaries of the document (畢業門檻認證摘要).

The script audits what it writes and stops unless the two summaries come out as the document shows them
and every item has seniors who pass it and seniors who do not, at rates near the document's.

    python scripts/make_ncut_demo.py            # write src/menkan/demo/ncut.jsonl
    python scripts/make_ncut_demo.py --check    # exit 1 if the file differs from what would be written
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from menkan.engine import Term, compile, load_shipped, student_from_dict
from menkan.engine.policy.models import Certificates
from menkan.reports import pass_rate_spec, pass_rates

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_files import jsonl, write_or_check  # noqa: E402

OUTPUT = ROOT / "src" / "menkan" / "demo" / "ncut.jsonl"
AS_OF = "114-1"
SEED = 20251212  # the document's figures are as of 2025-12-12 (114年12月12日)
CORRELATION = 0.6  # weight of the per-student factor shared by the four items

# The document's 114-1 table: seniors and passes per item (抗壓, 精進, 社會接軌, 證照) by department.
TABLE: dict[str, tuple[int, int, int, int, int]] = {
    "化材": (155, 135, 110, 76, 45),
    "機械": (107, 95, 81, 64, 47),
    "冷凍": (106, 101, 77, 65, 14),
    "智動": (44, 34, 17, 20, 11),
    "電機": (142, 128, 111, 93, 70),
    "電子": (111, 101, 69, 61, 45),
    "資工": (141, 127, 94, 78, 31),
    "智慧": (47, 37, 30, 36, 26),
    "文創": (48, 40, 35, 41, 28),
    "景觀": (40, 32, 20, 39, 1),
    "應英": (47, 38, 35, 22, 7),
    "工管": (189, 169, 139, 93, 141),
    "企管": (100, 93, 84, 70, 51),
    "資管": (85, 72, 57, 40, 82),
    "行流": (105, 95, 90, 71, 62),
    "健管": (37, 23, 22, 22, 1),
}
# Seniors per department in the demo (60 in all, roughly in proportion to the table, at least 2 each).
SENIORS = {
    "化材": 7,
    "機械": 4,
    "冷凍": 4,
    "智動": 2,
    "電機": 6,
    "電子": 4,
    "資工": 5,
    "智慧": 2,
    "文創": 2,
    "景觀": 2,
    "應英": 2,
    "工管": 7,
    "企管": 4,
    "資管": 3,
    "行流": 4,
    "健管": 2,
}
ITEMS = ("resilience", "improvement", "social", "license")
# The document's university rates (percent) the demo should roughly show, and the tolerance.
DOCUMENT_RATES = {"resilience": 87.77, "improvement": 71.21, "social": 59.24, "license": 44.02, "all": 29.45}
TOLERANCE = 20.0

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = ["怡君", "家豪", "雅婷", "志明", "俊傑", "佳穎", "冠宇", "詩涵", "宗翰", "欣怡", "承恩", "子晴", "柏翰", "思妤"]
TERMS = ["111-1", "111-2", "112-1", "112-2", "113-1", "113-2", "114-1"]
LECTURES = ["抗壓講座：壓力與情緒管理", "抗壓講座：挫折復原力", "抗壓講座：職場抗壓"]
LIBRARY = [
    ("電子資源線上教育訓練：Scopus", 2),
    ("電子資源線上教育訓練：學位論文", 1),
    ("電子資源線上教育訓練：EndNote", 2),
    ("電子資源線上教育訓練：華藝線上圖書館", 1),
    ("電子資源線上教育訓練：ScienceDirect", 1),
]
VOLUNTEER = [
    ("淨灘志工", "學務處"),
    ("系學會迎新志工", "學務處"),
    ("社區課輔志工", "學務處"),
    ("家扶中心活動志工", "學務處"),
    ("校慶園遊會志工", "學務處"),
    ("偏鄉營隊志工", "學務處"),
    ("圖書館服務志工", "學務處"),
]
AESTHETICS = ["藝術中心音樂會", "勤益藝廊展覽導覽", "戲劇欣賞", "書法工作坊"]
OFF_LIST = {"code": "TS-C-SW-APP", "title": "電腦軟體應用 丙級技術士"}  # a 丙級: on no department's list


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _passes(rng: random.Random, department: str) -> dict[str, bool]:
    """Which items this senior passes: the department's rates, correlated through one shared factor."""
    seniors, *passed = TABLE[department]
    shared = rng.gauss(0, 1)
    result = {}
    for item, count in zip(ITEMS, passed, strict=True):
        z = math.sqrt(CORRELATION) * shared + math.sqrt(1 - CORRELATION) * rng.gauss(0, 1)
        result[item] = _phi(z) < count / seniors
    return result


def _activity(item: str, hours: int, term: str, title: str, unit: str) -> dict[str, Any]:
    return {"item": item, "hours": hours, "term": term, "title": title, "unit": unit}


def _resilience(rng: random.Random, passed: bool, moocs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    three = [m for m in moocs if m["hours"] == 3]
    one = [m for m in moocs if m["hours"] == 1]
    if passed:
        rows = [_activity("resilience", 3, rng.choice(TERMS[2:]), rng.choice(three)["title"], "教務處")]
        if rng.random() < 0.4:
            rows.append(_activity("resilience", 1, rng.choice(TERMS[1:]), rng.choice(LECTURES), "教務處"))
        return rows
    hours = rng.choice([0, 1, 2])
    rows = []
    if hours >= 1:
        rows.append(_activity("resilience", 1, rng.choice(TERMS[4:]), rng.choice(one)["title"], "教務處"))
    if hours == 2:
        rows.append(_activity("resilience", 1, rng.choice(TERMS[1:]), LECTURES[0], "教務處"))
    return rows


def _improvement(rng: random.Random, passed: bool) -> list[dict[str, Any]]:
    goal = 3 if passed else rng.choice([0, 1, 2])
    rows: list[dict[str, Any]] = []
    sessions = LIBRARY[:]
    rng.shuffle(sessions)
    total = 0
    for title, hours in sessions:
        if total >= goal:
            break
        if total + hours > goal and not passed:
            continue
        rows.append(_activity("improvement", hours, rng.choice(TERMS[1:]), title, "圖書館"))
        total += hours
    return rows


def _social(rng: random.Random, passed: bool) -> list[dict[str, Any]]:
    """Volunteering and aesthetics hours; aesthetics from 113-2 on count into 社會接軌 (earlier ones do not)."""
    merged = rng.choice([0, 0, 2, 3, 4])
    target = rng.randint(24, 30) - merged if passed else rng.randint(4, 20) - min(merged, 3)
    rows: list[dict[str, Any]] = []
    volunteer = VOLUNTEER[:]
    rng.shuffle(volunteer)
    own = 0
    for title, unit in volunteer:
        if own >= target:
            break
        hours = min(rng.choice([4, 6, 8]), target - own)
        rows.append(_activity("social", hours, rng.choice(TERMS[:-1]), title, unit))
        own += hours
    if merged:
        rows.append(_activity("aesthetics", merged, rng.choice(["113-2", "114-1"]), rng.choice(AESTHETICS), "藝術中心"))
    if rng.random() < 0.25:  # hours of the separate 美學 item before the merge: shown, not counted
        rows.append(_activity("aesthetics", 2, rng.choice(["112-1", "112-2", "113-1"]), AESTHETICS[0], "藝術中心"))
    return rows


def _license(rng: random.Random, passed: bool, codes: list[str], catalog: dict[str, Any]) -> list[dict[str, Any]]:
    if passed:
        code = rng.choice(codes)
        return [{"code": code, "title": catalog[code]["title"], "term": rng.choice(TERMS[3:]), "level": "乙"}]
    if rng.random() < 0.3:
        return [{**OFF_LIST, "term": rng.choice(TERMS[2:]), "level": "丙"}]
    return []


def _document_summaries(moocs: list[dict[str, Any]], catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's two summaries as students (抗壓 4/3 ... 通過; 3/3, 2/3 ... 未通過)."""
    first = {
        "activities": [
            _activity("resilience", 3, "113-1", moocs[0]["title"], "教務處"),
            _activity("resilience", 1, "113-2", LECTURES[0], "教務處"),
            _activity("improvement", 2, "112-1", LIBRARY[0][0], "圖書館"),
            _activity("improvement", 1, "112-2", LIBRARY[1][0], "圖書館"),
            _activity("social", 8, "111-2", VOLUNTEER[0][0], "學務處"),
            _activity("social", 8, "112-2", VOLUNTEER[2][0], "學務處"),
            _activity("social", 8, "113-1", VOLUNTEER[3][0], "學務處"),
            _activity("aesthetics", 4, "113-2", AESTHETICS[1], "藝術中心"),
        ],
        "certificates": [
            {"code": "TS-B-SOFTWARE", "title": catalog["TS-B-SOFTWARE"]["title"], "term": "113-2", "level": "乙"}
        ],
    }
    second = {
        "activities": [
            _activity("resilience", 3, "112-2", moocs[2]["title"], "教務處"),
            _activity("improvement", 2, "113-1", LIBRARY[0][0], "圖書館"),
            _activity("social", 8, "112-1", VOLUNTEER[1][0], "學務處"),
            _activity("social", 8, "113-1", VOLUNTEER[4][0], "學務處"),
            _activity("aesthetics", 3, "113-2", AESTHETICS[2], "藝術中心"),
            _activity("aesthetics", 2, "114-1", AESTHETICS[3], "藝術中心"),
        ],
        "certificates": [],
    }
    return [first, second]


def students() -> list[dict[str, Any]]:
    policies = load_shipped("ncut")
    settings = policies.institution.workflows.self_learning
    assert settings is not None
    extra = settings.model_dump(by_alias=True, mode="json")
    moocs = extra["moocs"]["courses"]
    catalog = extra["license_catalog"]
    license_node = next(
        node for policy in policies.policies for node in _walk(policy.requirements) if node.id == "license"
    )
    assert isinstance(license_node, Certificates)
    lists = license_node.codes_by_department
    rng = random.Random(SEED)
    summaries = _document_summaries(moocs, catalog)
    cohort: list[dict[str, Any]] = []
    for dept_no, (department, count) in enumerate(SENIORS.items(), start=1):
        for seq in range(1, count + 1):
            passes = _passes(rng, department)
            record: dict[str, Any] = {
                "schema": "menkan.student/1",
                "student_id": f"NC111{dept_no:02d}{seq:03d}",
                "institution": "ncut",
                "department": department,
                "division": "day-bachelor",
                "degree": "bachelor",
                "admission_term": "111-1",
                "admitted_into_year": 1,
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "class_code": f"{department}四甲",
                "activities": [
                    *_resilience(rng, passes["resilience"], moocs),
                    *_improvement(rng, passes["improvement"]),
                    *_social(rng, passes["social"]),
                ],
                "certificates": _license(rng, passes["license"], lists[department], catalog),
                "enrollment": [{"term": term, "status": "enrolled"} for term in TERMS],
            }
            cohort.append(record)
    # The document's two summaries are the first two 資工 seniors (the department of the example licence),
    # put first in the file: the portal demo and `menkan demo --print` show the first student.
    first_cs = next(i for i, s in enumerate(cohort) if s["department"] == "資工")
    for offset, summary in enumerate(summaries):
        cohort[first_cs + offset].update(summary)
    for record in cohort:
        record["activities"].sort(key=lambda a: (a["term"], a["item"], a["title"]))
    shown = cohort[first_cs : first_cs + len(summaries)]
    return shown + cohort[:first_cs] + cohort[first_cs + len(summaries) :]


def _walk(requirements: Any) -> Any:
    for node in requirements:
        yield node
        yield from _walk(getattr(node, "children", []))


SUMMARIES = [
    {
        "self-learning": ("", "met"),
        "self-learning.resilience": ("4 / 3", "met"),
        "self-learning.improvement": ("3 / 3", "met"),
        "self-learning.social": ("24 + 4 / 24", "met"),
        "self-learning.license": ("1 / 1", "met"),
        "self-learning.aesthetics": ("4 (納入社會接軌", None),
    },
    {
        "self-learning": ("", "not-met"),
        "self-learning.resilience": ("3 / 3", "met"),
        "self-learning.improvement": ("2 / 3", "not-met"),
        "self-learning.social": ("16 + 5 / 24", "not-met"),
        "self-learning.license": ("0 / 1", "not-met"),
        "self-learning.aesthetics": ("5 (納入社會接軌", None),
    },
]


def check(cohort: list[dict[str, Any]]) -> dict[str, Decimal | None]:
    """Audit the cohort; stop unless the summaries and the rates come out as intended. Returns the rates."""
    policies = load_shipped("ncut")
    as_of = Term.parse(AS_OF)
    records = [student_from_dict(data) for data in cohort]
    runtime = compile(policies)
    results = [runtime.audit(record, as_of=as_of) for record in records]
    for result, expected in zip(results[: len(SUMMARIES)], SUMMARIES, strict=True):
        for requirement_id, (display, status) in expected.items():
            node = result.find(requirement_id)
            if node is None:
                raise SystemExit(f"{result.student_id}: {requirement_id} missing")
            if display and not node.display.startswith(display):
                raise SystemExit(f"{result.student_id}: {requirement_id} shows {node.display!r}, not {display!r}")
            if status is not None and node.status != status:
                raise SystemExit(f"{result.student_id}: {requirement_id} is {node.status}, not {status}")
    spec = pass_rate_spec(policies)
    report = pass_rates(results, records, policies.institution, spec)
    if report.university.seniors != len(cohort):
        raise SystemExit(f"{report.university.seniors} seniors counted, {len(cohort)} written")
    tallies = {item.id.split(".")[-1]: report.university.items[item.id] for item in spec.items}
    tallies["all"] = report.university.all
    rates: dict[str, Decimal | None] = {}
    for name, tally in tallies.items():
        rate = tally.rate
        rates[name] = rate
        if tally.passed == 0 or tally.not_passed == 0:
            raise SystemExit(f"{name}: every senior {'fails' if tally.passed == 0 else 'passes'}; want both")
        assert rate is not None
        if abs(float(rate) - DOCUMENT_RATES[name]) > TOLERANCE:
            raise SystemExit(f"{name}: {rate}% is far from the document's {DOCUMENT_RATES[name]}%")
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file on disk instead of writing")
    args = parser.parse_args()
    cohort = students()
    rates = check(cohort)
    status = write_or_check({OUTPUT: jsonl(cohort)}, check=args.check, script="make_ncut_demo.py")
    if not args.check:
        shown = ", ".join(f"{name} {rate}%" for name, rate in rates.items())
        print(f"{len(cohort)} seniors as of {AS_OF}; pass rates {shown}")
    return status


if __name__ == "__main__":
    sys.exit(main())
