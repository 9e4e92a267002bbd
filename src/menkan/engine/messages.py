"""The zh-TW and English sentences that tell a student what is missing."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from menkan.engine.result import fmt

UNIT_NAMES: dict[str, tuple[str, str, str]] = {
    # unit: (zh-TW, English singular, English plural)
    "credits": ("學分", "credit", "credits"),
    "hours": ("小時", "hour", "hours"),
    "courses": ("門課程", "course", "courses"),
    "certificates": ("張證照", "certificate", "certificates"),
    "requirements": ("項", "requirement", "requirements"),
    "semesters": ("學期", "semester", "semesters"),
    "years": ("學年", "year", "years"),
    "points": ("點", "point", "points"),
    "score": ("分", "point", "points"),
}


def quantity(amount: Decimal | int, unit: str) -> tuple[str, str]:
    zh, singular, plural = UNIT_NAMES.get(unit, (unit, unit, unit))
    text = fmt(amount)
    return f"{text} {zh}", f"{text} {singular if amount == 1 else plural}"


def short(amount: Decimal | int, unit: str, pending: Decimal | int = 0) -> dict[str, str]:
    """`N more <unit> needed`, and whether courses in progress would cover it."""
    zh, en = _short(amount, unit, pending)
    return {"zh-TW": zh, "en": en}


@lru_cache(maxsize=4096, typed=True)
def _short(amount: Decimal | int, unit: str, pending: Decimal | int) -> tuple[str, str]:
    # The texts depend only on the values (equal amounts read alike), and audits repeat them constantly.
    zh, en = quantity(amount, unit)
    if pending and pending >= amount:
        pz, pe = quantity(pending, unit)
        return f"尚缺 {zh}；修讀中的 {pz}及格後即可達成", f"{en} short; met once the {pe} in progress are passed"
    if pending:
        pz, pe = quantity(pending, unit)
        return f"尚缺 {zh}（修讀中的 {pz}及格後仍不足）", f"{en} more needed (still short after the {pe} in progress)"
    return f"尚缺 {zh}", f"{en} more needed"


def missing_list(zh_label: str, en_label: str, names: list[str]) -> dict[str, str]:
    return {"zh-TW": f"{zh_label}：{'、'.join(names)}", "en": f"{en_label}: {', '.join(names)}"}


def text(zh: str, en: str) -> dict[str, str]:
    return {"zh-TW": zh, "en": en}
