"""The text worksheet: a requirement tree with ✓/✗/…, progress, what is missing and what did not count."""

from __future__ import annotations

from collections.abc import Iterable

from menkan.engine.messages import UNIT_NAMES
from menkan.engine.result import AuditResult, RequirementResult

MARKS = {"met": "✓", "not-met": "✗", "in-progress": "…"}
REASONS = {
    "failed": ("不及格", "failed"),
    "withdrawn": ("停修", "withdrawn"),
    "repeated": ("重複修習", "repeated"),
    "excluded": ("不計入", "excluded"),
    "over-cap": ("超過上限", "over cap"),
    "duplicate-title": ("課名重複", "duplicate title"),
    "counted-elsewhere": ("已計入他項", "counted elsewhere"),
    "before-merge": ("併入前", "before merge"),
    "own-department": ("本系課程", "own department"),
    "not-on-list": ("不在清單", "not on the list"),
    "condition-not-met": ("未符合計入條件", "condition not met"),
    "exception": ("依例外不計入", "excluded by an exception"),
    "orphaned": ("例外無從適用", "exception orphaned"),
    "not-applicable": ("例外不適用", "exception not applicable"),
}
EXCEPTION_MARK = "※"  # a requirement decided in part by an approved exception


def _title(result: RequirementResult, lang: str) -> str:
    if lang == "zh-TW":
        return result.title["zh-TW"]
    if lang == "en":
        return result.title["en"]
    return f"{result.title['zh-TW']} {result.title['en']}"


def _unit(result: RequirementResult, lang: str) -> str:
    zh, _, plural = UNIT_NAMES.get(result.unit, (result.unit, result.unit, result.unit))
    return zh if lang == "zh-TW" else plural


def _missing(result: RequirementResult, lang: str) -> str:
    if lang == "both":
        parts = [result.missing["zh-TW"], result.missing["en"]]
        return " / ".join(part for part in parts if part)
    return result.missing[lang]


def _lines(result: RequirementResult, depth: int, lang: str, detail: bool) -> Iterable[str]:
    indent = "  " * depth
    advisory = " (advisory)" if result.advisory else ""
    marked = f" {EXCEPTION_MARK}" if result.exceptions else ""
    yield (
        f"{indent}{MARKS[result.status]} {_title(result, lang)}  {result.display} {_unit(result, lang)}"
        f"{advisory}{marked}  [{result.cites}]"
    )
    for exception in result.exceptions:
        said = exception["explanation"]
        parts = [said["zh-TW"], said["en"]] if lang == "both" else [said[lang]]
        yield f"{indent}    {EXCEPTION_MARK} " + " / ".join(parts)
    missing = _missing(result, lang)
    if missing and result.status != "met":
        yield f"{indent}    → {missing}"
    for note in result.notes:  # whatever the status (a registration flagged as late)
        parts = [note["zh-TW"], note["en"]] if lang == "both" else [note[lang]]
        yield f"{indent}    ! " + " / ".join(part for part in parts if part)
    if detail and not result.children:
        skipped = [item for item in result.not_applied if item.reason not in ("counted-elsewhere",)]
        if skipped:
            shown = []
            for item in skipped[:8]:
                zh, en = REASONS.get(item.reason, (item.reason, item.reason))
                label = zh if lang == "zh-TW" else en
                shown.append(f"{item.title or item.ref} ({item.ref}) {label}")
            more = f" +{len(skipped) - 8}" if len(skipped) > 8 else ""
            prefix = "未計入" if lang == "zh-TW" else "not counted"
            yield f"{indent}    · {prefix}: " + "; ".join(shown) + more
    for child in result.children:
        yield from _lines(child, depth + 1, lang, detail)


def render(result: AuditResult, lang: str = "both", detail: bool = True) -> str:
    """The worksheet of one audit as text."""
    head = f"{result.student_id}  {result.institution}  as of {result.as_of}  {MARKS[result.status]} {result.status}"
    lines = [head, "─" * min(len(head) + 8, 100)]
    for requirement in result.requirements:
        lines.extend(_lines(requirement, 0, lang, detail))
    for exception in result.exceptions:
        if exception["status"] != "applied":
            zh, en = REASONS.get(exception["reason"], (exception["reason"], exception["reason"]))
            label = zh if lang == "zh-TW" else en if lang == "en" else f"{zh} {en}"
            lines.append(
                f"{EXCEPTION_MARK} {exception['id']} ({exception['kind']} {exception['requirement']}): {label}"
            )
    return "\n".join(lines)


def summary_line(result: AuditResult) -> str:
    """One line per student: overall status and each top-level requirement's mark and progress."""
    parts = [f"{MARKS[r.status]} {r.title['en']} {r.display}" for r in result.requirements if not r.advisory]
    return f"{result.student_id:<12} {MARKS[result.status]} {result.status:<11} " + " | ".join(parts)
