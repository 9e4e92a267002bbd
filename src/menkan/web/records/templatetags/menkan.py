"""Template helpers: pick the text of the active language, progress percentages, ROC/Western terms."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from menkan.engine import Term

register = template.Library()


def _is_english() -> bool:
    return (get_language() or "zh-hant").startswith("en")


@register.filter
def loc(texts: Any) -> str:
    """{"zh-TW": …, "en": …} → the text of the active language."""
    if not isinstance(texts, dict):
        return "" if texts is None else str(texts)
    return str(texts.get("en") if _is_english() else texts.get("zh-TW", texts.get("en", "")))


@register.filter
def percent(node: dict[str, Any]) -> int:
    """How far a requirement is along, for a progress bar (0–100)."""
    required, earned = node.get("required"), node.get("earned")
    if node.get("status") == "met":
        return 100
    if not required or earned is None:
        return 0
    try:
        return max(0, min(100, int(100 * float(earned) / float(required))))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


@register.filter
def term_label(text: str) -> str:
    """114-1 → "114學年度第1學期" (zh) or "114-1 (2025 fall)" (en)."""
    try:
        term = Term.parse(text)
    except (ValueError, TypeError):
        return str(text)
    if _is_english():
        return f"{term} ({term.western()})"
    semester = {"1": "第1學期", "2": "第2學期", "S": "暑期"}[term.semester]
    return f"{term.year}學年度{semester}"


@register.filter
def status_label(status: str) -> str:
    zh = {"met": "通過", "not-met": "未通過", "in-progress": "進行中"}
    en = {"met": "Met", "not-met": "Not met", "in-progress": "In progress"}
    return (en if _is_english() else zh).get(status, status)


@register.filter
def reason_label(reason: str) -> str:
    from menkan.engine import REASONS

    zh, en = REASONS.get(reason, (reason, reason))
    return en if _is_english() else zh


@register.simple_tag(takes_context=True)
def student_links(context: Any, student: Any) -> str:
    """ " · Link" for each link the apps above records give the student's page (records.hooks.student_link_add)."""
    from django.utils.html import format_html_join

    from menkan.web.records.hooks import student_links as links_of

    request = context.get("request")
    user = getattr(request, "user", None)
    if student is None or user is None:
        return ""
    return format_html_join(
        "", ' · <a href="{}" id="{}">{}</a>', ((url, id_, label) for url, label, id_ in links_of(student, user))
    )
