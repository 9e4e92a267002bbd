"""Any-of requirements on the student's page (NTUT's cross-domain condition): once met, the alternative that met it
is shown met and the others as not needed (neutral), never as failures; while unmet, every alternative stays shown
with what is missing. Rendering only: the stored menkan.audit/1 result keeps each alternative's own status."""

from __future__ import annotations

import re

import pytest

from menkan.web.audits.models import AuditResult

from .conftest import World
from .test_programs_support import add_courses, publish_programs, register, worked_example

pytestmark = pytest.mark.django_db

ALTERNATIVES = ("program", "second-specialty", "minor", "double-major")


def block(page: str, requirement: str) -> str:
    """The HTML of one requirement's node, up to the next node."""
    start = rf'<div class="req [^"]*" data-requirement="{re.escape(requirement)}"'
    match = re.search(rf"{start}.*?(?=<div class=\"req |</main>)", page, re.S)
    assert match, requirement
    return match.group(0)


def home(world: World) -> str:
    response = world.client("student").get(f"/students/ntut/{world.own.student_id}/")
    assert response.status_code == 200
    return response.content.decode()


def met_cross_domain(world: World) -> None:
    publish_programs()
    add_courses(world.own, worked_example())
    register(world.own, "AVM", "112-2")


def test_a_met_any_of_shows_its_alternative_met_and_the_others_as_not_needed(world: World) -> None:
    met_cross_domain(world)
    page = home(world)
    assert 'class="status met">通過' in block(page, "cross-domain")
    assert 'class="status met">通過' in block(page, "cross-domain.micro-program")
    for alternative in ALTERNATIVES:
        node = block(page, f"cross-domain.{alternative}")
        assert 'data-shown="not-needed"' in node and "無須修讀" in node, alternative
        assert "未通過" not in node and "尚缺" not in node and 'class="missing"' not in node, alternative


def test_the_stored_result_keeps_the_alternatives_own_status(world: World) -> None:
    met_cross_domain(world)
    home(world)
    result = AuditResult.objects.get(student=world.own).document
    cross = next(node for node in result["requirements"] if node["id"] == "cross-domain")
    assert cross["status"] == "met"
    assert [child["status"] for child in cross["children"][1:]] == ["not-met"] * 4  # the JSON is unchanged


def test_an_unmet_any_of_shows_every_alternative_with_what_is_missing(world: World) -> None:
    page = home(world)
    assert 'class="status not-met">未通過' in block(page, "cross-domain")
    assert "以下選項符合任一項即可" in block(page, "cross-domain")
    for alternative in ALTERNATIVES:
        node = block(page, f"cross-domain.{alternative}")
        assert "not-needed" not in node and "未通過" in node and "尚缺 1 張證照" in node, alternative


def test_not_needed_in_english(world: World) -> None:
    met_cross_domain(world)
    c = world.client("student")
    c.cookies["django_language"] = "en"
    page = c.get(f"/students/ntut/{world.own.student_id}/").content.decode()
    node = block(page, "cross-domain.minor")
    assert "Not needed" in node and "Not met" not in node
