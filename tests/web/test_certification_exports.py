"""Graduate lists per department, XLSX and PDF, zh-TW and English: who is on them, and only the registrar's."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from menkan.web.certification.models import Review

from .certification_support import candidate_of, certify, opened, publish_small
from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(world: World) -> Review:
    publish_small(5)
    review = opened(world)
    certify(world, candidate_of(review, world.own))
    return review


def _rows(content: bytes) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


HEADERS = {
    "zh-TW": ("系所", "學號", "姓名", "認證日期", "認證者", "規章版本"),
    "en": ("Department", "Student ID", "Name", "Certified on", "Certified by", "Policy version"),
}


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_xlsx_list_holds_the_departments_certified_students(world: World, review: Review, lang: str) -> None:
    url = reverse("certification:graduates-xlsx", args=[review.pk])
    response = world.client("registrar").get(url, {"department": world.own.department.code, "lang": lang})
    assert response.status_code == 200
    rows = _rows(response.content)
    assert rows[0] == HEADERS[lang]
    assert [row[1] for row in rows[1:]] == [world.own.student_id]  # the other student was not certified
    department = world.own.department
    assert rows[1][0] == (department.name_en or department.name_zh if lang == "en" else department.name_zh)
    assert rows[1][2] == world.own.name and str(rows[1][5]).startswith("v")


def test_a_department_with_no_graduates_has_no_list(world: World, review: Review) -> None:
    url = reverse("certification:graduates-xlsx", args=[review.pk])
    response = world.client("registrar").get(url, {"department": world.other.department.code})
    assert response.status_code == 404


def test_the_pdf_list_is_a_pdf(world: World, review: Review) -> None:
    url = reverse("certification:graduates-pdf", args=[review.pk])
    response = world.client("registrar").get(url, {"department": world.own.department.code, "lang": "en"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh-TW", ("畢業生名冊", "學號", "認證日期")), ("en", ("Graduate list", "Student ID", "Certified on"))],
)
def test_the_pdf_list_names_the_graduates_in_the_language_asked(
    world: World, review: Review, monkeypatch: pytest.MonkeyPatch, lang: str, words: tuple[str, ...]
) -> None:
    import weasyprint

    printed: list[str] = []

    class Capture:
        def __init__(self, string: str, base_url: str) -> None:
            printed.append(string)

        def write_pdf(self) -> bytes:
            return b"%PDF-1.7"

    monkeypatch.setattr(weasyprint, "HTML", Capture)
    url = reverse("certification:graduates-pdf", args=[review.pk])
    world.client("registrar").get(url, {"lang": lang})
    (html,) = printed
    assert all(word in html for word in words)
    assert world.own.student_id in html and world.other.student_id not in html


@pytest.mark.parametrize("role", ["department-officer", "department-head", "student", "foreign-registrar"])
def test_only_the_registrar_exports(world: World, review: Review, role: str) -> None:
    response = world.client(role).get(reverse("certification:graduates-xlsx", args=[review.pk]))
    assert response.status_code == 404
