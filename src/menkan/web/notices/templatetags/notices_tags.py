"""Template helpers of the notices: dates in ROC form (zh) or Western form (en), and what a notice is called."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _is_english() -> bool:
    return (get_language() or "zh-hant").startswith("en")


@register.filter
def roc_date(value: date | None) -> str:
    """2026-06-01 → "115年6月1日" (zh) or "1 June 2026" (en)."""
    if value is None:
        return ""
    if _is_english():
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{value.year - 1911}年{value.month}月{value.day}日"


@register.filter
def notice_label(notice: Any) -> str:
    """A notice's occasion: "第8週" / "week 8"; "115年3月" / "March 2026"."""
    if notice.kind == "week":
        return f"week {notice.number}" if _is_english() else f"第{notice.number}週"
    due = notice.due
    return f"{_MONTHS[due.month - 1]} {due.year}" if _is_english() else f"{due.year - 1911}年{due.month}月"


@register.filter
def pass_label(passed: bool) -> str:
    """The document's words: 通過 / 未通過."""
    if _is_english():
        return "passed" if passed else "not passed"
    return "通過" if passed else "未通過"
