"""Builds the NTHU demo students (src/menkan/demo/nthu.jsonl): graduate students who show the credit-fee cases.

The cases of NTHU's 研究生學分費計算說明, billed for 114-1 (`menkan fees src/menkan/demo/nthu.jsonl --term 114-1`):

- 113062501 (CS master): below the minimum graduation credits: every credit of 114-1 is billed.
- 112062502 (EE master): 3 transferred + 18 passed = 21 of 24; 114-1's 9 credits cross the threshold: 3 billed.
- 111034503 (CHEM master): 27 passed, past 24: 114-1 is exempt, the credit fee is zero ("why is my bill zero").
- 112034504 (IEEM master, 30 credits): a failed course (65 < 70 for graduate students) and a W in earlier terms
  do not accumulate ("why am I billed again"); a 114-1 course withdrawn after add/drop (W) is billed.
- 113764505 (EMBA, in-service): the program's own schedule (basic fees + a rate per credit).

A course dropped during add/drop is not on the record at all, so nothing here bills it.

The script computes every statement from what it writes and stops unless each comes out as listed in EXPECTED.

    python scripts/make_nthu_demo.py            # write src/menkan/demo/nthu.jsonl
    python scripts/make_nthu_demo.py --check    # exit 1 if the file differs from what would be written
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from menkan.engine import Term, student_from_dict
from menkan.engine.fees import fee_statement, load_shipped_fees

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_files import jsonl, write_or_check  # noqa: E402

OUTPUT = ROOT / "src" / "menkan" / "demo" / "nthu.jsonl"
TERM = "114-1"

# student id -> (total NT$, billed credits, exempt credits, explanation codes)
EXPECTED: dict[str, tuple[int, int, int, list[str]]] = {
    "113062501": (10800, 6, 0, ["add-drop", "below-threshold"]),
    "112062502": (5250, 3, 6, ["add-drop", "crosses-threshold"]),
    "111034503": (0, 0, 6, ["add-drop", "past-threshold"]),
    "112034504": (9900, 6, 3, ["add-drop", "crosses-threshold", "not-accumulated", "withdrawn-billed"]),
    "113764505": (65000, 6, 0, ["add-drop", "program-schedule"]),
}


def course(code: str, title: str, credits: int, term: str, grade: str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"code": code, "title": title, "credits": credits, "term": term}
    if grade is not None:
        row["grade"] = grade
    return {**row, **extra}


def student(student_id: str, name: str, department: str, degree: str, admitted: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "institution": "nthu",
        "name": name,
        "department": department,
        "division": "graduate",
        "degree": degree,
        "admission_term": admitted,
        **extra,
    }


def students() -> list[dict[str, Any]]:
    return [
        student(
            "113062501",
            "林雅婷",
            "CS",
            "master",
            "113-1",
            courses=[
                course("CS5100", "高等演算法", 3, "113-1", "88"),
                course("CS5200", "機器學習", 3, "113-1", "91"),
                course("CS5300", "作業系統設計", 3, "113-1", "78"),
                course("CS5400", "分散式系統", 3, "113-2", "84"),
                course("CS5500", "資訊安全", 3, "113-2", "80"),
                course("CS6100", "深度學習", 3, "114-1"),
                course("LANG5010", "學術英文寫作", 2, "114-1"),
                course("PE1010", "體育：羽球", 1, "114-1"),
            ],
        ),
        student(
            "112062502",
            "陳冠宇",
            "EE",
            "master",
            "112-1",
            courses=[
                course("EE5010", "線性系統", 3, "112-1", "P", transfer=True),
                course("EE5100", "數位訊號處理", 3, "112-1", "85"),
                course("EE5200", "隨機過程", 3, "112-1", "79"),
                course("EE5300", "通訊系統", 3, "112-2", "82"),
                course("EE5400", "積體電路設計", 3, "112-2", "90"),
                course("EE5500", "影像處理", 3, "113-1", "87"),
                course("EE5600", "嵌入式系統", 3, "113-2", "76"),
                course("EE6100", "無線網路", 3, "114-1"),
                course("EE6200", "最佳化理論", 3, "114-1"),
                course("GE3010", "科技與社會", 3, "114-1", level="undergraduate"),
            ],
        ),
        student(
            "111034503",
            "王思涵",
            "CHEM",
            "master",
            "111-1",
            courses=[
                course("CHEM5100", "高等有機化學", 3, "111-1", "86"),
                course("CHEM5200", "高等物理化學", 3, "111-1", "81"),
                course("CHEM5300", "高等無機化學", 3, "111-1", "77"),
                course("CHEM5400", "光譜學", 3, "111-2", "88"),
                course("CHEM5500", "量子化學", 3, "111-2", "73"),
                course("CHEM5600", "有機合成", 3, "111-2", "90"),
                course("CHEM5700", "材料化學", 3, "112-1", "84"),
                course("CHEM5800", "生物化學特論", 3, "112-2", "79"),
                course("CHEM5900", "化學生物學", 3, "113-1", "85"),
                course("CHEM6100", "奈米化學", 3, "114-1"),
                course("CHEM6200", "計算化學", 3, "114-1"),
            ],
        ),
        student(
            "112034504",
            "張家豪",
            "IEEM",
            "master",
            "112-1",
            courses=[
                course("IEEM5100", "作業研究", 3, "112-1", "82"),
                course("IEEM5200", "生產計畫與管制", 3, "112-1", "78"),
                course("IEEM5300", "品質管理", 3, "112-1", "65"),  # 65 < 70: failed for a master's student
                course("IEEM5400", "供應鏈管理", 3, "112-2", "85"),
                course("IEEM5500", "統計學習", 3, "112-2", "W"),  # withdrawn: does not accumulate
                course("IEEM5600", "人因工程", 3, "112-2", "88"),
                course("IEEM5700", "決策分析", 3, "113-1", "80"),
                course("IEEM5800", "模擬", 3, "113-1", "74"),
                course("IEEM5900", "資料探勘", 3, "113-2", "86"),
                course("IEEM5950", "系統工程", 3, "113-2", "79"),
                course("IEEM6100", "隨機模型", 3, "114-1", "W"),  # withdrawn after add/drop: billed
                course("IEEM6200", "大數據分析", 3, "114-1"),
                course("IEEM6300", "專案管理", 3, "114-1"),
            ],
        ),
        student(
            "113764505",
            "黃志明",
            "EMBA",
            "master",
            "113-1",
            flags=["in-service"],
            courses=[
                course("EMBA5100", "策略管理", 3, "113-1", "86"),
                course("EMBA5200", "財務管理", 3, "113-2", "82"),
                course("EMBA6100", "領導與變革", 3, "114-1"),
                course("EMBA6200", "科技創新管理", 3, "114-1"),
            ],
        ),
    ]


def check(rows: list[dict[str, Any]]) -> None:
    """Stop unless every statement comes out as EXPECTED says."""
    policy = load_shipped_fees("nthu")
    term = Term.parse(TERM)
    seen = set()
    for row in rows:
        statement = fee_statement(student_from_dict(row), policy, term)
        total, billed, exempt, codes = EXPECTED[statement.student_id]
        got = (
            statement.total,
            statement.billed_credits,
            statement.exempt_credits,
            [e.code for e in statement.explanations],
        )
        if got != (Decimal(total), Decimal(billed), Decimal(exempt), codes):
            raise SystemExit(
                f"make_nthu_demo: {statement.student_id}: expected {EXPECTED[statement.student_id]}, got {got}"
            )
        seen.add(statement.student_id)
    if seen != set(EXPECTED):
        raise SystemExit(f"make_nthu_demo: students {sorted(set(EXPECTED) - seen)} are missing")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file on disk instead of writing")
    args = parser.parse_args()
    rows = students()
    check(rows)
    return write_or_check({OUTPUT: jsonl(rows)}, check=args.check, script="make_nthu_demo.py")


if __name__ == "__main__":
    raise SystemExit(main())
