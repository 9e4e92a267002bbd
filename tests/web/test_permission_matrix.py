"""The permission matrix: every API endpoint and every page, tried by every role (and by nobody), on objects the
role may touch and on someone else's — `world.other` (another department's student) and `world.foreign` (another
institution's). Refusal is expected wherever the role has no business; success wherever it has.

The routes are read from the NinjaAPI and the URL resolver, so a new endpoint or page cannot escape: it fails
here until it has a row below saying who may use it. The expectations are written out by hand (who sees which
student), not derived from the selectors under test.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from menkan.web.accounts.models import ApiToken
from menkan.web.accounts.services import api_token_create
from menkan.web.api import api
from menkan.web.audits.models import BatchRun
from menkan.web.audits.services import batch_audit_create
from menkan.web.records.models import Activity, Institution, Student
from menkan.web.records.selectors import student_document

from .conftest import World
from .test_api import CSRF_SECRET

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
ROLES = (
    "student",
    "other-student",
    "mentor",
    "department-officer",
    "department-head",
    "program-contact",
    "program-head",
    "unit-staff",
    "registrar",
    "foreign-registrar",
)
MODES = ("session", "token")

# Who may see each student's records (the rule of the house, written out).
SEES = {
    "own": {"student", "mentor", "department-officer", "department-head", "registrar"},
    "other": {"other-student", "registrar"},
    "foreign": {"foreign-registrar"},
}
STUDENTS = tuple(SEES)
INSTITUTION_OF = {"own": "ntut", "other": "ntut", "foreign": "nycu"}
REGISTRAR_OF = {"ntut": {"registrar"}, "nycu": {"foreign-registrar"}}
# Imports: the registrar everything; unit staff (教務處 of ntut) activities and certificates of their unit.
IMPORTERS = {
    ("ntut", "students"): {"registrar"},
    ("nycu", "students"): {"foreign-registrar"},
    ("ntut", "activities"): {"registrar", "unit-staff"},
    ("nycu", "activities"): {"foreign-registrar"},
}
IMPORT_FILES = {
    ("ntut", "students"): "學號,系所,入學學期\r\nB112340050,340,112-1\r\n",
    ("nycu", "students"): "學號,系所,入學學期\r\n110550050,CS,110-1\r\n",
    ("ntut", "activities"): "學號,項目,時數,學期,活動名稱\r\nB112340001,social,8,113-1,淨灘志工\r\n",
    ("nycu", "activities"): "學號,項目,時數,學期,活動名稱\r\n110550001,social,8,113-1,淨灘志工\r\n",
}
IMPORT_PAGE_USERS = {"registrar", "foreign-registrar", "unit-staff"}


def test_the_matrix_covers_every_role_of_the_world(world: World) -> None:
    assert set(ROLES) == set(world.users), "add the new role to ROLES and to the expectations of the matrix"


# --------------------------------------------------------------------------------------------------- the cases


@dataclass
class Ctx:
    world: World
    role: str
    mode: str
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    runs: dict[str, BatchRun] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.role == ANONYMOUS

    def student(self, target: str) -> Student:
        return {"own": self.world.own, "other": self.world.other, "foreign": self.world.foreign}[target]

    def student_kwargs(self, target: str) -> dict[str, str]:
        student = self.student(target)
        return {"institution": student.institution.code, "student_id": student.student_id}

    def visible(self) -> set[str]:
        return {self.student(t).student_id for t in STUDENTS if self.role in SEES[t]}

    def hidden(self) -> set[str]:
        return {self.student(t).student_id for t in STUDENTS if self.role not in SEES[t]}


Check = Callable[[Ctx, Any], "str | None"]


@dataclass
class Case:
    target: str
    kwargs: dict[str, Any]
    allowed: bool
    ok: int
    body: Any = None
    multipart: bool = False
    refused: int | None = None  # when refusal is not 401 (anonymous) / 403 (everyone else)
    check: Check | None = None  # on success: the content holds only what the role may see
    after: Callable[[Ctx], str | None] | None = None  # on refusal: nothing changed


def _listing_holds_only_visible_students(ctx: Ctx, text: str) -> str | None:
    shown = {sid for sid in ctx.visible() | ctx.hidden() if sid in text}
    if shown != ctx.visible():
        return f"lists {sorted(shown)}, should list exactly {sorted(ctx.visible())} of own/other/foreign"
    return None


def _api_listing(ctx: Ctx, response: Any) -> str | None:
    return _listing_holds_only_visible_students(ctx, " ".join(i["student_id"] for i in response.json()["items"]))


def _page_listing(ctx: Ctx, response: Any) -> str | None:
    return _listing_holds_only_visible_students(ctx, response.content.decode())


def _xlsx_listing(ctx: Ctx, response: Any) -> str | None:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    cells = " ".join(str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row)
    return _listing_holds_only_visible_students(ctx, cells)


def _renamed(role: str) -> str:
    return f"renamed by {role}"


def _not_renamed(target: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        name = Student.objects.get(pk=ctx.student(target).pk).name
        return f"the record was changed anyway (name {name!r})" if name == _renamed(ctx.role) else None

    return after


def _no_batch_run(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        started = BatchRun.objects.filter(institution__code=code).exclude(pk=ctx.runs[code].pk)
        return f"a batch run of {code} was started anyway" if started.exists() else None

    return after


def _nothing_imported(institution: str, kind: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        if kind == "students":
            imported = Student.objects.filter(student_id__in=("B112340050", "110550050"), institution__code=institution)
        else:
            imported = Activity.objects.filter(student__institution__code=institution)
        return f"{kind} were imported into {institution} anyway" if imported.exists() else None

    return after


def _token_not_revoked(ctx: Ctx) -> str | None:
    ctx.tokens["theirs"].refresh_from_db()
    return "someone else's token was revoked" if ctx.tokens["theirs"].revoked else None


def _may(ctx: Ctx, who: set[str]) -> bool:
    return ctx.role in who


def _signed_in(ctx: Ctx) -> bool:
    return not ctx.anonymous


def _student_cases(ok: int, body: Callable[[Ctx, str], Any] | None = None) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [
            Case(t, ctx.student_kwargs(t), _may(ctx, SEES[t]), ok, body=body(ctx, t) if body else None)
            for t in STUDENTS
        ]

    return cases


def _replace_cases(ctx: Ctx) -> list[Case]:
    cases = []
    for target in STUDENTS:
        document = {**student_document(ctx.student(target)), "name": _renamed(ctx.role)}
        allowed = _may(ctx, REGISTRAR_OF[INSTITUTION_OF[target]])
        cases.append(Case(target, ctx.student_kwargs(target), allowed, 200, body=document, after=_not_renamed(target)))
    return cases


def _import_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            f"{kind} of {institution}",
            {},
            _may(ctx, who),
            200,
            body={
                "kind": kind,
                "institution": institution,
                "apply": "true",
                "file": SimpleUploadedFile(f"{kind}.csv", IMPORT_FILES[institution, kind].encode()),
            },
            multipart=True,
            after=_nothing_imported(institution, kind),
        )
        for (institution, kind), who in IMPORTERS.items()
    ]


def _batch_start_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 202, body={"institution": code}, after=_no_batch_run(code))
        for code in REGISTRAR_OF
    ]


def _batch_get_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(f"{code} run", {"run_id": ctx.runs[code].pk}, _may(ctx, REGISTRAR_OF[code]), 200) for code in REGISTRAR_OF
    ]


def _token_revoke_cases(ctx: Ctx) -> list[Case]:
    return [
        Case("my token", {"token_id": ctx.tokens["mine"].pk}, _signed_in(ctx), 204),
        Case(
            "someone else's token",
            {"token_id": ctx.tokens["theirs"].pk},
            False,
            204,
            refused=404,
            after=_token_not_revoked,
        ),
    ]


def _token_create_cases(ctx: Ctx) -> list[Case]:
    # tokens are minted from a logged-in session only: a bearer token is not enough (401)
    return [
        Case(
            "-",
            {},
            _signed_in(ctx) and ctx.mode == "session",
            201,
            body={"name": "matrix"},
            refused=401 if ctx.mode == "token" else None,
        )
    ]


def _signed_in_case(ok: int, check: Check | None = None) -> Callable[[Ctx], list[Case]]:
    return lambda ctx: [Case("-", {}, _signed_in(ctx), ok, check=check)]


WHAT_IF = {"planned": [{"code": "3401004", "title": "工程靜力學", "credits": 3}]}

#: Every API route: (METHOD, path as in the OpenAPI document) -> its cases.
API_ROUTES: dict[tuple[str, str], Callable[[Ctx], list[Case]]] = {
    ("GET", "/api/v1/me"): _signed_in_case(200),
    ("POST", "/api/v1/tokens"): _token_create_cases,
    ("GET", "/api/v1/tokens"): _signed_in_case(200),
    ("DELETE", "/api/v1/tokens/{token_id}"): _token_revoke_cases,
    ("GET", "/api/v1/students"): _signed_in_case(200, _api_listing),
    ("GET", "/api/v1/students/{institution}/{student_id}"): _student_cases(200),
    ("PUT", "/api/v1/students/{institution}/{student_id}"): _replace_cases,
    ("GET", "/api/v1/students/{institution}/{student_id}/courses"): _student_cases(200),
    ("GET", "/api/v1/students/{institution}/{student_id}/audit"): _student_cases(200),
    ("POST", "/api/v1/students/{institution}/{student_id}/what-if"): _student_cases(200, lambda ctx, t: WHAT_IF),
    ("POST", "/api/v1/imports"): _import_cases,
    ("POST", "/api/v1/batch-audits"): _batch_start_cases,
    ("GET", "/api/v1/batch-audits/{run_id}"): _batch_get_cases,
    # --- activities API endpoints
    # --- notices API endpoints
    # --- reports API endpoints
    # --- programs API endpoints
    # --- microcredits API endpoints
    # --- fees API endpoints
}


def _redirects_home(ctx: Ctx, response: Any) -> str | None:
    return "sent to the login page" if response.url.startswith("/accounts/login/") else None


def _page_import_cases(ctx: Ctx) -> list[Case]:
    cases = [Case("GET", {}, _may(ctx, IMPORT_PAGE_USERS), 200)]
    for case in _import_cases(ctx):
        case.body = {**case.body, "validate_only": ""}
        case.body.pop("apply")
        cases.append(case)
    return cases


def _export_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            kind, {"kind": kind}, _signed_in(ctx), 200, check=_xlsx_listing if kind in ("students", "courses") else None
        )
        for kind in ("students", "courses", "activities", "certificates")
    ]


# --- cases of the activities app's pages and endpoints

# --- cases of the notices app's pages and endpoints

# --- cases of the reports app's pages and endpoints

# --- cases of the programs app's pages and endpoints

# --- cases of the microcredits app's pages and endpoints

# --- cases of the fees app's pages and endpoints


#: Every page: URL name -> (method, cases). Pages take the session only.
PAGES: dict[str, list[tuple[str, Callable[[Ctx], list[Case]]]]] = {
    "home": [("GET", _signed_in_case(302, _redirects_home))],
    "records:student-list": [("GET", _signed_in_case(200, _page_listing))],
    "records:student-list-export": [("GET", _signed_in_case(200, _xlsx_listing))],
    "records:student-home": [("GET", _student_cases(200))],
    "audits:what-if": [
        ("GET", _student_cases(200)),
        ("POST", _student_cases(200, lambda ctx, t: {"planned": "3401004, 工程靜力學, 3"})),
    ],
    "audits:audit-pdf": [("GET", _student_cases(200))],
    "imports:import": [
        ("GET", lambda ctx: _page_import_cases(ctx)[:1]),
        ("POST", lambda ctx: _page_import_cases(ctx)[1:]),
    ],
    "imports:export": [("GET", _export_cases)],
    # --- activities pages
    # --- notices pages
    # --- reports pages
    # --- programs pages
    # --- microcredits pages
    # --- fees pages
}
PAGE_EXEMPT_PREFIXES = ("admin/", "api/", "accounts/", "i18n/")  # own checks (admin), covered above (api), public


# --------------------------------------------------------------------------------------------------- the routes


def api_routes() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(PAGE_EXEMPT_PREFIXES):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif not route.startswith(PAGE_EXEMPT_PREFIXES):
            yield route, f"{namespace}{entry.name}" if entry.name else "", entry


def page_routes() -> dict[str, str]:
    """URL name -> route of every page outside admin/, api/, accounts/ and i18n/."""
    return {name or f"<unnamed {route}>": route for route, name, _ in _walk(get_resolver().url_patterns)}


def test_every_api_route_has_expectations() -> None:
    missing = sorted(api_routes() - set(API_ROUTES))
    stale = sorted(set(API_ROUTES) - api_routes())
    assert not missing, f"API routes with no row in API_ROUTES (say who may use them): {missing}"
    assert not stale, f"rows in API_ROUTES for routes that no longer exist: {stale}"


def test_every_page_has_expectations() -> None:
    pages = page_routes()
    missing = sorted(f"{name} (/{route})" for name, route in pages.items() if name not in PAGES)
    stale = sorted(set(PAGES) - set(pages))
    assert not missing, f"pages with no row in PAGES (say who may open them): {missing}"
    assert not stale, f"rows in PAGES for pages that no longer exist: {stale}"


# --------------------------------------------------------------------------------------------------- running


def _setup(world: World, role: str, mode: str) -> tuple[Ctx, Client]:
    ctx = Ctx(world, role, mode)
    for code in REGISTRAR_OF:
        ctx.runs[code], _ = batch_audit_create(institution=Institution.objects.get(code=code))
    owner = world.users.get(role, world.users["student"])
    ctx.tokens["mine"], _ = api_token_create(owner, "spare")
    ctx.tokens["theirs"], _ = api_token_create(world.users["student" if role == "registrar" else "registrar"], "x")
    client = Client(enforce_csrf_checks=True)
    # CSRF token sent in both modes: what is tested is the role (and, in token mode, that a token opens no page)
    client.cookies["csrftoken"] = CSRF_SECRET
    client.defaults["HTTP_X_CSRFTOKEN"] = CSRF_SECRET
    if mode == "session":
        if not ctx.anonymous:
            client.force_login(world.users[role])
    else:
        raw = "menkan_not-a-token" if ctx.anonymous else api_token_create(world.users[role], "matrix")[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return ctx, client


def _request(client: Client, method: str, url: str, case: Case) -> Any:
    call = getattr(client, method.lower())
    if case.body is None:
        return call(url)
    if case.multipart:
        return call(url, data=case.body)
    if not url.startswith("/api/"):
        return call(url, data=case.body)  # a page's form
    return call(url, data=json.dumps(case.body), content_type="application/json")


def _short(response: Any) -> str:
    if response.get("Content-Type", "").startswith(("application/json", "text/")):
        return response.content.decode(errors="replace")[:300]
    return response.get("Content-Type", "")


def _judge(ctx: Ctx, what: str, case: Case, response: Any, *, page: bool) -> str | None:
    status = response.status_code
    where = f"{what} as {ctx.role} ({ctx.mode}) on {case.target}"
    if case.allowed:
        if status != case.ok:
            return f"{where}: expected success {case.ok}, got {status}: {_short(response)}"
        problem = case.check(ctx, response) if case.check else None
        return f"{where}: {problem}" if problem else None
    if page and (ctx.anonymous or ctx.mode == "token"):
        if status != 302 or not response.url.startswith("/accounts/login/"):
            return f"{where}: expected a redirect to the login page, got {status}: {_short(response)}"
    else:
        expected = 401 if ctx.anonymous else (case.refused or 403)
        if status != expected:
            return f"{where}: expected refusal {expected}, got {status}: {_short(response)}"
        if not page and "detail" not in response.json():
            return f"{where}: refusal without a JSON detail"
    problem = case.after(ctx) if case.after else None
    return f"{where}: {problem}" if problem else None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_every_api_endpoint_refuses_what_the_role_may_not_touch(world: World, role: str, mode: str) -> None:
    ctx, client = _setup(world, role, mode)
    failures = []
    for (method, path), cases in sorted(API_ROUTES.items(), key=lambda item: item[0][0] == "DELETE"):
        for case in cases(ctx):
            url = re.sub(r"\{(\w+)\}", lambda m, c=case: str(c.kwargs[m.group(1)]), path)  # type: ignore[misc]
            response = _request(client, method, url, case)
            failure = _judge(ctx, f"{method} {path}", case, response, page=False)
            if failure:
                failures.append(failure)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_every_page_refuses_what_the_role_may_not_see(world: World, role: str, mode: str) -> None:
    """Pages take the session only: with a bearer token (and no session) every page sends to the login page."""
    ctx, client = _setup(world, role, mode)
    failures = []
    for name, methods in PAGES.items():
        for method, cases in methods:
            for case in cases(ctx):
                if mode == "token":
                    case.allowed = False
                url = reverse(name, kwargs=case.kwargs)
                response = _request(client, method, url, case)
                failure = _judge(ctx, f"page {method} {url} ({name})", case, response, page=True)
                if failure:
                    failures.append(failure)
    assert not failures, "\n".join(failures)
