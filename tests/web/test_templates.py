"""The portal's templates: what Django would print to the page instead of treating as a comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "menkan" / "web"


def test_no_template_has_a_comment_over_several_lines() -> None:
    # Django's {# … #} ends at the end of its line: one spread over two lines is printed on the page, text and all
    # (the base template once put its note about error pages above every page's content).
    found = [
        f"{path.relative_to(TEMPLATES)}:{path.read_text(encoding='utf-8')[: match.start()].count(chr(10)) + 1}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in re.finditer(r"\{#(.*?)#\}", path.read_text(encoding="utf-8"), re.S)
        if "\n" in match.group(1)
    ]
    assert found == [], "use {% comment %} for these: " + ", ".join(found)


@pytest.mark.django_db
def test_the_sign_in_page_shows_no_template_syntax(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "{#" not in page and "#}" not in page and "{%" not in page
