"""Generator of the NTUT micro-program policy (micro-programs.yaml) from the 49 real program plans of 115-1.

Reads `mprograms-115-1.json` (each program's course plan and its rules in prose, `rules_text`) and the regulation
教務處〈跨域微學程〉(114-1) for the general rules and the programs marked * (own-department courses only), and
writes `src/menkan/policies/ntut/micro-programs.yaml`. Every sentence of a rules_text is either matched by one of
the explicit patterns below (a condition, encoded), known boilerplate (definitions, course-selection rules,
contacts), or a listed review step; a sentence that states a condition none of them knows stops the script with
an error naming the program (no silent guesses). See docs/ntut-microprograms.md. Deterministic output.

    python scripts/gen_ntut_microprograms.py            # (re)write the policy file
    python scripts/gen_ntut_microprograms.py --check    # exit 1 when the file on disk is not what it would write
    python scripts/gen_ntut_microprograms.py --explain  # print what each program's prose was read as
    python scripts/gen_ntut_microprograms.py --data DIR --regulation FILE --out DIR
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

SCRIPT = "scripts/gen_ntut_microprograms.py"
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_DATA = SHARED / "data" / "ntut"
DEFAULT_REGULATION = SHARED / "regulations" / "001_7694c6b5232cccf5.txt"
DEFAULT_OUT = REPO / "src" / "menkan" / "policies" / "ntut"
PROGRAMS_FILE = "mprograms-115-1.json"
OUT_FILE = "micro-programs.yaml"
GROUP_ID = "micro-program"

REGULATION = "NTUT 教務處〈跨域微學程〉(114-1)"
GENERAL_MIN_CREDITS = 8  # 微學程 8~12學分: the floor when a plan states no minimum
CROSS_DOMAIN_MIN = 6  # 非基礎課程類別科目至少 6 學分「跨領域專業課程」

# --- tiers ------------------------------------------------------------------------------------------------

# The plan's category -> (tier id, zh title, en title); order is the order tiers are listed in.
TIERS: dict[str, tuple[str, str, str]] = {
    "基礎": ("foundation", "基礎課程", "Foundation courses"),
    "核心": ("core", "核心課程", "Core courses"),
    "進階": ("advanced", "進階課程", "Advanced courses"),
    "應用": ("applied", "應用課程", "Applied courses"),
    "總整": ("capstone", "總整課程", "Capstone courses"),
}
FOUNDATION = "基礎"
# category_raw values: the plain tier names, `e基` / `核e` (a remote course of that tier), `＊` (a basic
# programming course of any department, counted in the foundation tier), None (no tier: left out, review step).
RAW_CATEGORY = {"e基": "基礎", "核e": "核心", "＊": "基礎"}

# --- departments ------------------------------------------------------------------------------------------

# Department names used in the plans -> the division codes (department ids of the NTUT policy) whose students
# belong to that department: its own 四技 division and the college 學士班 track of the same department.
DEPARTMENTS: dict[str, list[str]] = {
    "機械工程系": ["300", "811"],
    "機械系": ["300", "811"],
    "電機系": ["310", "821"],
    "化學工程與生物科技系": ["320", "831"],
    "材資系": ["331", "332", "832", "833"],
    "材料及資源工程系": ["331", "332", "832", "833"],
    "土木工程系": ["340", "834"],
    "土木系": ["340", "834"],
    "分子系": ["350", "835"],
    "分子科學與工程系": ["350", "835"],
    "電子系": ["360", "822"],
    "工業工程與管理系": ["370"],
    "工業設計系": ["381", "383", "841", "842"],
    "建築系": ["390", "843"],
    "車輛系": ["440", "812"],
    "車輛工程系": ["440", "812"],
    "能源與冷凍空調工程系": ["450", "813"],
    "英文系": ["540"],
    "應用英文系": ["540"],
    "經管系": ["570"],
    "資工系": ["590", "823"],
    "資訊工程系": ["590", "823"],
    "光電系": ["650", "824"],
    "光電工程系": ["650", "824"],
    "文發系": ["A50"],
    "資財系": ["AB0"],
    "資訊與財金管理系": ["AB0"],
    "互動系": ["AC1", "AC2", "844", "845"],
    "互動設計系": ["AC1", "AC2", "844", "845"],
    # units without bachelor students of their own
    "電資學院": [],
    "環境工程與管理研究所": [],
}

# Colleges named in the plans -> their departments' division codes (the NTUT policy's college `eecs`).
COLLEGES: dict[str, list[str]] = {"電資學院": ["310", "360", "590", "650", "821", "822", "823", "824"]}

# Host units the prose does not name, from the regulation's table 114學年度微學程分布現況.
HOST_FROM_TABLE = {"AV4": "互動系"}  # 互動系 3: 生醫輔助科技、多媒體人機互動應用與設計、元宇宙*

ZH_NUMBERS = {"一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def to_int(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + ZH_NUMBERS[text[1]]
    if text.endswith("十"):
        return ZH_NUMBERS[text[0]] * 10
    if len(text) == 1 and text in ZH_NUMBERS:
        return ZH_NUMBERS[text]
    raise GenerationError(f"cannot read the number {text!r}")


class GenerationError(Exception):
    """The data holds something this generator does not know how to map (fix the script, not the output)."""


# --- what a program's rules say ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """A review step: a check the program contact (or the student's department) makes by judgement."""

    id: str
    zh: str
    en: str


@dataclass(slots=True)
class Rules:
    """The conditions found in one rules_text."""

    min_credits: int | None = None
    tier_min: dict[str, int] = field(default_factory=dict)  # plan category -> minimum courses
    tiers_named: set[str] = field(default_factory=set)  # categories the prose names as required
    in_person: bool = False
    rules: list[dict[str, Any]] = field(default_factory=list)  # extra outside / count rules
    eligibility: dict[str, list[str]] = field(default_factory=dict)
    exclusive_names: list[str] = field(default_factory=list)
    substitutions: list[tuple[list[str], str]] = field(default_factory=list)  # (codes, code they stand for)
    steps: list[Step] = field(default_factory=list)
    host: str | None = None
    # (tier category, department name, "only" | "except", title): a department's students may count in that tier
    # only that title, or every course but that title; from the term `restricted_from` (admission) on.
    tier_exclusions: list[tuple[str, str, str, str]] = field(default_factory=list)
    restricted_from: str | None = None
    encoded: list[str] = field(default_factory=list)  # what was understood, for the docs

    def step(self, step: Step) -> None:
        if step not in self.steps:
            self.steps.append(step)


TIER_NAME = "(基礎|核心|總整|進階|應用)"
NUM = r"(\d+|[一二兩三四五六七八九十]+)"
# A "sentence" handler gets the match and the rules; it records what the sentence says.
Handler = Callable[[re.Match[str], Rules], None]


def _min_credits(m: re.Match[str], r: Rules) -> None:
    r.min_credits = to_int(m.group("credits"))
    r.encoded.append(f"min credits {r.min_credits}")
    if m.group("courses"):
        _count_rule(r, "courses", to_int(m.group("courses")), None)


def _count_rule(r: Rules, rule_id: str, minimum: int, tiers: list[str] | None) -> None:
    rule: dict[str, Any] = {"id": rule_id, "min": minimum, "unit": "courses", "test": "any"}
    if tiers is not None:
        rule["tiers"] = tiers
    r.rules.append(rule)
    r.encoded.append(f"at least {minimum} courses" + (f" in {'+'.join(tiers)}" if tiers else ""))


def _every_tier(m: re.Match[str], r: Rules) -> None:
    names = re.findall(TIER_NAME, m.group("tiers"))
    for name in names:
        r.tier_min[name] = max(r.tier_min.get(name, 0), 1)
        r.tiers_named.add(name)
    if m.groupdict().get("in_person"):
        r.in_person = True
        r.encoded.append("tier minimums count in-person courses only")


def _tier_each(m: re.Match[str], r: Rules) -> None:
    numbers = [to_int(n) for n in re.split(r"\s*[,、]\s*", m.group("numbers").strip())]
    names = re.findall(TIER_NAME, m.group("tiers"))
    if len(numbers) != len(names):
        raise GenerationError(f"tier list {names} and minimums {numbers} differ in length")
    for name, number in zip(names, numbers, strict=True):
        r.tier_min[name] = number
        r.tiers_named.add(name)


def _tier_one(m: re.Match[str], r: Rules) -> None:
    r.tier_min[m.group("tier")] = to_int(m.group("n"))
    r.tiers_named.add(m.group("tier"))


def _two_tiers_one(m: re.Match[str], r: Rules) -> None:
    for name in (m.group("a"), m.group("b")):
        r.tier_min[name] = to_int(m.group("n"))
        r.tiers_named.add(name)


def _cross_domain(m: re.Match[str], r: Rules) -> None:
    # The regulation's general rule (non-foundation credits, 6): encoded once for every program.
    r.encoded.append("cross-domain 6 credits (general rule)")


def _not_own_courses(m: re.Match[str], r: Rules) -> None:
    r.rules.append({"id": "outside-courses", "min": to_int(m.group("n")), "unit": "courses", "test": "own-list"})
    r.encoded.append(f"at least {to_int(m.group('n'))} courses not of the own department")


def _not_own_credits_all(m: re.Match[str], r: Rules) -> None:
    r.rules.append({"id": "outside-credits", "min": to_int(m.group("n")), "unit": "credits", "test": "own-list"})
    r.encoded.append(f"at least {to_int(m.group('n'))} credits (any tier) not of the own department")


def _offered_outside(m: re.Match[str], r: Rules) -> None:
    tiers = [TIERS[name][0] for name in re.findall(TIER_NAME, m.group("tiers"))]
    r.rules.append(
        {"id": "offered-outside", "min": to_int(m.group("n")), "unit": "courses", "test": "offered-by", "tiers": tiers}
    )
    r.encoded.append(f"at least {to_int(m.group('n'))} courses of {'+'.join(tiers)} offered by another unit")


def _tiers_total(m: re.Match[str], r: Rules) -> None:
    tiers = [TIERS[name][0] for name in re.findall(TIER_NAME, m.group("tiers"))]
    _count_rule(r, "tier-courses", to_int(m.group("n")), tiers)


def _total_courses(m: re.Match[str], r: Rules) -> None:
    _count_rule(r, "courses", to_int(m.group("n")), None)


def _eligibility_not(m: re.Match[str], r: Rules) -> None:
    codes = department_codes(m.group("dept"))
    r.eligibility.setdefault("department_not", []).extend(codes)
    r.encoded.append(f"not for {m.group('dept')} students")


def _eligibility_only(m: re.Match[str], r: Rules) -> None:
    names = re.findall(r"(?:設計學院|工程學院)?([^與、]+?系)", m.group("depts"))
    for name in names:
        r.eligibility.setdefault("department", []).extend(department_codes(name))
    r.encoded.append(f"only for {', '.join(names)} students")


def _exclusive(m: re.Match[str], r: Rules) -> None:
    r.exclusive_names = [m.group("a"), m.group("b")]
    r.encoded.append("only one of two programs")


def _substitution(m: re.Match[str], r: Rules) -> None:
    codes = re.findall(r"[0-9A-Z]{7}", m.group("from"))
    targets = re.findall(r"[0-9A-Z]{7}", m.group("to"))
    if not codes or len(targets) != 1:
        raise GenerationError(f"cannot read the substitution {m.group(0)!r}")
    r.substitutions.append((codes, targets[0]))
    r.encoded.append(f"{'/'.join(codes)} stands for {targets[0]}")


def _host(m: re.Match[str], r: Rules) -> None:
    r.host = m.group("unit").strip()


def _step(step: Step) -> Handler:
    def record(m: re.Match[str], r: Rules) -> None:
        r.step(step)

    return record


def _steps(*steps: Step) -> Handler:
    def record(m: re.Match[str], r: Rules) -> None:
        for step in steps:
            r.step(step)

    return record


def _ignore(m: re.Match[str], r: Rules) -> None:
    return None


UNLISTED = Step(
    "unlisted-courses",
    "未列於課程規劃書之相關課程，須事先經學程聯絡人確認是否認可",
    "A related course not on the plan counts only if the program contact agrees beforehand",
)
PROGRAMMING = Step(
    "programming-course",
    "基礎程式設計課程含各系所（含通識）之相關課程：規劃書以外者由學程聯絡人認定",
    "Any department's (or general education's) basic programming course fills the foundation tier: the contact "
    "decides which courses beyond the plan's qualify",
)
SAME_CONTENT = Step(
    "same-content",
    "課程名稱及內容相同之科目不得重複修習（內容相同由學程聯絡人認定）",
    "Courses of the same title and content may not both count (the contact judges same content)",
)
STUDY_PLAN = Step(
    "study-plan",
    "修讀應先行報名並繳交修習規劃書，作為選課審核",
    "Students apply first and hand in a study plan, which the program reviews",
)

# (name, pattern, handler). Patterns match inside one item (a numbered paragraph, joined); each must say
# something specific. Order matters only where patterns overlap (the first that matches a span takes it).
PATTERNS: list[tuple[str, str, Handler]] = [
    # minimum credits (and AVG's "3門課、8學分")
    (
        "min-credits",
        rf"(?:應|須)?至少修畢\s*(?:本微學程規劃之課程)?\s*(?:(?P<courses>{NUM})\s*門課、)?\s*(?P<credits>{NUM})\s*學分",
        _min_credits,
    ),
    # per-tier minimums
    # AVK / AVS: "各系所(含通識)之基礎...課程至少一門、資工系核心課程至少一門、及資工系總整課程至少一門"
    (
        "listed-tiers-one",
        r"各系所\(含通識\)之基礎(?:程式設計)?課程至少一門、(?P<rest>.*?(?:總整課程(?:各)?至少一門))",
        lambda m, r: _every_tier_names(["基礎", *re.findall(TIER_NAME, m.group("rest"))], r),
    ),
    (
        "tier-each",
        rf"(?P<tiers>(?:{TIER_NAME}課程[、與及]?\s*)+)三類皆應修習至少分別\s*(?P<numbers>\d+(?:\s*[,、]\s*\d+)+)\s*門",
        _tier_each,
    ),
    (
        "every-tier",
        rf"(?P<tiers>(?:「?{TIER_NAME}(?:課程)?」?[、與及]\s*(?:與|及)?\s*)+「?{TIER_NAME}(?:課程)?」?)"
        rf"(?:三類|類|課程|\s*)?[，,]?\s*(?:每類|各類均|三類皆|皆|各)?\s*應(?:修習)?\s*(?:至少)?\s*(?:各修習?|各)?\s*"
        rf"(?:至少)?\s*(?:一|1)\s*門(?P<in_person>實體課程)?",
        _every_tier,
    ),
    ("every-tier-each", rf"(?P<tiers>(?:{TIER_NAME}課程及?\s*)+)應修習至少各一門", _every_tier),
    (
        "two-tiers-one",
        rf"(?P<a>{TIER_NAME})課程與(?P<b>{TIER_NAME})課程皆至少\s*(?P<n>{NUM})\s*門",
        _two_tiers_one,
    ),
    (
        "tier-one",
        rf"(?P<tier>{TIER_NAME})課程(?:類)?\s*(?:應|須)?\s*(?:修習)?\s*(?:至少)?\s*(?P<n>{NUM})\s*門",
        _tier_one,
    ),
    ("tier-one-leading", rf"包含(?P<tier>{TIER_NAME})課程(?P<n>{NUM})門", _tier_one),
    (
        "college-required",
        r"(?P<college>電資學院)學生應修習(?P<titles>「[^」]+」(?:與「[^」]+」)+)",
        lambda m, r: _college_required(m, r),
    ),
    (
        "restriction-scope",
        r"惟(?P<depts>(?:[^、]+系、)*[^、]+系)學生認列須受下列限制;?\s*"
        r"(?P<year>\d+)\s*學年度\(含\)前入學之學生不受此條件限制",
        lambda m, r: _restriction_scope(m, r),
    ),
    (
        "tier-only",
        rf"(?P<dept>\S+?系)學生於「(?P<tier>{TIER_NAME})課程」類別科目[,，]\s*僅得修讀「(?P<title>[^」]+)」",
        lambda m, r: r.tier_exclusions.append((m.group("tier"), m.group("dept"), "only", m.group("title"))),
    ),
    (
        "tier-except",
        rf"(?P<dept>\S+?系)學生於「(?P<tier>{TIER_NAME})課程」類別科目[,，]\s*除「(?P<title>[^」]+)」外[,，]其餘課程均可修讀",
        lambda m, r: r.tier_exclusions.append((m.group("tier"), m.group("dept"), "except", m.group("title"))),
    ),
    ("specialty-split", r"核心課程類於土木與建築專業應修習各至少一門", lambda m, r: _specialty_split(r)),
    ("total-courses", rf"總計修畢本微學程(?:至少)?\s*(?P<n>{NUM})\s*門課程", _total_courses),
    ("total-courses-sum", rf"合計至少\s*(?P<n>{NUM})\s*門課", _total_courses),
    (
        "tiers-total",
        rf"(?P<tiers>{TIER_NAME}課程加{TIER_NAME}課程)合計修習至少\s*(?P<n>{NUM})\s*門",
        _tiers_total,
    ),
    # cross-domain professional credits
    (
        "cross-domain",
        r"(?:所修之?|所修「)?非基礎課程」?類別科目至少\s*(?:6|六)\s*學分須符合學生所屬系(?:\(班\))?\s*"
        r"「跨領域專業課程」(?:之?\s*條\s*件)?",
        _cross_domain,
    ),
    (
        "cross-domain-apply",
        rf"學生申請認證之(?:{TIER_NAME})或(?:{TIER_NAME})課程應至少\s*6\s*學分"
        r"(?:非學生原系之專業課程|須符合學生所屬系\(班\)「跨領域專業課程」之條件)",
        _cross_domain,
    ),
    ("cross-domain-tiers", r"核心、總整課程應修科目至少6學分非屬原系課程", _cross_domain),
    ("not-own-credits", rf"應修科目至少有(?P<n>{NUM})學分數非屬原系課程", _not_own_credits_all),
    ("not-own-courses", rf"修習至少(?P<n>{NUM})門為非原系課程", _not_own_courses),
    (
        "offered-outside",
        rf"(?P<tiers>{TIER_NAME}與{TIER_NAME})課程中，至少有(?P<n>{NUM})門非為學生所屬系\(班\)開設之專業課程",
        _offered_outside,
    ),
    # eligibility and exclusion
    ("not-for", r"修讀對象為本校(?:及臺北聯合大學系統)?非(?P<dept>\S+?系)(?:相關)?之各學制學生", _eligibility_not),
    ("only-for", r"修讀對象為(?P<depts>設計學院建築系與工程學院土木工程系)各學制學生", _eligibility_only),
    ("exclusive", r"「(?P<a>[^」]+微學程)」與「(?P<b>[^」]+微學程)」僅得擇一修習", _exclusive),
    # substitutions between listed courses
    ("substitution", r"「[^」]+」(?P<from>〔[^〕]+〕)可抵認「[^」]+」?(?P<to>〔[^〕]+〕)", _substitution),
    ("host", r"(?:微學程|學程)設置主責單位[:：]\s*(?P<unit>\S+)", _host),
    # review steps: what the prose leaves to judgement
    ("unlisted", r"(?:若|如)有未列於上述課程規[劃畫]", _step(UNLISTED)),
    ("programming", r"基礎課程中(?:須修習各系所\(含通識\)之)?基礎程式設計課程(?:至少一門)?", _step(PROGRAMMING)),
    ("same-content", r"惟課程名稱及內容相同之科目，不得重複修習", _step(SAME_CONTENT)),
    ("study-plan", r"此微學程修讀應先行報名，並繳交修習規劃書", _step(STUDY_PLAN)),
]


def _college_required(m: re.Match[str], r: Rules) -> None:
    titles = re.findall(r"「([^」]+)」", m.group("titles"))
    codes = COLLEGES[m.group("college")]
    r.rules.append(
        {"id": "college-required", "min": len(titles), "unit": "courses", "test": "listed", "titles": titles}
        | {"when": {"department": codes}}
    )
    r.encoded.append(f"{m.group('college')} students must take {', '.join(titles)}")


def _restriction_scope(m: re.Match[str], r: Rules) -> None:
    # "…restrictions below; students admitted in <year> or earlier are exempt": they apply from <year + 1>-1.
    r.restricted_from = f"{int(m.group('year')) + 1}-1"


def _specialty_split(r: Rules) -> None:
    # AVL: one core course in each of two specialties: two core courses, the split checked by the contact
    r.tier_min["核心"] = 2
    r.tiers_named.add("核心")
    r.step(
        Step(
            "specialty-split",
            "核心課程須於土木與建築專業各修習至少一門（由學程聯絡人認定課程歸屬）",
            "The core courses must include at least one civil-engineering and one architecture course (the "
            "contact decides which is which)",
        )
    )


def _every_tier_names(names: list[str], r: Rules) -> None:
    for name in names:
        r.tier_min[name] = max(r.tier_min.get(name, 0), 1)
        r.tiers_named.add(name)


# Program-specific sentences that are conditions a person judges: (program, pattern) -> review step.
REVIEWED: list[tuple[str, str, Step]] = [
    (
        "AV6",
        r"其中專業必修課程，專業選修課程應至少各修習一門",
        Step(
            "professional-kinds",
            "專業必修課程、專業選修課程應至少各修習一門（規劃書未標示何者為必修／選修，由學程聯絡人認定）",
            "At least one professional-required and one professional-elective course (the plan does not mark "
            "which is which: the contact decides)",
        ),
    ),
    (
        "AVC",
        r"總整課程類應修習本系或他系的智慧感測相關領域之實務專題類課程至少1門",
        Step(
            "capstone-kind",
            "總整課程應為本系或他系智慧感測相關領域之實務專題類課程（由學程聯絡人認定）",
            "The capstone course must be a practical project in a smart-sensing field (the contact decides)",
        ),
    ),
    (
        "AVD",
        r"基礎與核心課程，應修習必修課程各一門，總整課程選修至少一門(?:，其餘學分可自行於課程類別逕行修習)?",
        Step(
            "required-courses",
            "基礎與核心課程應各修習必修課程一門（資料未標示必修課程，由學程聯絡人認定）",
            "One required course each in the foundation and core tiers (the data does not mark them: the "
            "contact decides)",
        ),
    ),
    (
        "AVH",
        r"分為英文領域及經管領域，需選擇一領域修讀",
        Step(
            "domain-choice",
            "基礎、核心、總整課程分為英文領域（英文系 54xxxxx、共同英文 14Exxxx）及經管領域（經管系 57xxxxx），"
            "須選擇一領域修讀（由學程聯絡人認定）",
            "Courses form an English domain (英文系 54xxxxx, common English 14Exxxx) and a business domain "
            "(經管系 57xxxxx): the student chooses one and takes its courses (the contact checks)",
        ),
    ),
    (
        "AVS",
        r"資工系及資財系學生除基礎課程外，僅得分別修讀",
        Step(
            "department-track",
            "資工系、資財系學生除基礎課程外，僅得分別修讀「金融資訊安全管理與稽核」及「軟體安全與新興資安技術」"
            "主軸課程，始得認證為跨領域學習畢業條件（主軸由學程聯絡人認定）",
            "Students of 資工系 and 資財系 may count (beyond foundation) only the 金融資訊安全管理與稽核 and "
            "軟體安全與新興資安技術 tracks respectively (the contact decides the tracks)",
        ),
    ),
    (
        "AVU",
        r"惟互動系學生與本微學程性質相似\(同\)之課程，不得作為微學程修畢條件",
        Step(
            "similar-courses",
            "互動系學生與本微學程性質相似（同）之課程不得作為修畢條件（由學程聯絡人認定）",
            "For 互動系 students, courses similar to the program's may not count (the contact decides)",
        ),
    ),
    (
        "AZ7",
        r"總整課程為各系\(班\)校外實習，須以\s*1\.海外實習方式或2\.\s*國際交換生方式申請抵免校外實習",
        Step(
            "capstone-kind",
            "總整課程為各系（班）校外實習，須以海外實習或國際交換生方式申請抵免（由學程聯絡人認定）",
            "The capstone is a department internship taken abroad or as an exchange student (the contact decides)",
        ),
    ),
    (
        "AZ7",
        r"修習總整課程時應己完成基礎課程或核心課程至少合計六學分",
        Step(
            "sequence",
            "修習總整課程時應已完成基礎或核心課程合計至少六學分",
            "Before the capstone course, at least six credits of foundation or core courses must be complete",
        ),
    ),
    (
        "AZJ",
        r"為台藝大古蹟系開設之課程|為清華大學藝設系開設之課程|為台藝大工藝系開設之課程",
        Step(
            "partner-courses",
            "部分課程由臺灣藝術大學、清華大學開設（校際選課），其學分認列由學程聯絡人確認",
            "Some courses are offered by partner universities (NTUA, NTHU): the contact confirms their credits",
        ),
    ),
]

# Sentences that state no condition of completing the program (definitions, course-selection rules of the
# school, contacts, pointers, advice). Matched per item; a whole item that matches is skipped.
BOILERPLATE = [
    r"^[A-F]\s*[.．]",  # the tier definitions A./B./C.
    r"^(?:\d+\s*[.．]\s*)?(?:基礎|核心|總整|進階|綜整)\s*[:：]",
    r"^[A-F]\s*[.．]?\s*(?:基礎|核心|總整|進階|綜整)",
    r"(?:微學程|學程|微程)(?:設置)?定義",
    r"微學程課程設計(?:，)?(?:可)?包含",
    r"選課辦法",
    r"未盡事宜",
    r"修業規範等規定",
    r"開課於上/下學期或開課與否",
    r"詳細課程規劃書",
    r"詳見網頁版規劃書",
    r"^※",
    r"^●詳細",
    r"聯絡(?:教師|人)",
    r"負責人",
    r"@",
    r"分機",
    r"^備註$",
    r"^持續更新中$",
    r"研究所學生得修大學部所開課程",
    r"建議(?:英文程度|英文聽說讀寫程度)",  # advice, not a condition
    r"◎表示由友校/太空中心兼任教師開設之課程，採遠距教學方式授課",  # marks remote courses (none listed)
    r"本微學程於基礎課程階段分為資訊領域、教育領域、互動領域",  # any two foundation courses (the 2 is in (一))
    r"本微學程訂定之核心課程、總整課程分別等同於",  # naming only
    r"此微學程為全英語授課微學程",
    r"本微學程並無修習先後順序",
    r"各課程將視情況開放名額",
    r"依教學內容分為無機材料、有機材料以及跨領域材料化學課程",
    r"^(?:\(?[一二三四五六七八九十\d]+\)?[、.．]?\s*)?本微學程設置負責人聯絡方式",
    r"^\(?[一二三四五六七八九十\d]+\)?[、.．]?\s*(?:本)?學程設置負責人聯絡方式",
]
# Phrases around the conditions that say nothing themselves (removed before the leftover check).
FILLER = re.compile(
    "|".join(
        [
            r"始發給本微學程證明",
            r"方發給學程專長證明",
            r"(?:欲|擬)取得本(?:微)?學程證明之學生",
            r"必須符合下列規定",
            r"具?跨領域學習畢業條件之(?:微)?學程",
            r"本微學程具跨領域學習畢業之條件",
            r"完成「[^」]*」微學程必須符合三要點",
        ]
    )
)
# What marks a leftover sentence as a condition the script must understand.
CONDITION_WORDS = re.compile(r"應|須|至少|不得|僅|限|修讀對象|學分|門")

ITEM_START = re.compile(
    r"^\s*(?:\(?[一二三四五六七八九十]+\)|[一二三四五六七八九十]+、|\(\d+\)|\d+\s*[.．]|[A-F]\s*[.．]|※|●|\*|＊|備註|持續更新中)"
)


def items_of(text: str) -> list[str]:
    """Numbered paragraphs of the prose, each joined onto one line (the data wraps lines mid-sentence)."""
    text = unicodedata.normalize("NFKC", text).replace("\t", " ")
    items: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if items and not ITEM_START.match(line):
            items[-1] += line.strip()
        else:
            items.append(line.strip())
    return items


def _compile(pattern: str) -> re.Pattern[str]:
    """Patterns are written with the prose's full-width punctuation; the prose is read NFKC-folded, so are they."""
    return re.compile(unicodedata.normalize("NFKC", pattern))


def read_rules(code: str, text: str) -> Rules:
    """What one rules_text says; raises GenerationError on a condition no pattern knows."""
    rules = Rules()
    reviewed = [(_compile(p), step) for program, p, step in REVIEWED if program == code]
    compiled = [(name, _compile(p), handler) for name, p, handler in PATTERNS]
    boilerplate = [_compile(p) for p in BOILERPLATE]
    for item in items_of(text):
        rest = item
        for _name, pattern, handler in compiled:
            for m in list(pattern.finditer(rest)):
                handler(m, rules)
            rest = pattern.sub("▮", rest)
        for pattern, step in reviewed:
            if pattern.search(rest):
                if step.id:
                    rules.step(step)
                rest = pattern.sub("▮", rest)
        if any(p.search(item) for p in boilerplate):
            continue
        for sentence in re.split(r"[。；;]", rest):
            left = re.sub(r"^\s*(?:\(?[一二三四五六七八九十\d]+\)|[一二三四五六七八九十]+、|\d+\s*[.．])", "", sentence)
            left = FILLER.sub("", left)
            left = re.sub(r"[▮，,、：:\s「」()\"*＊]|且|並且|其中|包括|及|惟|具", "", left)
            if left and CONDITION_WORDS.search(left):
                raise GenerationError(f"{code}: a condition no pattern understands: {sentence.strip()!r}")
    return rules


# --- the programs -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Program:
    code: str
    name: str
    courses: list[dict[str, Any]]
    unclassified: list[dict[str, Any]]
    rules: Rules
    starred: bool = False

    @property
    def root(self) -> str:
        """The name without 微學程 and the (全英語) mark: how the regulation's table names it."""
        return re.sub(r"(?:微學程)?(?:\(全英語\))?$", "", unicodedata.normalize("NFKC", self.name))


def department_codes(name: str) -> list[str]:
    if name not in DEPARTMENTS:
        raise GenerationError(f"unknown department {name!r}; add it to DEPARTMENTS")
    return DEPARTMENTS[name]


def starred_names(regulation: str) -> list[str]:
    """The programs the regulation's table marks * (為僅納入本系課程之微學程)."""
    if "*為僅納入本系課程之微學程" not in regulation:
        raise GenerationError("the regulation no longer explains the * mark; check the table")
    table = regulation.split("*為僅納入本系課程之微學程")[0]
    names = re.findall(r"([^\s、]+?)\*", table)
    return sorted(set(names))


# The regulation's latest point of registration (流程圖 and 微學程登記修讀): study year 2, semester 2, by the end
# of its add/drop week. A later registration is flagged in the audit (the portal refuses it without an exception).
DEADLINE_SENTENCE = "最遲請學生於二年級下學期加退選週前完成登記修讀"
REGISTRATION_DEADLINE: dict[str, Any] = {
    "study_year": 2,
    "semester": 2,
    "by": "add-drop",
    "late": "flag",
    "text": {
        "zh-TW": DEADLINE_SENTENCE,
        "en": "Students register at the latest by the add/drop week of the second semester of year 2",
    },
    "cites": f"{REGULATION}〈微學程登記修讀〉",
}


def check_deadline(regulation: str) -> None:
    """The registration deadline is encoded as REGISTRATION_DEADLINE: stop if the regulation no longer says it."""
    if DEADLINE_SENTENCE not in regulation.replace(" ", "").replace("\n", ""):
        raise GenerationError(f"the regulation no longer says 「{DEADLINE_SENTENCE}」; check the registration deadline")


def read_programs(data_dir: Path, regulation_path: Path) -> list[Program]:
    path = data_dir / PROGRAMS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        regulation = unicodedata.normalize("NFKC", regulation_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GenerationError(f"cannot read the data: {exc}") from exc
    programs = []
    for raw in data["programs"]:
        code = raw["code"]
        courses: dict[str, dict[str, Any]] = {}
        unclassified: dict[str, dict[str, Any]] = {}
        for course in raw["courses"]:
            category = course["category"] or RAW_CATEGORY.get(course["category_raw"] or "")
            entry = {
                "code": course["course_code"].strip(),
                "title": course["name_zh"].strip(),
                "credits": Decimal(str(course["credits"])).normalize() + 0,
                "category": category,
                "online": bool(course["online"]),
            }
            if category is None:
                unclassified.setdefault(entry["code"], entry)
            elif category not in TIERS:
                raise GenerationError(f"{code}: unknown course category {course['category_raw']!r}")
            else:
                known = courses.setdefault(entry["code"], entry)
                if known["category"] != category:
                    raise GenerationError(f"{code}: course {entry['code']} is listed in two tiers")
        try:
            rules = read_rules(code, raw["rules_text"])
        except GenerationError as exc:
            raise GenerationError(f"{code} {raw['name']}: {exc}") from exc
        programs.append(Program(code, raw["name"].strip(), list(courses.values()), list(unclassified.values()), rules))
    check_deadline(regulation)
    by_root = {program.root: program for program in programs}
    for name in starred_names(regulation):
        if name not in by_root:
            raise GenerationError(f"the regulation marks {name!r} with * but no program has that name")
        by_root[name].starred = True
    by_name = {unicodedata.normalize("NFKC", p.name).replace(" ", ""): p for p in programs}
    for program in programs:
        for other in program.rules.exclusive_names:
            key = other.replace(" ", "")
            if key not in by_name:
                raise GenerationError(f"{program.code}: excludes unknown program {other!r}")
        if program.rules.host is None:
            program.rules.host = HOST_FROM_TABLE.get(program.code)
        if program.rules.host is None:
            raise GenerationError(f"{program.code}: no 主責單位 (host unit) found")
        department_codes(program.rules.host)
    return sorted(programs, key=lambda p: p.code)


# --- building the YAML data -------------------------------------------------------------------------------


class Flow(dict[str, Any]):
    """A mapping written on one line."""


def number(value: Decimal | int) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def localized(zh: str, en: str) -> dict[str, str]:
    return {"zh-TW": zh, "en": en}


GENERAL_STEPS = [
    Step(
        "similar-content",
        "課程編碼不同但課名相同或內容相近者視為同一課程：課名相同由系統判定，內容相近由學生所屬系（班）認定",
        "Courses of another code with the same title are one course (checked here); courses of similar content "
        "are judged by the student's department",
    ),
]


def program_requirement(program: Program, by_name: dict[str, Program]) -> dict[str, Any]:
    rules = program.rules
    plan_categories = [name for name in TIERS if any(c["category"] == name for c in program.courses)]
    steps = list(rules.steps)
    for name in rules.tiers_named:
        if name not in plan_categories:
            raise GenerationError(f"{program.code}: the rules name tier {name} but the plan lists no such course")
    substitutions = {target: codes for codes, target in rules.substitutions}
    listed_codes = {c["code"] for c in program.courses}
    for target in substitutions:
        if target not in listed_codes:
            raise GenerationError(f"{program.code}: substitution for {target}, which the plan does not list")
    tiers = []
    named_explicitly = bool(rules.tiers_named)
    for name in plan_categories:
        tier_id, zh, en = TIERS[name]
        if name in rules.tier_min:
            minimum = rules.tier_min[name]
        elif named_explicitly and len(rules.tiers_named) >= 3:
            # the prose names its three tiers and this is not one of them (AZ2's 總整): listed, not required
            minimum = 0
            steps.append(
                Step(
                    f"optional-tier-{tier_id}",
                    f"{zh}列於規劃書，但修業規定未要求（計入學分，不要求門數）",
                    f"{en} are on the plan but the rules do not require one (they earn credits only)",
                )
            )
        else:
            minimum = 1  # the regulation: 基礎、核心、總整三大分類皆應修習至少一門
        refs = []
        for course in sorted((c for c in program.courses if c["category"] == name), key=lambda c: c["code"]):
            ref = Flow(code=course["code"], title=course["title"], credits=number(course["credits"]))
            if course["online"]:
                ref["online"] = True
            if course["code"] in substitutions:
                ref = Flow(ref)
                ref["alternatives"] = [Flow(code=code) for code in substitutions[course["code"]]]
            refs.append(ref)
        tier: dict[str, Any] = {"id": tier_id, "title": localized(zh, en), "min_courses": minimum, "courses": refs}
        if rules.in_person:
            tier["in_person"] = True
        exclusions = tier_exclusions(program, name, refs)
        if exclusions:
            tier["exclude"] = exclusions
        tiers.append(tier)
    if program.unclassified:
        listing = "、".join(f"{c['code']} {c['title']}" for c in sorted(program.unclassified, key=lambda c: c["code"]))
        steps.append(
            Step(
                "unclassified-courses",
                f"規劃書所列但未分類之課程（{listing}）：由學程聯絡人決定歸屬",
                f"Courses on the plan without a tier ({listing}): the contact decides where they count",
            )
        )
    if rules.min_credits is None:
        min_credits = GENERAL_MIN_CREDITS
        steps.append(
            Step(
                "minimum-credits",
                f"規劃書未載明最低學分，依教務處規定之下限 {GENERAL_MIN_CREDITS} 學分（以施行細則為準）",
                f"The plan states no minimum: the regulation's floor of {GENERAL_MIN_CREDITS} credits applies "
                "(its detailed rules decide)",
            )
        )
    else:
        min_credits = rules.min_credits
    non_foundation = [TIERS[name][0] for name in plan_categories if name != FOUNDATION]
    outside: list[dict[str, Any]] = [
        {
            "id": "cross-domain",
            "title": localized("非基礎課程之跨領域專業課程學分", "Cross-domain professional credits (non-foundation)"),
            "min": CROSS_DOMAIN_MIN,
            "unit": "credits",
            "tiers": non_foundation,
            "test": "own-list",
        }
    ]
    for rule in rules.rules:
        rule = dict(rule)
        if "titles" in rule:
            rule["titles"] = [plan_title(program, title) for title in rule["titles"]]
        title = {
            "courses": ("學程課程門數", "Program courses"),
            "tier-courses": ("核心與總整課程門數", "Core and capstone courses"),
            "outside-courses": ("非原系課程門數", "Courses not of the own department"),
            "outside-credits": ("非原系課程學分", "Credits not of the own department"),
            "offered-outside": ("非所屬系開設之專業課程門數", "Courses offered by other departments"),
            "college-required": ("學院指定課程", "Courses the student's college requires"),
        }[rule["id"]]
        outside.append({"id": rule.pop("id"), "title": localized(*title), **rule})
    node: dict[str, Any] = {
        "id": program.code,
        "kind": "tiered",
        "title": localized(program.name, f"Micro-program {program.code} ({program.name})"),
        "cites": f"NTUT {program.name}（{program.code}）修業規定，115-1；{REGULATION}〈微學程取得〉",
        "note": localized(
            f"設置主責單位：{rules.host}"
            + ("；*僅納入本系課程，本系學生修讀不列入跨域條件" if program.starred else ""),
            f"Host unit: {rules.host}"
            + (
                "; * own-department courses only: its own students do not earn the cross-domain condition"
                if program.starred
                else ""
            ),
        ),
        "applies_to": {"registered": [program.code]},
        "registration": "required",
        "registration_deadline": REGISTRATION_DEADLINE,
        "min_credits": min_credits,
    }
    if rules.eligibility:
        node["eligibility"] = {key: sorted(set(value)) for key, value in sorted(rules.eligibility.items())}
    if rules.exclusive_names:
        others = [
            by_name[name.replace(" ", "")].code
            for name in rules.exclusive_names
            if by_name[name.replace(" ", "")].code != program.code
        ]
        node["exclusive_with"] = sorted(others)
    if program.starred:
        host_codes = department_codes(rules.host or "")
        if not host_codes:
            raise GenerationError(f"{program.code}: marked * but its host unit has no bachelor students")
        node["advisory_for"] = {"department": sorted(host_codes)}
    node["outside"] = outside
    node["tiers"] = tiers
    node["review_steps"] = [{"id": step.id, "text": localized(step.zh, step.en)} for step in [*steps, *GENERAL_STEPS]]
    return node


def plan_title(program: Program, title: str) -> str:
    """The plan's own spelling of a title the prose quotes (compared NFKC-folded), or an error."""
    wanted = unicodedata.normalize("NFKC", title).replace(" ", "")
    for course in program.courses:
        if unicodedata.normalize("NFKC", course["title"]).replace(" ", "") == wanted:
            return str(course["title"])
    raise GenerationError(f"{program.code}: the rules quote 「{title}」, which the plan does not list")


def tier_exclusions(program: Program, category: str, refs: list[Flow]) -> list[dict[str, Any]]:
    """The tier's `exclude` entries: per department restriction, the titles its students may not count here."""
    found = []
    for tier_name, department, mode, quoted in program.rules.tier_exclusions:
        if tier_name != category:
            continue
        title = plan_title(program, quoted)
        titles = [str(ref["title"]) for ref in refs]
        if title not in titles:
            raise GenerationError(f"{program.code}: 「{title}」 is not a {category} course of the plan")
        barred = sorted({t for t in titles if t != title}) if mode == "only" else [title]
        when: dict[str, Any] = {"department": department_codes(department)}
        if program.rules.restricted_from is not None:
            when["admitted"] = {"from": program.rules.restricted_from}
        found.append({"when": when, "titles": barred})
    return found


def policy(programs: list[Program]) -> dict[str, Any]:
    by_name = {unicodedata.normalize("NFKC", p.name).replace(" ", ""): p for p in programs}
    return {
        "schema": "menkan.policy/1",
        "id": "ntut-micro-programs",
        "institution": "ntut",
        "title": localized("跨域微學程", "Cross-domain micro-programs"),
        "cites": f"{REGULATION}；各微學程規劃書（115-1）",
        "requirements": [
            {
                "id": GROUP_ID,
                "kind": "any",
                "title": localized("微學程", "Micro-programs"),
                "cites": f"{REGULATION} 微學程跨域畢業條件：至少取得1個微學程(8~12學分)",
                "note": localized(
                    "只列出學生已登記修讀之微學程；任一微學程完成即符合。",
                    "Lists the programs the student is registered in; completing any one meets it.",
                ),
                "advisory": True,
                "applies_to": {"registered": [p.code for p in programs]},
                "min_met": 1,
                "children": [program_requirement(program, by_name) for program in programs],
            }
        ],
    }


# --- writing ----------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


_NUMBER_LIKE = re.compile(r"^[-+.]?[0-9]")


def _flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "'" if _NUMBER_LIKE.match(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Flow, _flow)
_Dumper.add_representer(str, _str)

HEADER = (
    "# NTUT cross-domain micro-programs (menkan.policy/1): the 49 programs of 115-1.\n"
    f"# GENERATED by {SCRIPT} from the NTUT data {PROGRAMS_FILE} and the regulation: do not edit by hand.\n"
    "# Change the script (see docs/ntut-microprograms.md) and re-run it; `--check` verifies this file.\n"
)


def generate(data_dir: Path, regulation: Path) -> tuple[dict[str, str], list[Program]]:
    programs = read_programs(data_dir, regulation)
    body = yaml.dump(
        policy(programs), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=False
    )
    return {OUT_FILE: HEADER + body}, programs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"folder holding {PROGRAMS_FILE}")
    parser.add_argument("--regulation", type=Path, default=DEFAULT_REGULATION, help="the 跨域微學程 regulation text")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the NTUT policy folder to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file on disk differs")
    parser.add_argument("--explain", action="store_true", help="print what each program's prose was read as")
    args = parser.parse_args(argv)
    try:
        files, programs = generate(args.data, args.regulation)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.explain:
        for program in programs:
            rules = program.rules
            tiers = ", ".join(f"{name} ≥ {n}" for name, n in rules.tier_min.items())
            understood = "; ".join([*rules.encoded, *([f"tiers {tiers}"] if tiers else [])]) or "general rules only"
            steps = ", ".join(step.id for step in rules.steps) or "-"
            print(f"{program.code} {program.name}: {understood}; review steps: {steps}")
        return 0
    if args.check:
        stale = [n for n, t in files.items() if not (args.out / n).exists() or (args.out / n).read_text("utf-8") != t]
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
    steps = sum(len(p.rules.steps) for p in programs)
    print(f"{len(programs)} programs; {steps} program-specific review steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
