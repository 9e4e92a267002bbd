"""Every page text has a zh-TW translation, the compiled catalogue matches it, and terms read in both forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from menkan.web.records.templatetags.menkan import term_label

WEB = Path(__file__).resolve().parents[2] / "src" / "menkan" / "web"
# The portal's catalogue first (LOCALE_PATHS wins over apps' catalogues), then each app's own <app>/locale.
MAIN_PO = WEB / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
CATALOGUES = [MAIN_PO, *sorted(set(WEB.rglob("locale/zh_Hant/LC_MESSAGES/django.po")) - {MAIN_PO})]


def _unquote(block: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).replace('\\"', '"').replace("\\n", "\n")


def catalogue() -> dict[str, str]:
    entries: dict[str, str] = {}
    for po in CATALOGUES:
        for entry in po.read_text(encoding="utf-8").split("\n\n"):
            if entry.lstrip().startswith("#~"):
                continue  # obsolete
            msgid = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
            msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', entry, re.M)
            if msgid and msgstr and _unquote(msgid.group(1)) and _unquote(msgstr.group(1)):
                entries.setdefault(_unquote(msgid.group(1)), _unquote(msgstr.group(1)))
    return entries


def marked_strings() -> set[str]:
    """Strings marked for translation in templates ({% trans "…" %}) and Python (_("…"), gettext("…"))."""
    found: set[str] = set()
    for path in WEB.rglob("*.html"):
        found |= set(re.findall(r'{%\s*trans\s+"([^"]+)"', path.read_text(encoding="utf-8")))
    for path in WEB.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found |= set(re.findall(r'\b(?:_|gettext|gettext_lazy)\(\s*"([^"]+)"\s*\)', path.read_text(encoding="utf-8")))
    return found


def test_every_marked_string_has_a_zh_tw_translation() -> None:
    translated = {msgid for msgid, msgstr in catalogue().items() if msgstr}
    untranslated = sorted(marked_strings() - translated)
    assert not untranslated, f"run `make messages` and translate: {untranslated}"


@pytest.mark.parametrize(("msgid", "expected"), sorted(catalogue().items()))
def test_compiled_catalogue_matches_the_po_file(msgid: str, expected: str) -> None:
    if "%" in msgid:
        return
    with translation.override("zh-hant"):
        assert translation.gettext(msgid) == expected, "django.mo is stale: run `make messages`"


def test_terms_read_in_roc_and_western_form() -> None:
    with translation.override("zh-hant"):
        assert term_label("114-1") == "114學年度第1學期"
        assert term_label("113-S") == "113學年度暑期"
    with translation.override("en"):
        assert term_label("114-1") == "114-1 (2025 fall)"
        assert term_label("114-2") == "114-2 (2026 spring)"
