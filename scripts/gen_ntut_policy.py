"""Generator of the NTUT graduation-credits policy (institution.yaml, graduation.yaml) from the 115 standards.

Reads the real NTUT curriculum standards (`standards-115.json`, see docs/ntut-generation.md for every mapping
decision) and writes `src/menkan/policies/ntut/institution.yaml` and `graduation.yaml`. The output is
deterministic: the same data always gives byte-identical files.

    python scripts/gen_ntut_policy.py            # (re)write the policy files
    python scripts/gen_ntut_policy.py --check    # exit 1 when the files on disk are not what it would write
    python scripts/gen_ntut_policy.py --data DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

SCRIPT = "scripts/gen_ntut_policy.py"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ntut"
DEFAULT_OUT = REPO / "src" / "menkan" / "policies" / "ntut"
STANDARDS_FILE = "standards-115.json"

# --- the regulation (NTUT 教務處〈跨域微學程〉114-1, section 最低畢業學分) -------------------------------------

REGULATION = "NTUT 教務處〈跨域微學程〉(114-1) 最低畢業學分"
TOTAL_MIN = 132
GEN_ED_MIN = 15
SCHOOL_COMMON_MIN = 13
PROFESSIONAL_REQUIRED_MIN = 65
PROFESSIONAL_ELECTIVE_MIN = 19
FREE_MIN = 20
GEN_ED_INTO_FREE_MAX = 4
ADMITTED_FROM = "112-1"
CROSS_DOMAIN = "NTUT 教務處〈跨域微學程〉(114-1) 微學程跨域畢業條件"
# A completed 一般學程 / 第二專長 / 輔系 / 雙主修 is recorded as a certificate of the student with these codes.
CROSS_DOMAIN_CREDENTIALS: list[tuple[str, str, str]] = [
    ("program", "一般學程", "A (general) program"),
    ("second-specialty", "第二專長", "A second specialty"),
    ("minor", "輔系", "A minor"),
    ("double-major", "雙主修", "A double major"),
]

# --- the curriculum standards -----------------------------------------------------------------------------

DAY_BACHELOR_MATRIC = "7"  # matric code of the day-division four-year (四技) programs
DAY_BACHELOR_PREFIX = "四技"
# Programs of matric 7 that are course pools, not departments a student belongs to.
GEN_ED_POOL_MARK = "通識中心"
SCHOOL_POOL_MARK = "校院級課程"
ENGLISH_POOL_MARK = "共同英文"

PROFESSIONAL_REQUIRED = "▲"  # 校訂專業必修
COMMON_REQUIRED = "△"  # 校訂共同必修
PROFESSIONAL_ELECTIVE = "★"  # 專業選修
COMMON_ELECTIVE = "☆"  # 共同選修
REQUIRED_SYMBOLS = (COMMON_REQUIRED, PROFESSIONAL_REQUIRED)

# The 博雅 (liberal-arts gen-ed) dimensions: the standards' slot name -> the 通識中心 pool that fills it.
GEN_ED_DIMENSIONS: dict[str, tuple[str, str]] = {
    # slot dimension: (pool mark in the pool program's title, tag / anchor suffix)
    "人文與藝術": ("人文", "humanities"),
    "社會與法治": ("社法", "society"),
    "自然與科學": ("自然", "nature"),
    "創新與創業": ("創創", "innovation"),
}
GEN_ED_DESIGNATED = re.compile(r"^學院指定向度-(?P<dimension>.+)$")
GEN_ED_ANY_SLOTS = frozenset({"學生自選向度", "通識課程"})
# School-common English slots and the study year of the 共同英文 pool that fills them.
ENGLISH_SLOTS = {"學院專業英文": 1, "跨領域專業英文": 2}
PE_TITLE = "體育"
MILITARY_PREFIX = "全民國防教育"
STAGE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
GROUP = re.compile(r"^\s*(?P<group>\w+)\s*\(\s*(?P<credits>\d+(?:\.\d+)?)\s*\)\s*$")

# --- colleges and departments ----------------------------------------------------------------------------

COLLEGES: dict[str, tuple[str, str]] = {
    "mee": ("機電學院", "College of Mechanical and Electrical Engineering"),
    "eecs": ("電資學院", "College of Electrical Engineering and Computer Science"),
    "eng": ("工程學院", "College of Engineering"),
    "mgmt": ("管理學院", "College of Management"),
    "design": ("設計學院", "College of Design"),
    "hss": ("人文與社會科學學院", "College of Humanities and Social Sciences"),
}
# The regulation's table 114學年度微學程分布現況 lists departments by college; 學士班 are college-level programs
# named after their college. Keys are the program name before any 【group】.
COLLEGE_OF: dict[str, str] = {
    "機械系": "mee",
    "車輛系": "mee",
    "能源冷凍空調系": "mee",
    "機電學士班": "mee",
    "機電學院": "mee",
    "電機系": "eecs",
    "電子系": "eecs",
    "資工系": "eecs",
    "光電系": "eecs",
    "電資學士班": "eecs",
    "化工系": "eng",
    "材資系": "eng",
    "土木系": "eng",
    "分子系": "eng",
    "工程科技學士班": "eng",
    "工管系": "mgmt",
    "經管系": "mgmt",
    "資財系": "mgmt",
    "工設系": "design",
    "建築系": "design",
    "互動系": "design",
    "創意設計學士班": "design",
    "英文系": "hss",
    "文發系": "hss",
}
PROGRAM_EN: dict[str, str] = {
    "機械系": "Department of Mechanical Engineering",
    "電機系": "Department of Electrical Engineering",
    "化工系": "Department of Chemical Engineering and Biotechnology",
    "材資系": "Department of Materials and Mineral Resources Engineering",
    "土木系": "Department of Civil Engineering",
    "分子系": "Department of Molecular Science and Engineering",
    "電子系": "Department of Electronic Engineering",
    "工管系": "Department of Industrial Engineering and Management",
    "工設系": "Department of Industrial Design",
    "建築系": "Department of Architecture",
    "車輛系": "Department of Vehicle Engineering",
    "能源冷凍空調系": "Department of Energy and Refrigerating Air-Conditioning Engineering",
    "英文系": "Department of English",
    "經管系": "Department of Business Management",
    "資工系": "Department of Computer Science and Information Engineering",
    "光電系": "Department of Electro-Optical Engineering",
    "機電學士班": "Bachelor Program in Mechanical and Electrical Engineering",
    "電資學士班": "Bachelor Program in Electrical Engineering and Computer Science",
    "工程科技學士班": "Bachelor Program in Engineering Technology",
    "創意設計學士班": "Bachelor Program in Creative Design",
    "文發系": "Department of Cultural Vocation Development",
    "資財系": "Department of Information and Finance Management",
    "互動系": "Department of Interaction Design",
    "互動與創新外生專班": "International Program in Interaction and Innovation",
    "半導體學士學位學程": "Bachelor Degree Program in Semiconductor Engineering",
    "半導體外生專班": "International Program in Semiconductor Engineering",
    "機電學院": "College of Mechanical and Electrical Engineering",
}
GROUP_EN: dict[str, str] = {
    "材料組": "Materials Division",
    "資源組": "Resources Division",
    "產品設計組": "Product Design Division",
    "家具與室內設計組": "Furniture and Interior Design Division",
    "媒體設計組": "Media Design Division",
    "視覺傳達設計組": "Visual Communication Design Division",
    "機械工程系": "Department of Mechanical Engineering",
    "車輛工程系": "Department of Vehicle Engineering",
    "能源與冷凍空調工程系": "Department of Energy and Refrigerating Air-Conditioning Engineering",
    "電機工程系": "Department of Electrical Engineering",
    "電子工程系": "Department of Electronic Engineering",
    "資訊工程系": "Department of Computer Science and Information Engineering",
    "光電工程系": "Department of Electro-Optical Engineering",
    "化學工程與生物科技系": "Department of Chemical Engineering and Biotechnology",
    "材料及資源工程系材料組": "Department of Materials and Mineral Resources Engineering, Materials Division",
    "材料及資源工程系資源組": "Department of Materials and Mineral Resources Engineering, Resources Division",
    "土木工程系": "Department of Civil Engineering",
    "分子科學與工程系": "Department of Molecular Science and Engineering",
    "工業設計系產品設計組": "Department of Industrial Design, Product Design Division",
    "工業設計系家具與室內設計組": "Department of Industrial Design, Furniture and Interior Design Division",
    "建築系": "Department of Architecture",
    "互動設計系媒體設計組": "Department of Interaction Design, Media Design Division",
    "互動設計系視覺傳達設計組": "Department of Interaction Design, Visual Communication Design Division",
    "機電技優領航專班": "Elite Technical Talent Pilot Program",
}
DEPARTMENT_NAME = re.compile(r"^(?P<program>[^【]+?)\s*(?:【(?P<group>[^】]+)】)?$")


class GenerationError(Exception):
    """The data holds something this generator does not know how to map (fix the script, not the output)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One course line of a curriculum standard."""

    year: int
    semester: int
    symbol: str
    code: str
    title: str
    credits: Decimal
    stage: str
    group: str | None

    @property
    def sort_key(self) -> tuple[int, int, int, str, str]:
        return (self.year, self.semester, REQUIRED_SYMBOLS.index(self.symbol), self.code, self.stage)


@dataclass(slots=True)
class Department:
    """One 四技 program (division) and what the policy derives from its standard."""

    code: str
    name_zh: str
    name_en: str
    college: str | None
    required: list[Entry] = field(default_factory=list)
    groups: dict[str, tuple[Decimal, list[Entry]]] = field(default_factory=dict)
    gen_ed: Decimal = Decimal(0)
    school_common: Decimal = Decimal(0)
    professional_required: Decimal = Decimal(0)
    professional: dict[str, str] = field(default_factory=dict)  # code -> title of every ▲ and ★ entry

    @property
    def professional_elective(self) -> Decimal:
        """What is left of the 132 once common, professional-required and free credits are taken."""
        return Decimal(TOTAL_MIN - FREE_MIN) - self.gen_ed - self.school_common - self.professional_required


@dataclass(slots=True)
class Pools:
    """Course pools that fill the placeholder slots of the department standards."""

    gen_ed: dict[str, list[Entry]] = field(default_factory=dict)  # dimension mark (人文...) -> courses
    english: dict[int, list[Entry]] = field(default_factory=dict)  # study year -> 共同英文 courses


# --- reading ----------------------------------------------------------------------------------------------


def read_standards(data_dir: Path) -> dict[str, Any]:
    path = data_dir / STANDARDS_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GenerationError(f"cannot read {path}: {exc}") from exc
    return data


def short_title(title: str) -> str:
    """`四技 機電學士班 【機械工程系】` -> `機電學士班【機械工程系】`."""
    text = title.strip()
    if text.startswith(DAY_BACHELOR_PREFIX):
        text = text[len(DAY_BACHELOR_PREFIX) :]
    return re.sub(r"\s+", "", text)


def entries_of(program: dict[str, Any]) -> list[Entry]:
    return [
        Entry(
            year=int(course["study_year"]),
            semester=int(course["study_sem"]),
            symbol=course["requirement"]["symbol"],
            code=course["course_code"].strip(),
            title=course["name_zh"].strip(),
            credits=Decimal(str(course["credits"])).normalize() + 0,
            stage=(course.get("stage") or "1").strip(),
            group=course.get("group_id"),
        )
        for course in program["courses"]
    ]


def is_day_bachelor(program: dict[str, Any]) -> bool:
    return program["matric"] == DAY_BACHELOR_MATRIC and program["title"].strip().startswith(DAY_BACHELOR_PREFIX)


def is_pool(program: dict[str, Any]) -> bool:
    return GEN_ED_POOL_MARK in program["title"] or SCHOOL_POOL_MARK in program["title"]


def read_pools(programs: list[dict[str, Any]]) -> Pools:
    pools = Pools()
    marks = {mark for mark, _ in GEN_ED_DIMENSIONS.values()}
    for program in programs:
        title = short_title(program["title"])
        if GEN_ED_POOL_MARK in title:
            found = [mark for mark in marks if f"－{mark}】" in title or f"-{mark}】" in title]
            if len(found) != 1:
                raise GenerationError(f"gen-ed pool {program['division']} {title!r}: unknown 博雅 dimension")
            pools.gen_ed[found[0]] = sorted(entries_of(program), key=lambda e: e.code)
        elif SCHOOL_POOL_MARK in title and ENGLISH_POOL_MARK in title:
            for entry in sorted(entries_of(program), key=lambda e: (e.year, e.semester, e.code)):
                pools.english.setdefault(entry.year, []).append(entry)
    missing = sorted(marks - set(pools.gen_ed))
    if missing:
        raise GenerationError(f"no 通識中心 博雅 pool for dimension(s) {', '.join(missing)}")
    if set(pools.english) != set(ENGLISH_SLOTS.values()):
        raise GenerationError(f"共同英文 pool covers study years {sorted(pools.english)}, expected 1 and 2")
    return pools


def gen_ed_slot(title: str) -> str | None:
    """The 博雅 dimension mark a △ slot asks for (`*` for any dimension), or None when it is not a 博雅 slot."""
    if title in GEN_ED_ANY_SLOTS:
        return "*"
    match = GEN_ED_DESIGNATED.match(title)
    if match is None:
        return None
    dimension = match.group("dimension")
    if dimension not in GEN_ED_DIMENSIONS:
        raise GenerationError(f"unknown 學院指定向度 dimension {dimension!r}")
    return GEN_ED_DIMENSIONS[dimension][0]


def department_names(code: str, name_zh: str) -> tuple[str, str | None]:
    match = DEPARTMENT_NAME.match(name_zh)
    if match is None:
        raise GenerationError(f"{code}: cannot read the department name {name_zh!r}")
    program, group = match.group("program"), match.group("group")
    if program not in PROGRAM_EN:
        raise GenerationError(f"{code}: no English name for program {program!r}; add it to PROGRAM_EN")
    english = PROGRAM_EN[program]
    if group is not None:
        if group not in GROUP_EN:
            raise GenerationError(f"{code}: no English name for {group!r}; add it to GROUP_EN")
        english = f"{english} ({GROUP_EN[group]})"
    return english, COLLEGE_OF.get(program)


def read_departments(programs: list[dict[str, Any]]) -> list[Department]:
    departments = []
    for program in programs:
        code = program["division"].strip()
        name_zh = short_title(program["title"])
        name_en, college = department_names(code, name_zh)
        department = Department(code, name_zh, name_en, college)
        for entry in sorted(entries_of(program), key=lambda e: (e.year, e.semester, e.symbol, e.code, e.stage)):
            if entry.symbol in (PROFESSIONAL_REQUIRED, PROFESSIONAL_ELECTIVE):
                department.professional.setdefault(entry.code, entry.title)
            if entry.symbol == COMMON_REQUIRED:
                if gen_ed_slot(entry.title) is not None:
                    department.gen_ed += entry.credits
                else:
                    department.school_common += entry.credits
            if entry.symbol not in REQUIRED_SYMBOLS:
                continue
            if entry.group:
                match = GROUP.match(entry.group)
                if match is None:
                    raise GenerationError(f"{code}: cannot read group id {entry.group!r}")
                need = Decimal(match.group("credits")).normalize() + 0
                _, members = department.groups.setdefault(match.group("group"), (need, []))
                members.append(entry)
                continue
            department.required.append(entry)
            if entry.symbol == PROFESSIONAL_REQUIRED:
                department.professional_required += entry.credits
        for need, members in department.groups.values():
            if all(member.symbol == PROFESSIONAL_REQUIRED for member in members):
                department.professional_required += need
        department.required.sort(key=lambda e: e.sort_key)
        if department.professional_elective < 0:
            raise GenerationError(f"{code}: required credits exceed {TOTAL_MIN - FREE_MIN}")
        departments.append(department)
    return sorted(departments, key=lambda d: d.code)


def repeatable_titles(programs: list[dict[str, Any]]) -> list[str]:
    """Titles of courses taken in several semesters under one code (stage `k / n`, n >= 2), in any program."""
    titles = set()
    for program in programs:
        for entry in entries_of(program):
            match = STAGE.match(entry.stage)
            if match is not None and int(match.group(2)) >= 2:
                titles.add(entry.title)
    titles.add(PE_TITLE)
    return sorted(titles)


# --- building the YAML data -------------------------------------------------------------------------------


class Flow(dict[str, Any]):
    """A mapping written on one line (`{code: ..., title: ..., credits: ...}`)."""


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def localized(zh: str, en: str) -> dict[str, str]:
    return {"zh-TW": zh, "en": en}


def course_ref(entry: Entry) -> Flow:
    return Flow(code=entry.code, title=entry.title, credits=number(entry.credits))


def tags_of(entry: Entry) -> list[str]:
    tags = []
    if entry.title == PE_TITLE:
        tags.append("pe")
    if entry.title.startswith(MILITARY_PREFIX):
        tags.append("military")
    return tags


@dataclass(slots=True)
class SlotAlternatives:
    """Shared alternative lists (written once as YAML anchors, then referred to)."""

    by_dimension: dict[str, list[Flow]]
    any_dimension: list[Flow]
    english: dict[int, list[Flow]]
    anchors: dict[int, str]

    @classmethod
    def build(cls, pools: Pools, designated_slots: dict[str, tuple[str, str]]) -> SlotAlternatives:
        anchors: dict[int, str] = {}
        by_dimension = {}
        for mark, anchor in sorted((mark, anchor) for mark, anchor in GEN_ED_DIMENSIONS.values()):
            refs = [course_ref(entry) for entry in pools.gen_ed[mark]]
            by_dimension[mark] = refs
            anchors[id(refs)] = f"gen-ed-{anchor}"
        any_dimension = [Flow(code=code, title=title) for code, (title, _) in sorted(designated_slots.items())]
        for mark in sorted(pools.gen_ed):
            any_dimension += [course_ref(entry) for entry in pools.gen_ed[mark]]
        anchors[id(any_dimension)] = "gen-ed-any"
        english = {}
        for year, entries in sorted(pools.english.items()):
            english[year] = [course_ref(entry) for entry in entries]
            anchors[id(english[year])] = f"common-english-year-{year}"
        return cls(by_dimension, any_dimension, english, anchors)

    def for_entry(self, entry: Entry) -> list[Flow] | None:
        if entry.symbol != COMMON_REQUIRED:
            return None
        mark = gen_ed_slot(entry.title)
        if mark == "*":
            return self.any_dimension
        if mark is not None:
            return self.by_dimension[mark]
        if entry.title in ENGLISH_SLOTS:
            return self.english[ENGLISH_SLOTS[entry.title]]
        return None


def required_ref(entry: Entry, slots: SlotAlternatives) -> Flow | dict[str, Any]:
    alternatives = slots.for_entry(entry)
    if alternatives is None:
        return course_ref(entry)
    return {
        "code": entry.code,
        "title": entry.title,
        "credits": number(entry.credits),
        "alternatives": alternatives,
    }


def overrides(departments: list[Department], attribute: str, base: int) -> list[dict[str, Any]]:
    """One override per minimum that differs from the regulation's, for the departments that have it."""
    by_value: dict[Decimal, list[str]] = defaultdict(list)
    for department in departments:
        value: Decimal = getattr(department, attribute)
        if value != base:
            by_value[value].append(department.code)
    return [{"when": {"department": sorted(codes)}, "min": number(value)} for value, codes in sorted(by_value.items())]


