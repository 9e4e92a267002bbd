"""NCUT self-directed-learning graduation thresholds (學生自主學習畢業門檻), policy src/menkan/policies/ncut.

The document (/regulations/003, NCUT 教務處〈學生自主學習執行現況〉114-1) shows two students' summaries
(畢業門檻認證摘要); both must come out exactly. Also: who the thresholds apply to (111 and later, day-division
四技), the aesthetics merge from 113-2, the department's licence list, and the demo cohort."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import activity, certificate, make_student, node_of, not_applied_of, run
from menkan.engine import AuditResult, PolicySet, Student, load_shipped
from menkan.engine.policy.loader import walk
from menkan.engine.policy.models import Certificates

ROOT = Path(__file__).resolve().parent.parent
STATUS = {"met": "通過", "not-met": "未通過", "in-progress": "未通過"}
ITEMS = [
    "self-learning.resilience",
    "self-learning.improvement",
    "self-learning.aesthetics",
    "self-learning.social",
    "self-learning.license",
]


@pytest.fixture(scope="module")
def ncut() -> PolicySet:
    return load_shipped("ncut")


def ncut_student(
    *, activities: list[dict[str, Any]] | None = None, certificates: list[dict[str, Any]] | None = None, **fields: Any
) -> Student:
    """A 資工 day-division senior admitted 111-1 (the department of the summaries' licence)."""
    data: dict[str, Any] = {
        "student_id": "NC11107001",
        "institution": "ncut",
        "department": "資工",
        "admission_term": "111-1",
        "activities": activities or [],
        "certificates": certificates or [],
    }
    data.update(fields)
    return make_student(**data)


# The document's first summary: 抗壓 4 / 3, 精進 3 / 3, 美學 4, 社會接軌 24 + 4 / 24, 專業證照 1 / 1: 通過.
FIRST_ACTIVITIES = [
    activity("resilience", 3, "113-1", "醫務心理學", unit="教務處"),
    activity("resilience", 1, "113-2", "抗壓講座：壓力與情緒管理", unit="教務處"),
    activity("improvement", 2, "112-1", "電子資源線上教育訓練：Scopus", unit="圖書館"),
    activity("improvement", 1, "112-2", "電子資源線上教育訓練：學位論文", unit="圖書館"),
    activity("social", 8, "111-2", "淨灘志工", unit="學務處"),
    activity("social", 8, "112-2", "社區課輔志工", unit="學務處"),
    activity("social", 8, "113-1", "家扶中心活動志工", unit="學務處"),
    activity("aesthetics", 4, "113-2", "勤益藝廊展覽導覽", unit="藝術中心"),
]
FIRST_CERTIFICATES = [certificate("TS-B-SOFTWARE", "電腦軟體設計 乙級技術士", "113-2", level="乙")]
FIRST_CARD = [
    "自主學習 通過",
    "抗壓自主學習 4 / 3 通過",
    "精進自主學習能力 3 / 3 通過",
    "美學自主學習 4 (納入社會接軌)",
    "社會接軌自主學習 24 + 4 / 24 通過",
    "專業證照自主學習 1 / 1 通過",
]

# The second: 抗壓 3 / 3, 精進 2 / 3, 美學 5, 社會接軌 16 + 5 / 24, 專業證照 0 / 1: 未通過.
SECOND_ACTIVITIES = [
    activity("resilience", 3, "112-2", "幸福入門-正向心理學", unit="教務處"),
    activity("improvement", 2, "113-1", "電子資源線上教育訓練：Scopus", unit="圖書館"),
    activity("social", 8, "112-1", "系學會迎新志工", unit="學務處"),
    activity("social", 8, "113-1", "校慶園遊會志工", unit="學務處"),
    activity("aesthetics", 3, "113-2", "戲劇欣賞", unit="藝術中心"),
    activity("aesthetics", 2, "114-1", "書法工作坊", unit="藝術中心"),
]
SECOND_CARD = [
    "自主學習 未通過",
    "抗壓自主學習 3 / 3 通過",
    "精進自主學習能力 2 / 3 未通過",
    "美學自主學習 5 (納入社會接軌)",
    "社會接軌自主學習 16 + 5 / 24 未通過",
    "專業證照自主學習 0 / 1 未通過",
]


def first_student(**fields: Any) -> Student:
    return ncut_student(activities=FIRST_ACTIVITIES, certificates=FIRST_CERTIFICATES, **fields)


def second_student(**fields: Any) -> Student:
    return ncut_student(activities=SECOND_ACTIVITIES, **fields)


def card(result: AuditResult) -> list[str]:
    """The summary card as the certification system shows it: the group's status, then each item's
    progress and status (an item shown in another requirement has no status of its own)."""
    group = node_of(result, "self-learning")
    lines = [f"{group.title['zh-TW']} {STATUS[group.status]}"]
    for child in group.children:
        line = f"{child.title['zh-TW']} {child.display}"
        if not child.advisory:
            line += f" {STATUS[child.status]}"
        lines.append(line)
    return lines


SUMMARIES = [(first_student, FIRST_CARD), (second_student, SECOND_CARD)]


@pytest.mark.parametrize(("build", "expected"), SUMMARIES, ids=["first", "second"])
def test_the_documents_summaries_come_out_exactly(ncut, build, expected):
    result = run(build(), ncut, as_of="114-1")
    shown = card(result)
    assert [line for i, line in enumerate(shown) if i != 3] == [line for i, line in enumerate(expected) if i != 3]
    # 美學: the hours and the target; the exact wording "(納入社會接軌)" needs the engine change below.
    hours = expected[3].split()[1]
    assert shown[3].startswith(f"美學自主學習 {hours} (納入社會接軌")


@pytest.mark.parametrize(("build", "expected"), SUMMARIES, ids=["first", "second"])
def test_the_documents_summaries_including_the_aesthetics_line(ncut, build, expected):
    assert card(run(build(), ncut, as_of="114-1")) == expected


def test_statuses_and_amounts_of_the_summaries(ncut):
    first = run(first_student(), ncut, as_of="114-1")
    second = run(second_student(), ncut, as_of="114-1")
    assert first.status == "met"
    assert second.status == "not-met"
    assert [(r.id, r.status, r.earned, r.required) for r in node_of(first, "self-learning").children] == [
        ("self-learning.resilience", "met", Decimal(4), Decimal(3)),
        ("self-learning.improvement", "met", Decimal(3), Decimal(3)),
        ("self-learning.aesthetics", "met", Decimal(4), Decimal(0)),
        ("self-learning.social", "met", Decimal(28), Decimal(24)),
        ("self-learning.license", "met", Decimal(1), Decimal(1)),
    ]
    social = node_of(second, "self-learning.social")
    assert social.details == {"own": 16.0, "merged": 5.0}
    assert social.missing == {"zh-TW": "尚缺 3 小時", "en": "3 hours more needed"}
    assert node_of(second, "self-learning.improvement").missing == {"zh-TW": "尚缺 1 小時", "en": "1 hour more needed"}
    group = node_of(second, "self-learning")
    assert group.missing["zh-TW"] == "未完成：精進自主學習能力、社會接軌自主學習、專業證照自主學習"
    assert group.display == "1 / 4"  # four deciding items; 美學 is advisory


def test_aesthetics_is_shown_merged_and_never_decides(ncut):
    result = run(first_student(), ncut, as_of="114-1")
    aesthetics = node_of(result, "self-learning.aesthetics")
    assert aesthetics.advisory is True
    assert aesthetics.status == "met"
    assert [a.kind for a in node_of(result, "self-learning.social").applied][-1] == "merge"
    # Without any aesthetics hours, 24 own hours pass 社會接軌 and the group passes.
    student = ncut_student(
        activities=[a for a in FIRST_ACTIVITIES if a["item"] != "aesthetics"], certificates=FIRST_CERTIFICATES
    )
    result = run(student, ncut, as_of="114-1")
    assert node_of(result, "self-learning.social").display == "24 + 0 / 24"
    assert node_of(result, "self-learning.aesthetics").display.startswith("0 (納入社會接軌")
    assert node_of(result, "self-learning").status == "met"


@pytest.mark.parametrize(
    ("item", "requirement"),
    [
        ("resilience", "self-learning.resilience"),
        ("improvement", "self-learning.improvement"),
        ("social", "self-learning.social"),
        ("license", "self-learning.license"),
    ],
)
def test_the_group_passes_only_when_all_four_pass(ncut, item, requirement):
    activities = [a for a in FIRST_ACTIVITIES if a["item"] != item]
    certificates = [] if item == "license" else FIRST_CERTIFICATES
    result = run(ncut_student(activities=activities, certificates=certificates), ncut, as_of="114-1")
    group = node_of(result, "self-learning")
    assert group.status == "not-met"
    assert [c.id for c in group.children if c.status != "met"] == [requirement]
    assert group.missing["zh-TW"] == "未完成：" + node_of(result, requirement).title["zh-TW"]


def test_aesthetics_hours_before_113_2_are_not_merged(ncut):
    student = ncut_student(
        activities=[
            activity("social", 22, "112-1", "社區課輔志工"),
            activity("aesthetics", 2, "113-1", "藝術中心音樂會"),
            activity("aesthetics", 2, "113-2", "戲劇欣賞"),
        ]
    )
    result = run(student, ncut, as_of="114-1")
    social = node_of(result, "self-learning.social")
    assert social.display == "22 + 2 / 24"
    assert social.status == "met"
    assert [(n.ref, n.reason, n.amount, n.detail) for n in social.not_applied] == [
        ("aesthetics:藝術中心音樂會@113-1", "before-merge", Decimal(2), "counts from 113-2")
    ]
    # As of 113-1 nothing is merged yet.
    earlier = node_of(run(student, ncut, as_of="113-1"), "self-learning.social")
    assert earlier.display == "22 + 0 / 24"
    assert earlier.status == "not-met"
    assert not_applied_of(earlier) == [("aesthetics:藝術中心音樂會@113-1", "before-merge")]


def test_a_licence_not_on_the_departments_list_does_not_count(ncut):
    refrigeration = certificate("TS-B-RAC", "冷凍空調裝修 乙級技術士", "113-2", level="乙")
    result = run(ncut_student(certificates=[refrigeration]), ncut, as_of="114-1")
    licence = node_of(result, "self-learning.license")
    assert licence.status == "not-met"
    assert licence.display == "0 / 1"
    assert not_applied_of(licence) == [("TS-B-RAC@113-2", "not-on-list")]
    assert "TS-B-SOFTWARE" in licence.details["list"]
    # The same licence is on 冷凍's list.
    result = run(ncut_student(department="冷凍", certificates=[refrigeration]), ncut, as_of="114-1")
    assert node_of(result, "self-learning.license").status == "met"


def test_a_certificate_after_the_audit_term_does_not_count_yet(ncut):
    later = certificate("TS-B-SOFTWARE", "電腦軟體設計 乙級技術士", "114-2")
    result = run(ncut_student(certificates=[later]), ncut, as_of="114-1")
    assert node_of(result, "self-learning.license").display == "0 / 1"


@pytest.mark.parametrize(
    ("fields", "applies"),
    [
        ({"admission_term": "110-1"}, False),  # admitted before 111: the thresholds do not apply
        ({"admission_term": "110-2"}, False),
        ({"admission_term": "111-1"}, True),
        ({"admission_term": "113-1", "admitted_into_year": 3}, True),  # a transfer admitted in 113
        ({"division": "night-bachelor"}, False),  # 進修部 (night division): not 日四技
        ({"degree": "master", "division": "day-master"}, False),
    ],
)
def test_who_the_thresholds_apply_to(ncut, fields, applies):
    result = run(first_student(**fields), ncut, as_of="114-1")
    assert (result.find("self-learning") is not None) is applies
    if not applies:
        assert result.requirements == []
        assert result.policies == []


def test_requirement_ids_titles_and_citations(ncut):
    nodes = {full_id: node for policy in ncut.policies for full_id, node in walk(policy.requirements)}
    assert list(nodes) == ["self-learning", *ITEMS]
    titles = {full_id: node.title.zh_tw for full_id, node in nodes.items()}
    assert titles == {
        "self-learning": "自主學習",
        "self-learning.resilience": "抗壓自主學習",
        "self-learning.improvement": "精進自主學習能力",
        "self-learning.aesthetics": "美學自主學習",
        "self-learning.social": "社會接軌自主學習",
        "self-learning.license": "專業證照自主學習",
    }
    assert all(node.cites.startswith("NCUT 學生自主學習畢業門檻") for node in nodes.values())
    assert nodes["self-learning.resilience"].cites == "NCUT 學生自主學習畢業門檻（抗壓3H）"
    assert [(n.kind, getattr(n, "min", None)) for n in nodes.values()] == [
        ("all", None),
        ("hours", Decimal(3)),
        ("hours", Decimal(3)),
        ("hours", Decimal(0)),
        ("hours", Decimal(24)),
        ("certificates", 1),
    ]


def test_every_department_has_a_licence_list_of_known_codes(ncut):
    settings = ncut.institution
    licence = next(n for p in ncut.policies for i, n in walk(p.requirements) if i == "self-learning.license")
    assert isinstance(licence, Certificates)
    assert [d.id for d in settings.departments] == list(licence.codes_by_department)
    catalog = settings.workflows.self_learning.model_dump(by_alias=True, mode="json")["license_catalog"]
    for department, codes in licence.codes_by_department.items():
        assert codes, department
        assert set(codes) <= set(catalog), department


def test_institution_settings_follow_the_document(ncut):
    settings = ncut.institution
    assert settings.name.zh_tw == "國立勤益科技大學"
    assert settings.grading.pass_score == Decimal(60)
    by_college: dict[str, list[str]] = {}
    for department in settings.departments:
        by_college.setdefault(department.college or "", []).append(department.id)
    assert by_college == {
        "工程": ["化材", "機械", "冷凍", "智動"],
        "電資": ["電機", "電子", "資工", "智慧"],
        "文創": ["文創", "景觀", "應英"],
        "管理": ["工管", "企管", "資管", "行流", "健管"],
    }
    extra = settings.workflows.self_learning.model_dump(by_alias=True, mode="json")
    contacts = {
        o["office"]: (o["contact"]["unit"], o["contact"]["name"], o["contact"]["extension"]) for o in extra["owners"]
    }
    assert contacts == {
        "教務處": ("教務處教學資源組", "黃怡珊", "2171"),
        "圖書館": ("圖書館讀者服務組", "蕭郁慈", "2223"),
        "學務處": ("學務處課指組", "李坤憲", "2334"),
        "研發處": ("研發處實習就業組", "陳映蓉", "2612"),
        "藝術中心": ("藝術中心", "李青霞", "2303"),
    }
    moocs = {c["title"]: c["hours"] for c in extra["moocs"]["courses"]}
    assert moocs["醫務心理學"] == 3
    assert moocs["數位學法"] == 1
    assert len(moocs) == 7
    assert extra["license_subsidy"] == {
        "fraction": "0.5",
        "covers": {"zh-TW": "報名費(含發證費)", "en": "exam fee including the certificate fee"},
        "max_ntd": 2000,
        "times_per_student": 1,
        "cites": "NCUT 學生自主學習畢業門檻（專業證照1張）",
    }
    notices = extra["notices"]
    assert [n["week"] for n in notices["first_semester"]] == [8, 16]
    assert notices["second_semester"][0]["every"] == "month"
    assert notices["deadline"] == {"month": 6, "day": 1}


def test_the_demo_cohort_is_what_the_script_generates():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_ncut_demo.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
