"""No translation says the same thing twice (issue 11: the attendance page repeated one sentence three times,
the offset PDF's title was doubled)."""

from __future__ import annotations

import re

import pytest

from .test_i18n import catalogue


def repeated(text: str) -> str | None:
    """The part `text` is made of twice or more in a row (whole text), or None."""
    found = re.fullmatch(r"(.{4,}?)(?:\s*\1)+", text, re.S)
    return found.group(1) if found else None


def test_the_check_finds_a_repeated_sentence() -> None:
    assert repeated("甲乙丙丁。甲乙丙丁。甲乙丙丁。") == "甲乙丙丁。"
    assert repeated("甲乙丙丁。") is None


@pytest.mark.parametrize(("msgid", "msgstr"), sorted(catalogue().items()))
def test_no_translation_repeats_itself(msgid: str, msgstr: str) -> None:
    assert repeated(msgstr) is None or repeated(msgid) is not None, f"{msgid!r} → {msgstr!r}"
