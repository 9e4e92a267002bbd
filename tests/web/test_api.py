"""The JSON API (/api/v1): what each endpoint answers, how tokens and sessions authenticate, CSRF, errors, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from menkan.web.accounts.models import ApiToken
from menkan.web.accounts.services import api_token_create, api_token_hash, api_token_revoke
from menkan.web.audits.models import AuditResult, BatchRun
from menkan.web.records.models import CourseRecord, Student

from .conftest import World, course

pytestmark = pytest.mark.django_db

CSRF_SECRET = "k" * 32  # what Django keeps in the csrftoken cookie; sent back in X-CSRFToken
NO_SUCH_STUDENT = {"detail": "no such student"}  # for an unknown id and for a student one may not see alike


def session_client(world: World, role: str, *, csrf: bool = True) -> Client:
    """A logged-in browser: CSRF checks enforced, and (unless csrf=False) the token sent like htmx does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[role])
    client.cookies["csrftoken"] = CSRF_SECRET
    if csrf:
        client.defaults["HTTP_X_CSRFTOKEN"] = CSRF_SECRET
    return client


def token_client(raw: str) -> Client:
    """An integration: a bearer token, no cookies, no CSRF token, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")


def student_url(student: Student, suffix: str = "") -> str:
    return f"/api/v1/students/{student.institution.code}/{student.student_id}{suffix}"


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method.lower())(url)
    return getattr(client, method.lower())(url, data=json.dumps(body), content_type="application/json")


def locs(response: Any) -> list[list[Any]]:
    return [item["loc"] for item in response.json()["detail"]]


# --- students -------------------------------------------------------------------------------------------------


def test_student_list_is_paginated_and_filtered(world: World) -> None:
    client = session_client(world, "registrar")
    page = client.get("/api/v1/students").json()
    assert page["count"] == 2
    assert [item["student_id"] for item in page["items"]] == ["B112340001", "B112590001"]
    assert page["items"][0] == {
        "institution": "ntut",
        "student_id": "B112340001",
        "name": "學生001",
        "department": "340",
        "department_name": page["items"][0]["department_name"],
        "class_code": "CE-112",
        "status": None,
    }
    first = client.get("/api/v1/students?page_size=1").json()
    second = client.get("/api/v1/students?page_size=1&page=2").json()
    assert (first["count"], len(first["items"]), second["items"][0]["student_id"]) == (2, 1, "B112590001")
    assert client.get("/api/v1/students?page=9").json()["items"] == []
    assert [i["student_id"] for i in client.get("/api/v1/students?q=590").json()["items"]] == ["B112590001"]
    assert client.get("/api/v1/students?institution=nycu").json()["count"] == 0
    client.get(student_url(world.own, "/audit"))  # stores an audit
    status = AuditResult.objects.get(student=world.own).status
    assert [i["student_id"] for i in client.get(f"/api/v1/students?status={status}").json()["items"]] == ["B112340001"]


def test_bad_query_parameters_are_422_naming_the_parameter(world: World) -> None:
    client = session_client(world, "registrar")
    response = client.get("/api/v1/students?page=0")
    assert response.status_code == 422
    assert locs(response) == [["query", "page"]]
    assert locs(client.get("/api/v1/students?status=done")) == [["query", "status"]]


def test_student_document_is_menkan_student_1(world: World) -> None:
    document = session_client(world, "student").get(student_url(world.own)).json()
    assert document["schema"] == "menkan.student/1"
    assert (document["institution"], document["student_id"]) == ("ntut", "B112340001")
    assert {c["code"] for c in document["courses"]} == {"1401032", "1404006"}


def test_courses_of_a_student(world: World) -> None:
    courses = session_client(world, "mentor").get(student_url(world.own, "/courses")).json()
    assert [(c["code"], c["credits"], c["term"], c["grade"]) for c in courses] == [
        ("1401032", 3.0, "112-1", "85"),
        ("1404006", 2.0, "112-1", "85"),
    ]
    assert courses[0]["category"] == "professional-required"


def test_someone_elses_student_is_answered_as_an_unknown_one_404_as_json(world: World) -> None:
    """Staff are told a student they may not see is unknown (404); a student, who may see nobody else, is refused
    (403) whatever the id: neither answer says which ids exist."""
    client = session_client(world, "mentor")
    missing = client.get("/api/v1/students/ntut/B000000000")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    refused = client.get(student_url(world.other))
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json()) == (404, NO_SUCH_STUDENT)
    assert client.get("/api/v1/students/nowhere/B112340001").status_code == 404
    student = session_client(world, "student")
    missing, refused = student.get("/api/v1/students/ntut/B000000000"), student.get(student_url(world.other))
    assert missing["Content-Type"].startswith("application/json")
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
    assert refused.status_code == 403


def test_unauthenticated_is_401_as_json(world: World) -> None:
    response = Client().get("/api/v1/students")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


# --- audits ---------------------------------------------------------------------------------------------------


def test_audit_is_the_stored_menkan_audit_1(world: World) -> None:
    response = session_client(world, "student").get(student_url(world.own, "/audit"))
    assert response.status_code == 200
    audit = response.json()
    assert audit["schema"] == "menkan.audit/1"
    assert audit["student_id"] == "B112340001"
    assert audit["status"] in {"met", "not-met", "in-progress"}
    assert AuditResult.objects.get(student=world.own).document == audit


def test_what_if_returns_the_audit_with_the_planned_course_and_stores_nothing(world: World) -> None:
    client = session_client(world, "student")
    before = client.get(student_url(world.own, "/audit")).json()
    count = CourseRecord.objects.count()
    body = {"planned": [{"code": "3401004", "title": "工程靜力學", "credits": 3, "category": "professional-required"}]}
    response = send(client, "POST", student_url(world.own, "/what-if"), body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["schema"] == "menkan.audit/1"
    assert "3401004@" in json.dumps(result)
    assert CourseRecord.objects.count() == count
    assert AuditResult.objects.get(student=world.own).document == before


def test_what_if_refuses_bad_input_naming_the_field(world: World) -> None:
    client = session_client(world, "student")
    url = student_url(world.own, "/what-if")
    bad_credits = send(client, "POST", url, {"planned": [{"code": "X1", "title": "x", "credits": "three"}]})
    assert bad_credits.status_code == 422
    assert locs(bad_credits) == [["body", "planned", 0, "credits"]]
    negative = send(client, "POST", url, {"planned": [{"code": "X1", "title": "x", "credits": -1}]})
    assert locs(negative) == [["body", "planned", 0, "credits"]]
    unknown_field = send(client, "POST", url, {"planned": [], "plan": []})
    assert locs(unknown_field) == [["body", "plan"]]
    missing_title = send(client, "POST", url, {"planned": [{"code": "X1", "credits": 1}]})
    assert locs(missing_title) == [["body", "planned", 0, "title"]]
    program = send(client, "POST", url, {"programs": ["no-such-program"]})
    assert program.status_code == 422
    assert locs(program) == [["body", "programs", 0]]
    not_json = client.post(url, data="planned=1", content_type="application/json")
    assert not_json.status_code in (400, 422)


def test_engine_problems_of_a_what_if_are_located_in_the_request_or_the_stored_record() -> None:
    from menkan.web.audits.rest_api import _what_if_loc

    assert _what_if_loc(("courses", 5, "credits"), existing=3) == ["body", "planned", 2, "credits"]
    assert _what_if_loc(("courses", 1, "code"), existing=3) == ["record", "courses", 1, "code"]
    assert _what_if_loc(("programs", 0, "program"), existing=3) == ["record", "programs", 0, "program"]


# --- replacing a record ----------------------------------------------------------------------------------------


def _document(client: Client, student: Student) -> dict[str, Any]:
    return client.get(student_url(student)).json()


def test_registrar_replaces_a_record_with_a_document(world: World, django_capture_on_commit_callbacks: Any) -> None:
    client = session_client(world, "registrar")
    document = _document(client, world.own)
    document["courses"].append(course("3401004", "工程靜力學", 3, "112-2", category="professional-required"))
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "PUT", student_url(world.own), document)
    assert response.status_code == 200, response.content
    assert {c["code"] for c in response.json()["courses"]} == {"1401032", "1404006", "3401004"}
    added = CourseRecord.objects.get(student=world.own, code="3401004")
    assert added.history.first().history_user == world.users["registrar"]  # type: ignore[attr-defined]
    assert "3401004@112-2" in json.dumps(AuditResult.objects.get(student=world.own).document)  # re-audited
    again = send(client, "PUT", student_url(world.own), response.json())  # idempotent round trip
    assert again.status_code == 200
    assert again.json() == response.json()


def test_put_creates_a_new_student_with_201(world: World) -> None:
    client = session_client(world, "registrar")
    document = {**_document(client, world.own), "student_id": "B112340099", "name": "新生"}
    response = send(client, "PUT", "/api/v1/students/ntut/B112340099", document)
    assert response.status_code == 201, response.content
    assert Student.objects.get(institution=world.institution, student_id="B112340099").name == "新生"


def test_put_refuses_an_invalid_document_naming_the_json_path_and_changes_nothing(world: World) -> None:
    client = session_client(world, "registrar")
    document = _document(client, world.own)
    before = list(CourseRecord.objects.filter(student=world.own).values_list("code", "credits"))
    document["courses"][1]["credits"] = "lots"
    document["courses"].append(course("3401004", "工程靜力學", 3, "112-2"))
    response = send(client, "PUT", student_url(world.own), document)
    assert response.status_code == 422
    assert ["body", "courses", 1, "credits"] in locs(response)
    assert list(CourseRecord.objects.filter(student=world.own).values_list("code", "credits")) == before

    unknown = {**_document(client, world.own), "nickname": "x"}
    assert locs(send(client, "PUT", student_url(world.own), unknown)) == [["body", "nickname"]]
    wrong_id = {**_document(client, world.own), "student_id": "B112590001"}
    assert locs(send(client, "PUT", student_url(world.own), wrong_id)) == [["body", "student_id"]]
    not_an_object = send(client, "PUT", student_url(world.own), [1, 2])
    assert (not_an_object.status_code, locs(not_an_object)) == (422, [["body"]])


def test_put_for_an_unknown_institution_is_404(world: World) -> None:
    client = session_client(world, "registrar")
    response = send(client, "PUT", "/api/v1/students/nowhere/B1", {"schema": "menkan.student/1"})
    assert response.status_code == 404


# --- batch audits ----------------------------------------------------------------------------------------------


def test_registrar_runs_a_batch_audit_and_follows_it(world: World) -> None:
    client = session_client(world, "registrar")
    response = send(client, "POST", "/api/v1/batch-audits", {})  # registrar of one institution: that one
    assert response.status_code == 202, response.content
    run = response.json()
    assert (run["institution"], run["total"]) == ("ntut", 2)
    progress = client.get(f"/api/v1/batch-audits/{run['id']}").json()
    assert progress["state"] == "done"  # no broker in tests: tasks run eagerly
    assert progress["progress"] == 1.0
    assert progress["done"] + progress["failed"] == 2
    assert BatchRun.objects.get(pk=run["id"]).started_by == world.users["registrar"]
    assert client.get("/api/v1/batch-audits/999999").status_code == 404
    assert send(client, "POST", "/api/v1/batch-audits", {"institution": "nowhere"}).status_code == 404


# --- imports ---------------------------------------------------------------------------------------------------


COURSES_CSV = (
    "學號,學期,永久課號,課名,學分數,選別,成績\r\n"
    "B112340001,112-2,3401004,工程靜力學,3,必,78\r\n"
    "B112590001,112-2,5901010,資料結構,3,必,\r\n"
).encode("utf-8-sig")
ACTIVITIES_CSV = "學號,項目,時數,學期,活動名稱\r\nB112340001,social,8,113-1,淨灘志工\r\n".encode()


def upload(client: Client, kind: str, content: bytes, **fields: Any) -> Any:
    file = SimpleUploadedFile(f"{kind}.csv", content, content_type="text/csv")
    headers = {name: fields.pop(name) for name in list(fields) if name.startswith("HTTP_")}
    return client.post("/api/v1/imports", {"kind": kind, "file": file, **fields}, **headers)


def test_import_is_a_dry_run_unless_applied(world: World) -> None:
    client = session_client(world, "registrar")
    count = CourseRecord.objects.count()
    dry = upload(client, "courses", COURSES_CSV)
    assert dry.status_code == 200, dry.content
    assert (dry.json()["ok"], dry.json()["applied"], dry.json()["report"]["created"]) == (True, False, 2)
    assert CourseRecord.objects.count() == count
    applied = upload(client, "courses", COURSES_CSV, apply="true", institution="ntut")
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"] is True
    assert CourseRecord.objects.count() == count + 2
    assert upload(client, "courses", COURSES_CSV, apply="true").json()["report"]["unchanged"] == 2  # idempotent


def test_an_import_with_problems_is_422_with_its_report_and_stores_nothing(world: World) -> None:
    client = session_client(world, "registrar")
    count = CourseRecord.objects.count()
    bad = COURSES_CSV.replace(b",3,", b",three,", 1)
    response = upload(client, "courses", bad, apply="true")
    assert response.status_code == 422
    body = response.json()
    assert (body["ok"], body["applied"]) == (False, False)
    assert [(p["row"], p["column"]) for p in body["report"]["problems"]] == [(2, "學分數")]
    assert "detail" in body
    assert CourseRecord.objects.count() == count


def test_import_refuses_an_unknown_kind_or_a_missing_file_naming_the_field(world: World) -> None:
    client = session_client(world, "registrar")
    assert locs(upload(client, "grades", COURSES_CSV)) == [["form", "kind"]]
    missing = client.post("/api/v1/imports", {"kind": "courses"})
    assert (missing.status_code, locs(missing)) == (422, [["file", "file"]])
    assert upload(client, "courses", COURSES_CSV, institution="nowhere").status_code == 404


def test_unit_staff_import_only_items_their_unit_owns_and_no_courses(world: World) -> None:
    """NTUT's policy names no owner of `social`: it is the registrar's, so 教務處's row is refused where it is."""
    client = session_client(world, "unit-staff")
    response = upload(client, "activities", ACTIVITIES_CSV, apply="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422, response.content
    [problem] = response.json()["report"]["problems"]
    assert (problem["row"], problem["column"]) == (2, "項目")
    assert problem["reason"] == "only the registrar of ntut registers hours of social"
    assert not world.own.activities.exists()
    refused = upload(client, "courses", COURSES_CSV, apply="true", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "you may not import course records into ntut"}
    in_chinese = upload(client, "courses", COURSES_CSV, apply="true", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert in_chinese.json() == {"detail": "您不能匯入 ntut 的修課紀錄"}


# --- who am I, tokens, authentication --------------------------------------------------------------------------


def test_me_lists_my_roles(world: World) -> None:
    me = session_client(world, "mentor").get("/api/v1/me").json()
    assert me["username"] == "mentor"
    assert me["auth"] == "session"
    assert me["roles"] == [
        {
            "role": "mentor",
            "institution": "ntut",
            "department": None,
            "school_class": "CE-112",
            "unit": None,
            "program": None,
        }
    ]
    assert me["student"] is None
    student = session_client(world, "student").get("/api/v1/me").json()
    assert student["student"] == {"institution": "ntut", "student_id": "B112340001"}


def test_a_token_is_shown_once_and_only_its_hash_is_stored(world: World) -> None:
    client = session_client(world, "registrar")
    response = send(client, "POST", "/api/v1/tokens", {"name": "SIS nightly sync"})
    assert response.status_code == 201, response.content
    created = response.json()
    raw = created["token"]
    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.token_hash == api_token_hash(raw)
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["SIS nightly sync"]
    assert raw not in json.dumps(listed)
    me = token_client(raw).get("/api/v1/me").json()
    assert (me["username"], me["auth"]) == ("registrar", "token")
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_token_auth_needs_no_csrf_and_acts_as_its_user(world: World) -> None:
    _, raw = api_token_create(world.users["registrar"], "integration")
    client = token_client(raw)
    document = client.get(student_url(world.own)).json()
    document["name"] = "改名"
    response = send(client, "PUT", student_url(world.own), document)
    assert response.status_code == 200, response.content
    world.own.refresh_from_db()
    assert world.own.name == "改名"
    assert world.own.history.first().history_user == world.users["registrar"]  # type: ignore[attr-defined]
    what_if = send(client, "POST", student_url(world.own, "/what-if"), {"planned": []})
    assert what_if.status_code == 200


def test_a_revoked_token_is_refused(world: World) -> None:
    token, raw = api_token_create(world.users["registrar"], "old")
    assert token_client(raw).get("/api/v1/me").status_code == 200
    api_token_revoke(token)
    response = token_client(raw).get("/api/v1/me")
    assert (response.status_code, response.json()) == (401, {"detail": "invalid or revoked token"})


def test_revoking_through_the_api(world: World) -> None:
    token, raw = api_token_create(world.users["unit-staff"], "spare")
    _, other_raw = api_token_create(world.users["unit-staff"], "in use")
    client = token_client(other_raw)
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert token_client(raw).get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200
    someone_elses, _ = api_token_create(world.users["registrar"], "theirs")
    assert client.delete(f"/api/v1/tokens/{someone_elses.pk}").status_code == 404
    someone_elses.refresh_from_db()
    assert not someone_elses.revoked


def test_bad_tokens_are_refused_even_with_a_session(world: World) -> None:
    client = session_client(world, "registrar")
    for header in ("Bearer menkan_nonsense", "Bearer ", "bearer x", "Bearer " + "x" * 500):
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
    # another scheme (say, the Basic auth of a proxy in front of the portal) is not a token: the session decides
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic cmVnaXN0cmFyOng=").status_code == 200
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Basic cmVnaXN0cmFyOng=").status_code == 401


def test_a_token_cannot_create_tokens(world: World) -> None:
    _, raw = api_token_create(world.users["registrar"], "integration")
    response = send(token_client(raw), "POST", "/api/v1/tokens", {"name": "more"})
    assert response.status_code == 401
    assert ApiToken.objects.count() == 1


def test_an_inactive_users_token_is_refused(world: World) -> None:
    _, raw = api_token_create(world.users["registrar"], "integration")
    world.users["registrar"].is_active = False
    world.users["registrar"].save()
    assert token_client(raw).get("/api/v1/me").status_code == 401


def test_a_one_time_password_must_be_changed_before_using_the_api(world: World) -> None:
    user = world.users["mentor"]
    user.must_change_password = True
    user.save()
    response = session_client(world, "mentor").get("/api/v1/students")
    assert response.status_code == 403
    assert "password" in response.json()["detail"]


def test_session_post_without_csrf_token_is_refused(world: World) -> None:
    client = session_client(world, "registrar", csrf=False)
    for method, url, body in (
        ("POST", student_url(world.own, "/what-if"), {"planned": []}),
        ("PUT", student_url(world.own), {"schema": "menkan.student/1"}),
        ("POST", "/api/v1/tokens", {"name": "x"}),
        ("POST", "/api/v1/batch-audits", {}),
    ):
        response = send(client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert "CSRF" in response.json()["detail"]
    assert ApiToken.objects.count() == 0
    assert BatchRun.objects.count() == 0
    assert client.get(student_url(world.own)).status_code == 200  # reading needs no CSRF token
    with_token = send(session_client(world, "registrar"), "POST", "/api/v1/tokens", {"name": "x"})
    assert with_token.status_code == 201


def test_anonymous_unsafe_request_is_401_not_a_csrf_error(world: World) -> None:
    response = send(Client(enforce_csrf_checks=True), "POST", student_url(world.own, "/what-if"), {"planned": []})
    assert response.status_code == 401


# --- OpenAPI ---------------------------------------------------------------------------------------------------


def test_openapi_lists_the_endpoints_and_both_ways_to_authenticate(world: World) -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert paths >= {
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/tokens"),
        ("GET", "/api/v1/students"),
        ("GET", "/api/v1/students/{institution}/{student_id}"),
        ("PUT", "/api/v1/students/{institution}/{student_id}"),
        ("GET", "/api/v1/students/{institution}/{student_id}/courses"),
        ("GET", "/api/v1/students/{institution}/{student_id}/audit"),
        ("POST", "/api/v1/students/{institution}/{student_id}/what-if"),
        ("POST", "/api/v1/imports"),
        ("POST", "/api/v1/batch-audits"),
        ("GET", "/api/v1/batch-audits/{run_id}"),
    }
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security"), f"{method.upper()} {path} has no authentication"


def test_api_docs_render(world: World) -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert "/api/openapi.json" in html