def credits_requirement(
    requirement_id: str,
    title: dict[str, str],
    minimum: int,
    include: list[str],
    cites: str,
    *,
    exclude_tags: list[str] | None = None,
    overflow: dict[str, Any] | None = None,
    note: dict[str, str] | None = None,
    min_overrides: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    node: dict[str, Any] = {"id": requirement_id, "kind": "credits", "title": title, "cites": cites}
    if note is not None:
        node["note"] = note
    node["min"] = minimum
    node["include"] = {"category": include}
    if exclude_tags:
        node["exclude"] = {"tags": exclude_tags}
    if overflow is not None:
        node["overflow"] = overflow
    if min_overrides:
        node["overrides"] = min_overrides
    return node


def standard_cite(department: Department) -> str:
    return f"NTUT 115 學年度日間部四技課程標準 {department.code} {department.name_zh}（▲ 校訂專業必修、△ 校訂共同必修）"


def department_requirements(department: Department, slots: SlotAlternatives) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = [
        {
            "id": f"dept-{department.code}",
            "kind": "courses",
            "title": localized(f"{department.name_zh} 必修科目", f"Required courses: {department.name_en}"),
            "cites": standard_cite(department),
            "applies_to": {"department": [department.code]},
            "courses": [required_ref(entry, slots) for entry in department.required],
        }
    ]
    for group_id, (need, members) in sorted(department.groups.items()):
        members = sorted(members, key=lambda e: e.sort_key)
        title = localized(
            f"{department.name_zh} 必修群組 {group_id}（{number(need)} 學分）",
            f"Required group {group_id} ({number(need)} credits): {department.name_en}",
        )
        node: dict[str, Any] = {
            "id": f"dept-{department.code}-group-{group_id}",
            "title": title,
            "cites": standard_cite(department),
            "applies_to": {"department": [department.code]},
        }
        sizes = {member.credits for member in members}
        if len(sizes) == 1 and (size := sizes.pop()) > 0 and need % size == 0:
            node["kind"] = "courses"
            node["courses"] = [course_ref(member) for member in members]
            node["min"] = int(need / size)
        else:
            node["kind"] = "credits"
            node["min"] = number(need)
            node["include"] = {"codes": sorted({member.code for member in members})}
        nodes.append(node)
    return nodes


def graduation_policy(departments: list[Department], pools: Pools) -> tuple[dict[str, Any], dict[int, str]]:
    """The policy data and the names of the anchors of its shared alternative lists."""
    designated = designated_slot_codes(departments)
    slots = SlotAlternatives.build(pools, designated)
    gen_ed = credits_requirement(
        "gen-ed",
        localized("通識博雅", "Liberal-arts general education"),
        GEN_ED_MIN,
        ["gen-ed"],
        f"{REGULATION}：共同必修—通識博雅 15 學分（至多 4 學分計入跨域及自由選修）",
        overflow={"into": "free", "max": GEN_ED_INTO_FREE_MAX},
        min_overrides=overrides(departments, "gen_ed", GEN_ED_MIN),
    )
    school_common = credits_requirement(
        "school-common",
        localized("校定共同必修", "School common required courses"),
        SCHOOL_COMMON_MIN,
        ["common-required"],
        f"{REGULATION}：共同必修—校定共同 13 學分",
        min_overrides=overrides(departments, "school_common", SCHOOL_COMMON_MIN),
    )
    professional_note = localized(
        "規定所列 65／19 為能源系之例；各系必修學分依 115 學年度課程標準（▲ 合計）另定，"
        "專業選修為 132 − 共同必修 − 專業必修 − 跨域及自由選修 20。",
        "The regulation's 65 / 19 split is its 能源系 example; each department's professional-required minimum "
        "is the ▲ total of its 115 standard, and its professional-elective minimum is what remains of 132 after "
        "common, professional-required and the 20 cross-domain / free credits.",
    )
    credits_group = {
        "id": "credits",
        "kind": "all",
        "title": localized("最低畢業學分", "Minimum graduation credits"),
        "cites": f"{REGULATION}：最低畢業學分 132 = 共同必修 28 + 專業必修 65 + 專業選修 19 + 跨域及自由選修 20",
        "exclusive": True,
        "total": {"min": TOTAL_MIN},
        "children": [
            {
                "id": "common-required",
                "kind": "all",
                "title": localized("共同必修", "Common required"),
                "cites": f"{REGULATION}：共同必修 28 學分（通識博雅 15 + 校定共同 13）",
                "children": [gen_ed, school_common],
            },
            credits_requirement(
                "professional-required",
                localized("專業必修", "Professional required"),
                PROFESSIONAL_REQUIRED_MIN,
                ["professional-required"],
                f"{REGULATION}：專業必修 65 學分",
                note=professional_note,
                min_overrides=overrides(departments, "professional_required", PROFESSIONAL_REQUIRED_MIN),
            ),
            credits_requirement(
                "professional-elective",
                localized("專業選修", "Professional electives"),
                PROFESSIONAL_ELECTIVE_MIN,
                ["professional-elective"],
                f"{REGULATION}：專業選修 19 學分（超修學分計入跨域及自由選修）",
                overflow={"into": "free"},
                note=professional_note,
                min_overrides=overrides(departments, "professional_elective", PROFESSIONAL_ELECTIVE_MIN),
            ),
            credits_requirement(
                "free",
                localized("跨域及自由選修", "Cross-domain and free electives"),
                FREE_MIN,
                ["free", "cross-domain"],
                f"{REGULATION}：跨域及自由選修 20 學分",
                exclude_tags=["military"],
                note=localized(
                    "全民國防教育（tag military）學分不計入畢業學分；體育選修計入。",
                    "All-out defence education (tag military) does not count toward graduation; PE electives do.",
                ),
            ),
        ],
    }
    required_children: list[dict[str, Any]] = []
    for department in departments:
        required_children.extend(department_requirements(department, slots))
    required_courses = {
        "id": "required-courses",
        "kind": "all",
        "title": localized("系定必修科目", "Required courses of the department"),
        "cites": "NTUT 115 學年度日間部四技課程標準（▲ 校訂專業必修、△ 校訂共同必修）",
        "note": localized(
            "115 學年度課程標準代 112–114 學年度入學者適用（資料中唯一之課程標準）。",
            "The 115 standard stands in for students admitted 112-114 (the only standard in the data).",
        ),
        "children": required_children,
    }
    policy = {
        "schema": "menkan.policy/1",
        "id": "ntut-graduation",
        "institution": "ntut",
        "title": localized("日間部四技畢業學分", "Graduation credits, day-division four-year bachelor programs"),
        "cites": REGULATION,
        "applies_to": {
            "division": ["day-bachelor"],
            "degree": ["bachelor"],
            "admitted": {"from": ADMITTED_FROM},
        },
        "requirements": [
            {
                "id": "graduation",
                "kind": "all",
                "title": localized("畢業條件", "Graduation requirements"),
                "cites": REGULATION,
                "children": [credits_group, required_courses],
            },
            cross_domain_requirement(),
        ],
    }
    return policy, slots.anchors


def cross_domain_requirement() -> dict[str, Any]:
    """The 112+ cross-domain condition: one micro-program (micro-programs.yaml), program, specialty, minor or major."""
    children: list[dict[str, Any]] = [
        {
            "id": "micro-program",
            "kind": "ref",
            "title": localized("微學程（至少取得 1 個）", "A micro-program"),
            "cites": f"{CROSS_DOMAIN}：至少取得1個微學程(8~12學分)，且非基礎課程類至少 6 學分為跨領域專業課程",
            "ref": "micro-program",
        }
    ]
    for code, zh, en in CROSS_DOMAIN_CREDENTIALS:
        children.append(
            {
                "id": code,
                "kind": "certificates",
                "title": localized(zh, en),
                "cites": f"{CROSS_DOMAIN}：需修畢微學程、一般學程、第二專長、輔系或雙主修以上任一系列課程",
                "min": 1,
                "codes": [f"credential:{code}"],
            }
        )
    return {
        "id": "cross-domain",
        "kind": "any",
        "title": localized("跨領域學習畢業條件", "Cross-domain learning (graduation condition)"),
        "cites": f"{CROSS_DOMAIN}：112學年度起入學之日間部大學部學生跨領域學習畢業條件",
        "note": localized(
            "一般學程、第二專長、輔系、雙主修之修畢以學生紀錄之證書（credential:program、credential:second-specialty、"
            "credential:minor、credential:double-major）表示；微學程見 micro-programs.yaml。",
            "A completed program, second specialty, minor or double major is a certificate in the student's record "
            "(credential:program, credential:second-specialty, credential:minor, credential:double-major); "
            "micro-programs are in micro-programs.yaml.",
        ),
        "applies_to": {"admitted": {"from": ADMITTED_FROM}},
        "children": children,
    }


def designated_slot_codes(departments: list[Department]) -> dict[str, tuple[str, str]]:
    """Placeholder codes of the 博雅 slots in the department standards: code -> (title, dimension mark or `*`)."""
    found: dict[str, tuple[str, str]] = {}
    for department in departments:
        for entry in department.required:
            mark = gen_ed_slot(entry.title) if entry.symbol == COMMON_REQUIRED else None
            if mark is not None:
                found.setdefault(entry.code, (entry.title, mark))
    return dict(sorted(found.items()))


def institution_file(
    departments: list[Department], pools: Pools, repeatable: list[str], data: dict[str, Any]
) -> dict[str, Any]:
    used_colleges = sorted({d.college for d in departments if d.college is not None})
    designated = designated_slot_codes(departments)
    school_common_codes: dict[str, str] = {}
    military: dict[str, str] = {}
    pe: dict[str, str] = {}
    for program in data["programs"]:
        if not is_day_bachelor(program) or is_pool(program):
            continue
        for entry in entries_of(program):
            if entry.symbol == COMMON_REQUIRED and gen_ed_slot(entry.title) is None:
                school_common_codes.setdefault(entry.code, entry.title)
            if "military" in tags_of(entry):
                military.setdefault(entry.code, entry.title)
            if "pe" in tags_of(entry):
                pe.setdefault(entry.code, entry.title)
    dimension_tag = {mark: f"gen-ed:{mark}" for mark, _ in GEN_ED_DIMENSIONS.values()}
    category_rules = {
        "source": f"{STANDARDS_FILE} (entry year {data.get('entry_year')}), day-division 四技 programs",
        "order": ["gen-ed", "common-required", "professional-required", "professional-elective", "free"],
        "gen-ed": {
            "zh-TW": "通識博雅",
            "rule": "a △ 博雅 slot of the standard, or a course of a 通識中心 博雅 pool",
            "slots": [
                Flow(code=code, title=title, dimension=dimension_tag.get(mark, "any"))
                for code, (title, mark) in designated.items()
            ],
            "pools": {
                dimension_tag[mark]: [Flow(code=e.code, title=e.title) for e in pools.gen_ed[mark]]
                for mark in sorted(pools.gen_ed)
            },
        },
        "common-required": {
            "zh-TW": "校定共同必修",
            "rule": "a △ course of the student's standard that is not a 博雅 slot, or a 共同英文 pool course",
            "codes": [Flow(code=code, title=title) for code, title in sorted(school_common_codes.items())],
            "english_pools": {
                slot: [Flow(code=e.code, title=e.title) for e in pools.english[year]]
                for slot, year in sorted(ENGLISH_SLOTS.items(), key=lambda item: item[1])
            },
        },
        "professional-required": {
            "zh-TW": "專業必修",
            "rule": "▲ in the standard of the student's own department",
        },
        "professional-elective": {
            "zh-TW": "專業選修",
            "rule": "★ in the standard of the student's own department",
        },
        "free": {
            "zh-TW": "跨域及自由選修",
            "rule": "anything else: ☆ 共同選修 (PE electives, 全民國防教育), other departments' courses, ...",
        },
    }
    tag_rules = {
        "pe": {"titles": [PE_TITLE], "codes": sorted(pe)},
        "military": {"title_prefix": MILITARY_PREFIX, "codes": sorted(military)},
        "gen-ed:<dimension>": "the 博雅 pool of the course: gen-ed:人文, gen-ed:社法, gen-ed:自然, gen-ed:創創",
    }
    return {
        "schema": "menkan.institution/1",
        "id": "ntut",
        "name": localized("國立臺北科技大學", "National Taipei University of Technology"),
        "grading": {"pass_score": 60, "pass_score_by_degree": {"master": 70, "doctor": 70}, "letters": []},
        "identity": {"same_title": True},
        "repeats": {"repeatable": {"titles": repeatable}},
        "averages": {"measure": "score"},
        "colleges": [{"id": key, "name": localized(*COLLEGES[key])} for key in used_colleges],
        "departments": [
            {"id": d.code, "name": localized(d.name_zh, d.name_en), "college": d.college} for d in departments
        ],
        # What the micro-programs' cross-domain rule counts as a department's own (▲ and ★ of its standard).
        "professional_courses": {
            d.code: [Flow(code=code, title=title) for code, title in sorted(d.professional.items())]
            for d in departments
        },
        # Course-selection maxima and the regular study period (forecasts and study plans). The shipped regulation
        # texts state neither for NTUT: the common 25-credit semester / 12-credit summer maxima of the 選課辦法, and the
        # University Act's bachelor period (大學法 第28條: four years, extendable by up to two), for the registrar to
        # confirm. Semesters on leave do not count (menkan.engine.study).
        "study_load": {
            "semester_max": 25,
            "summer_max": 12,
            "cites": "NTUT 學生選課辦法 (not in the shipped texts; to confirm)",
            "period": {
                "years": 4,
                "extension_years": 2,
                "cites": "大學法 第28條 (NTUT 學則 not in the shipped texts; to confirm)",
            },
        },
        # Micro-program certificates are applied for in weeks 13-18 of a semester (學期第13週-第18週) and reviewed
        # in four steps (證書審核: 微學程聯絡人 → 微學程負責人 → 學生所屬系/班承辦人 → 學生所屬系/班主管).
        "workflows": {
            "micro_programs": {
                "application_weeks": {"first": 13, "last": 18},
                "review": [
                    # the contact judges the program's own review rules, the department the cross-domain courses
                    # (若仍有學生修習跨領域專業課程認定疑慮，則轉由學生所屬系/班之教學單位審核)
                    _review_step("program-contact", "學程聯絡人", "Program contact", "program", judges=True),
                    _review_step("program-head", "學程負責人", "Program head", "program"),
                    _review_step("department-officer", "系所承辦人", "Department officer", "department", judges=True),
                    _review_step("department-head", "系所主管", "Department head", "department"),
                ],
                "cites": "NTUT 微學程證書申請",
            }
        },
        "extra": {"category_rules": category_rules, "tag_rules": tag_rules},
    }


def _review_step(role: str, zh_tw: str, en: str, scope: str, *, judges: bool = False) -> dict[str, Any]:
    """One certificate review step: the holders of `role` whose assignment covers the application's `scope`
    (`judges`: the step may record a judgement on a course, as an exception of the student's record)."""
    step: dict[str, Any] = {
        "id": role,
        "title": {"zh-TW": zh_tw, "en": en},
        "role": role,
        "scope": scope,
        "cites": "NTUT 微學程證書審核",
    }
    if judges:
        step["judges"] = True
    return step


# --- writing ----------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """SafeDumper with named anchors for shared lists and one-line course references."""

    anchor_names: dict[int, str] = {}  # noqa: RUF012  (set per dump)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._node_names: dict[int, str] = {}

    def represent_data(self, data: Any) -> yaml.Node:
        node = super().represent_data(data)
        name = self.anchor_names.get(id(data))
        if name is not None:
            self._node_names[id(node)] = name
        return node

    def generate_anchor(self, node: yaml.Node) -> str:
        name = self._node_names.get(id(node))
        if name is None:
            raise GenerationError("an object is shared in the output without a named anchor")
        return name

    def ignore_aliases(self, data: Any) -> bool:
        return id(data) not in self.anchor_names


def _flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


_NUMBER_LIKE = re.compile(r"^[-+.]?[0-9]")


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Strings that start like a number (`340`, `14E0101`) are quoted, so that no YAML reader takes them for one."""
    style = "'" if _NUMBER_LIKE.match(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Flow, _flow)
_Dumper.add_representer(str, _str)


def header(what: str) -> str:
    return (
        f"# {what}\n"
        f"# GENERATED by {SCRIPT} from the NTUT data {STANDARDS_FILE}: do not edit by hand.\n"
        f"# Change the script (see docs/ntut-generation.md) and re-run it; `--check` verifies this file.\n"
    )


def dump(data: dict[str, Any], anchors: dict[int, str], what: str) -> str:
    dumper = type("Dumper", (_Dumper,), {"anchor_names": anchors})
    body = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False)
    return header(what) + body


def generate(data_dir: Path) -> tuple[dict[str, str], list[Department]]:
    """The files to write (name -> text) and the departments they cover."""
    data = read_standards(data_dir)
    programs = [p for p in data["programs"] if is_day_bachelor(p)]
    pools = read_pools([p for p in programs if is_pool(p)])
    departments = read_departments([p for p in programs if not is_pool(p)])
    policy, anchors = graduation_policy(departments, pools)
    institution = institution_file(departments, pools, repeatable_titles(data["programs"]), data)
    files = {
        "institution.yaml": dump(institution, {}, "NTUT institution settings (menkan.institution/1)."),
        "graduation.yaml": dump(policy, anchors, "NTUT day-division 四技 graduation credits (menkan.policy/1)."),
    }
    return files, departments


def summary(departments: list[Department]) -> str:
    counts = sorted(len(d.required) + sum(len(m) for _, m in d.groups.values()) for d in departments)
    return (
        f"{len(departments)} departments; required courses per department "
        f"min {counts[0]}, median {statistics.median(counts)}, max {counts[-1]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"folder holding {STANDARDS_FILE}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the NTUT policy folder to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ")
    args = parser.parse_args(argv)
    try:
        files, departments = generate(args.data)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out / name).exists() or (args.out / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            print(f"out of date: {', '.join(stale)} (run {SCRIPT})", file=sys.stderr)
            return 1
        print(f"up to date: {', '.join(files)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = args.out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    print(summary(departments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
