"""Engine input errors in the portal: located by the path the engine gives as data, in the user's language."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from menkan.engine import InputError
from menkan.engine.errors import InputProblem
from menkan.web.errors import input_error_text
from menkan.web.records.models import CourseRecord

from .conftest import World


def _put(world: World, document: dict[str, Any], language: str = "zh-hant") -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users["registrar"])
    url = f"/api/v1/students/{world.institution.code}/{world.own.student_id}"
    return client.put(url, data=json.dumps(document), content_type="application/json")


def _document(world: World) -> dict[str, Any]:
    client = Client()
    client.force_login(world.users["registrar"])
    document: dict[str, Any] = client.get(f"/api/v1/students/ntut/{world.own.student_id}").json()
    return document


def test_a_bad_value_is_refused_at_its_path_in_the_users_language(world: World) -> None:
    document = _document(world)
    document["courses"][1]["credits"] = -3
    response = _put(world, document)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "courses", 1, "credits"], "msg": "必須 ≥ 0", "type": "value_error"}
    ]
    english = _put(world, document, "en")
    assert english.json()["detail"][0]["msg"] == "must be ≥ 0"


def test_a_grade_off_the_institutions_scale_is_refused_when_imported_and_nothing_changes(world: World) -> None:
    before = list(CourseRecord.objects.filter(student=world.own).values_list("code", "grade"))
    document = _document(world)
    document["courses"][0]["grade"] = "101"
    response = _put(world, document)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "courses", 0, "grade"], "msg": "「101」不是 ntut 的成績", "type": "value_error"}
    ]
    assert _put(world, document, "en").json()["detail"][0]["msg"] == "'101' is not a grade on ntut's scale"
    assert list(CourseRecord.objects.filter(student=world.own).values_list("code", "grade")) == before


def test_pages_show_an_engine_error_located_and_in_the_active_language(settings: Any) -> None:
    from django.utils import translation

    error = InputError(
        [
            InputProblem(
                None,
                ("courses", 3, "grade"),
                "'Z' is not a grade on x's scale",
                None,
                "not-a-grade",
                "「Z」不是 x 的成績",
            )
        ]
    )
    with translation.override("zh-hant"):
        assert input_error_text(error) == "$.courses[3].grade: 「Z」不是 x 的成績"
    with translation.override("en"):
        assert input_error_text(error) == "$.courses[3].grade: 'Z' is not a grade on x's scale"
