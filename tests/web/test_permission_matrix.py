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
from menkan.web.audits.models import BatchRun, PolicyDraft, PolicyVersion
from menkan.web.audits.services import batch_audit_create
from menkan.web.records.models import Activity, Certificate, CourseRecord, Institution, Student
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
STUDENT_ROLES = {"student", "other-student"}
INSTITUTION_OF = {"own": "ntut", "other": "ntut", "foreign": "nycu"}
REGISTRAR_OF = {"ntut": {"registrar"}, "nycu": {"foreign-registrar"}}
# Imports, per kind: the registrar everything of their institution; unit staff only the items their unit owns, and
# NTUT's policy names no owner of any item (`social`, the certificates), so 教務處 of ntut is refused at the row
# (422 with the row, page 200 with the report); courses and students are refused outright (403). Per item, with
# NCUT's owners (教務處 resilience, 圖書館 improvement, …): tests/web/test_import_permissions.py.
IMPORTERS = {
    ("ntut", "students"): {"registrar"},
    ("nycu", "students"): {"foreign-registrar"},
    ("ntut", "courses"): {"registrar"},
    ("nycu", "courses"): {"foreign-registrar"},
    ("ntut", "activities"): {"registrar"},
    ("nycu", "activities"): {"foreign-registrar"},
    ("ntut", "certificates"): {"registrar"},
    ("nycu", "certificates"): {"foreign-registrar"},
}
ROW_REFUSED = {("ntut", "activities"): {"unit-staff"}, ("ntut", "certificates"): {"unit-staff"}}
IMPORT_FILES = {
    ("ntut", "students"): "學號,系所,入學學期\r\nB112340050,340,112-1\r\n",
    ("nycu", "students"): "學號,系所,入學學期\r\n110550050,CS,110-1\r\n",
    ("ntut", "courses"): "學號,學期,永久課號,課名,學分數\r\nB112340001,113-1,MATRIX1,矩陣,3\r\n",
    ("nycu", "courses"): "學號,學期,永久課號,課名,學分數\r\n110550001,113-1,MATRIX1,矩陣,3\r\n",
    ("ntut", "activities"): "學號,項目,時數,學期,活動名稱\r\nB112340001,social,8,113-1,淨灘志工\r\n",
    ("nycu", "activities"): "學號,項目,時數,學期,活動名稱\r\n110550001,social,8,113-1,淨灘志工\r\n",
    ("ntut", "certificates"): "學號,證照代碼,證照名稱,學期\r\nB112340001,MATRIX-1,矩陣證照,113-1\r\n",
    ("nycu", "certificates"): "學號,證照代碼,證照名稱,學期\r\n110550001,MATRIX-1,矩陣證照,113-1\r\n",
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
    drafts: dict[str, PolicyDraft] = field(default_factory=dict)

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
        elif kind == "courses":
            imported = CourseRecord.objects.filter(code="MATRIX1", student__institution__code=institution)
        elif kind == "certificates":
            imported = Certificate.objects.filter(code="MATRIX-1", student__institution__code=institution)
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


def _hidden_student_refusal(ctx: Ctx, target: str) -> int | None:
    """A student the role may not see is answered as one that does not exist (404, see
    test_a_hidden_student_is_answered_as_a_missing_one), except to a student, who may see nobody else and is
    refused (403) whatever the id; one the role sees but may not act for is refused (403)."""
    if ctx.role in SEES[target]:
        return None
    return 403 if ctx.role in STUDENT_ROLES else 404


def _student_cases(ok: int, body: Callable[[Ctx, str], Any] | None = None) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [
            Case(
                t,
                ctx.student_kwargs(t),
                _may(ctx, SEES[t]),
                ok,
                body=body(ctx, t) if body else None,
                refused=_hidden_student_refusal(ctx, t),
            )
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
            refused=422 if _may(ctx, ROW_REFUSED.get((institution, kind), set())) else None,
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


def _batch_page_cases(ctx: Ctx) -> list[Case]:
    return [Case("the page", {}, _may(ctx, {"registrar", "foreign-registrar"}), 200)]


def _batch_page_start_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 302, body={"institution": code}, after=_no_batch_run(code))
        for code in REGISTRAR_OF
    ]


def _registrar_object_cases(
    ctx: Ctx, what: str, objects: dict[str, Any], ok: int = 200, body: Callable[[Any], Any] | None = None, **extra: Any
) -> list[Case]:
    """An object of each institution (a batch run, a policy draft), addressed by pk: its registrar may use it;
    another registrar is not told it exists (404), the rest are refused. `extra(code)` gives more Case fields."""
    registrars = {"registrar", "foreign-registrar"}
    return [
        Case(
            f"{code} {what}",
            {"pk": objects[code].pk},
            _may(ctx, REGISTRAR_OF[code]),
            ok,
            body=body(objects[code]) if body else None,
            refused=404 if ctx.role in registrars else None,
            **{name: make(code) for name, make in extra.items()},
        )
        for code in REGISTRAR_OF
    ]


def _batch_page_run_cases(ctx: Ctx) -> list[Case]:
    return _registrar_object_cases(ctx, "run", ctx.runs)


def _no_policy_draft(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        kept = PolicyDraft.objects.filter(institution__code=code).exclude(pk=ctx.drafts[code].pk)
        return f"a policy draft of {code} was kept anyway" if kept.exists() else None

    return after


def _policy_upload_cases(ctx: Ctx) -> list[Case]:
    """An upload without files: the registrar of the institution is told what is missing (200), the rest refused."""
    return [
        Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 200, body={"institution": code}, after=_no_policy_draft(code))
        for code in REGISTRAR_OF
    ]


def _policy_draft_cases(ctx: Ctx) -> list[Case]:
    return _registrar_object_cases(ctx, "draft", ctx.drafts)


def _not_published(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        versions = PolicyVersion.objects.filter(institution__code=code).count()
        state = PolicyDraft.objects.get(pk=ctx.drafts[code].pk).state
        return f"the draft of {code} was published anyway" if versions != 1 or state == "published" else None

    return after


def _policy_publish_cases(ctx: Ctx) -> list[Case]:
    def confirmation(draft: PolicyDraft) -> dict[str, str]:
        return {"checksum": draft.checksum}

    return _registrar_object_cases(ctx, "draft", ctx.drafts, 302, confirmation, after=_not_published)


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

# --- cases of the exceptions (records) pages and endpoints
# Who proposes: the officer of the student's department and the registrar (a program contact only for a program's
# requirements: tests/web/test_exceptions_records.py); who decides: the head of the department and the registrar.
EXCEPTION_PROPOSERS = {
    "own": {"department-officer", "registrar"},
    "other": {"registrar"},
    "foreign": {"foreign-registrar"},
}
EXCEPTION_DECIDERS = {"department-head", "registrar"}
EXCEPTION = {"kind": "exclude", "requirement": "graduation.credits.common-required.school-common", "course": "1404006"}


def _no_exception(target: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.records.models import RecordException

        written = RecordException.objects.filter(student=ctx.student(target), reason=f"matrix {ctx.role}")
        return "an exception was proposed anyway" if written.exists() else None

    return after


def _exception_propose_cases(ctx: Ctx, ok: int) -> list[Case]:
    return [
        Case(
            target,
            ctx.student_kwargs(target),
            _may(ctx, EXCEPTION_PROPOSERS[target]),
            # the requirement is NTUT's: NYCU's registrar gets as far as its validation (422; the page says why)
            422 if target == "foreign" and ok == 201 else ok,
            body={**EXCEPTION, "reason": f"matrix {ctx.role}"},
            refused=_hidden_student_refusal(ctx, target),
            after=_no_exception(target),
        )
        for target in STUDENTS
    ]


def _exception_proposed(ctx: Ctx) -> Any:
    from menkan.web.records.models import RecordException

    cached = ctx.__dict__.get("exception")
    if cached is None:
        cached = RecordException.objects.create(student=ctx.world.own, reason="matrix", **EXCEPTION)
        ctx.__dict__["exception"] = cached
    return cached


def _exception_undecided(pk: int) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.records.models import RecordException

        return "the exception was decided anyway" if RecordException.objects.get(pk=pk).status != "proposed" else None

    return after


def _exception_decide_cases(ctx: Ctx, ok: int) -> list[Case]:
    """The own student's proposal: decided by the head and the registrar; refused (403) to the others who see the
    student, unknown (404) to those who do not."""
    exception = _exception_proposed(ctx)
    sees = SEES["own"]
    return [
        Case(
            "own proposal",
            {"pk": exception.pk},
            _may(ctx, EXCEPTION_DECIDERS),
            ok,
            body={"decision": "reject", "reason": "matrix"},
            refused=None if ctx.role in sees else 404,
            after=_exception_undecided(exception.pk),
        )
    ]


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
    # --- exceptions (records) API endpoints
    ("GET", "/api/v1/students/{institution}/{student_id}/exceptions"): _student_cases(200),
    ("POST", "/api/v1/students/{institution}/{student_id}/exceptions"): lambda ctx: _exception_propose_cases(ctx, 201),
    ("POST", "/api/v1/exceptions/{pk}/decision"): lambda ctx: _exception_decide_cases(ctx, 200),
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
        if case.refused == 422:  # the page shows the report naming the refused row; applying writes nothing
            case.refused = 200
            case.body.pop("validate_only")
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
# Self-learning (activities): students use their own page (sign-ups, uploads, their own files); unit staff their
# office's offerings. The world is NTUT, whose policy names no self-learning office: its 教務處 staff keep their
# own offerings but handle no MOOC or licence work, and the NCUT objects below belong to nobody of the world.
def _activities_objects(ctx: Ctx) -> dict[str, Any]:
    cached = ctx.__dict__.get("activities")
    if cached is not None:
        return cached
    import datetime

    from menkan.web.activities.models import LicenceListEntry, MoocCourse, MoocUpload, Offering, SubsidyApplication
    from menkan.web.records.models import Department

    ntut = ctx.world.institution
    ncut, _ = Institution.objects.get_or_create(code="ncut", defaults={"name_zh": "勤益", "name_en": "NCUT"})
    department, _ = Department.objects.get_or_create(institution=ncut, code="資工", defaults={"name_zh": "資工"})
    stranger = Student.objects.create(
        institution=ncut, student_id="NC11107999", department=department, admission_term="111-1"
    )
    day = datetime.date.today() + datetime.timedelta(days=30)
    fields = {"date": day, "hours": 2, "capacity": 5, "term": "114-1"}
    pdf = b"%PDF-1.4\n"
    own_course = MoocCourse.objects.create(institution=ntut, title="matrix", hours=1)
    ncut_course = MoocCourse.objects.create(institution=ncut, title="matrix", hours=1)
    objects = {
        "own-office": Offering.objects.create(
            institution=ntut, office="教務處", item="resilience", title="m1", **fields
        ),
        "other-office": Offering.objects.create(
            institution=ntut, office="圖書館", item="improvement", title="m2", **fields
        ),
        "ncut": Offering.objects.create(institution=ncut, office="教務處", item="resilience", title="m3", **fields),
        "own-upload": MoocUpload.objects.create(
            student=ctx.world.own, course=own_course, file=SimpleUploadedFile("c.pdf", pdf)
        ),
        "ncut-upload": MoocUpload.objects.create(student=stranger, course=ncut_course, file="x.pdf"),
        "ncut-course": ncut_course,
        "own-application": SubsidyApplication.objects.create(
            student=ctx.world.own,
            code="X",
            title="X",
            exam_date=day,
            fee=3000,
            receipt=SimpleUploadedFile("r.pdf", pdf),
        ),
        "ncut-application": SubsidyApplication.objects.create(
            student=stranger, code="X", title="X", exam_date=day, fee=3000, receipt="r.pdf"
        ),
        "ncut-entry": LicenceListEntry.objects.create(institution=ncut, department="資工", code="X"),
    }
    ctx.__dict__["activities"] = objects
    return objects


ACTIVITY_STUDENTS = {"student", "other-student"}


def _activities_student_case(ok: int, body: dict[str, Any] | None = None) -> Callable[[Ctx], list[Case]]:
    return lambda ctx: [Case("-", {}, _may(ctx, ACTIVITY_STUDENTS), ok, body=body)]


def _activities_signup_cases(ctx: Ctx) -> list[Case]:
    # the world's students are NTUT's: the requirement does not apply, so the page says so (a redirect back)
    offering = _activities_objects(ctx)["own-office"]
    return [Case("own institution", {"pk": offering.pk}, _may(ctx, ACTIVITY_STUDENTS), 302)]


def _activities_file_cases(own: str, other: str) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        objects = _activities_objects(ctx)
        return [
            Case("own student's", {"pk": objects[own].pk}, _may(ctx, {"student"}), 200),
            Case("an NCUT student's", {"pk": objects[other].pk}, False, 200),
        ]

    return cases


def _activities_staff_case(ok: int, body: dict[str, Any] | None = None) -> Callable[[Ctx], list[Case]]:
    return lambda ctx: [Case("-", {}, _may(ctx, {"unit-staff"}), ok, body=body)]


def _activities_offering_cases(
    ok: int, body: Callable[[], Any] | None = None, *, writes_hours: bool = False
) -> Callable[[Ctx], list[Case]]:
    """With `writes_hours` (roster, single entry), even the offering's own office is refused: NTUT's policy names no
    owner of `resilience`, so its hours are the registrar's (records.selectors.record_write_permission)."""

    def cases(ctx: Ctx) -> list[Case]:
        objects = _activities_objects(ctx)

        def after(ctx: Ctx) -> str | None:
            from menkan.web.activities.models import Offering

            touched = Offering.objects.filter(title__in=("m2", "m3")).exclude(closed=False)
            registered = Activity.objects.filter(title__in=("m1", "m2", "m3") if writes_hours else ("m2", "m3"))
            return "another office's offering was changed" if touched.exists() or registered.exists() else None

        own = _may(ctx, {"unit-staff"}) and not writes_hours
        return [
            Case("own office's", {"pk": objects["own-office"].pk}, own, ok, body=body and body(), after=after),
            Case("another office's", {"pk": objects["other-office"].pk}, False, ok, body=body and body(), after=after),
            Case("another institution's", {"pk": objects["ncut"].pk}, False, ok, body=body and body(), after=after),
        ]

    return cases


def _activities_roster() -> dict[str, Any]:
    return {"file": SimpleUploadedFile("roster.csv", "學號\r\nB112340001\r\n".encode())}


def _activities_nobody(key: str | None, ok: int, body: dict[str, Any] | None = None) -> Callable[[Ctx], list[Case]]:
    """Pages of the MOOC and licence offices: no role of the world is staff of such an office."""

    def cases(ctx: Ctx) -> list[Case]:
        kwargs = {"pk": _activities_objects(ctx)[key].pk} if key else {}

        def after(ctx: Ctx) -> str | None:
            from menkan.web.activities.models import LicenceListEntry, MoocUpload, SubsidyApplication

            if MoocUpload.objects.exclude(status="pending").exists():
                return "a MOOC upload was reviewed"
            if SubsidyApplication.objects.exclude(status="pending").exists():
                return "a subsidy application was reviewed"
            return None if LicenceListEntry.objects.exists() else "a licence list entry was removed"

        return [Case(key or "-", kwargs, False, ok, body=body, after=after)]

    return cases


REVIEW = {"decision": "approve", "reason": ""}

# --- cases of the notices app's pages and endpoints
# Notices: schedules, sending and creating them are the registrar's of the schedule's institution; class lists
# whoever may see the class's students (its mentor, its department's staff, the institution's registrar); the log
# is open to everyone signed in, each seeing the notices addressed to them (a registrar: the institution's).
NOTICE_CLASS_SEES = {
    "own": {"mentor", "department-officer", "department-head", "registrar"},
    "other": {"registrar"},
    "foreign": {"foreign-registrar"},
}
NOTICE_LOG_SEES = {
    "own": {"student", "registrar"},
    "other": {"other-student", "registrar"},
    "foreign": {"foreign-registrar"},
}
NOTICE_REGISTRARS = {"registrar", "foreign-registrar"}
NOTICE_TARGETS = {"own": "ntut", "foreign": "nycu"}


def _notice_schedule(code: str) -> Any:
    from datetime import date

    from menkan.web.notices.models import NoticeSchedule

    schedule, _ = NoticeSchedule.objects.get_or_create(
        institution=Institution.objects.get(code=code),
        term="114-1",
        defaults={"semester_start": date(2025, 9, 8), "weeks": [8, 16], "deadline": date(2026, 6, 1)},
    )
    return schedule


def _notice_schedule_form(code: str, term: str) -> dict[str, str]:
    return {
        "institution": str(Institution.objects.get(code=code).pk),
        "term": term,
        "semester_start": "2026-09-14",
        "weeks": "8, 16",
        "weekday": "4",
        "head_weeks": "16",
        "deadline": "2027-06-01",
        "active": "on",
    }


def _notice_schedule_unchanged(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        return f"the {code} schedule was changed anyway" if _notice_schedule(code).weeks != [8, 16] else None

    return after


def _notice_schedule_not_created(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.notices.models import NoticeSchedule

        created = NoticeSchedule.objects.filter(institution__code=code, term="115-1").exists()
        return f"a {code} schedule was created anyway" if created else None

    return after


def _notice_schedule_create_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            code,
            {},
            _may(ctx, REGISTRAR_OF[code]),
            302,
            body=_notice_schedule_form(code, "115-1"),
            after=_notice_schedule_not_created(code),
        )
        for code in REGISTRAR_OF
    ]


def _notice_schedule_edit_cases(post: bool) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        found = []
        for target, code in NOTICE_TARGETS.items():
            schedule = _notice_schedule(code)
            body = {**_notice_schedule_form(code, "114-1"), "weeks": "9"} if post else None
            allowed = _may(ctx, REGISTRAR_OF[code])
            after = _notice_schedule_unchanged(code) if post else None
            found.append(Case(target, {"pk": schedule.pk}, allowed, 302 if post else 200, body=body, after=after))
        return found

    return cases


def _notice_send_cases(ctx: Ctx) -> list[Case]:
    return [Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 302, body={"institution": code}) for code in REGISTRAR_OF]


def _notice_log_shows_own(ctx: Ctx, response: Any) -> str | None:
    text = response.content.decode()
    shown = {t for t in STUDENTS if f"student:{ctx.student(t).student_id}" in text}
    expected = {t for t in STUDENTS if ctx.role in NOTICE_LOG_SEES[t]}
    return None if shown == expected else f"log shows notices of {sorted(shown)}, should show {sorted(expected)}"


def _notice_log_cases(ctx: Ctx) -> list[Case]:
    from menkan.web.notices.models import NoticeLog

    for target in STUDENTS:
        student = ctx.student(target)
        NoticeLog.objects.get_or_create(
            notice_key=f"{student.institution.code}:114-1:week-8",
            recipient=f"student:{student.student_id}",
            defaults={"institution": student.institution, "audience": "student", "student": student, "status": "sent"},
        )
    return [Case("-", {}, _signed_in(ctx), 200, check=_notice_log_shows_own)]


def _notice_class_index_shows_own(ctx: Ctx, response: Any) -> str | None:
    text = response.content.decode()
    codes = {t: ctx.student(t).school_class.code for t in STUDENTS}  # type: ignore[union-attr]
    shown = {t for t, code in codes.items() if f">{code}<" in text}
    expected = {t for t in STUDENTS if ctx.role in NOTICE_CLASS_SEES[t]}
    return None if shown == expected else f"lists the classes of {sorted(shown)}, should list {sorted(expected)}"


def _notice_class_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            t,
            {"institution": ctx.student(t).institution.code, "code": ctx.student(t).school_class.code},  # type: ignore[union-attr]
            _may(ctx, NOTICE_CLASS_SEES[t]),
            200,
        )
        for t in STUDENTS
    ]


# --- cases of the forecasts pages: the registrar their institution's, a mentor their class's; nobody else.
FORECAST_CLASS_SEES = {"own": {"mentor", "registrar"}, "other": {"registrar"}, "foreign": {"foreign-registrar"}}
FORECAST_USERS = {"mentor", "registrar", "foreign-registrar"}


def _forecast_index_cases(ctx: Ctx) -> list[Case]:
    return [Case("-", {}, _may(ctx, FORECAST_USERS), 200 if ctx.role == "mentor" else 302)]


def _forecast_institution_cases(ok: int) -> Callable[[Ctx], list[Case]]:
    return lambda ctx: [
        Case(code, {"institution": code}, _may(ctx, REGISTRAR_OF[code]), ok, body={}) for code in REGISTRAR_OF
    ]


def _forecast_class_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            t,
            {"institution": ctx.student(t).institution.code, "code": ctx.student(t).school_class.code},  # type: ignore[union-attr]
            _may(ctx, FORECAST_CLASS_SEES[t]),
            200,
        )
        for t in STUDENTS
    ]


# A notice to chosen students: whoever sees the students' records as staff (not the student themself).
MESSAGE_SENDERS = {t: SEES[t] - {"student", "other-student"} for t in STUDENTS}


def _message_compose_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            t,
            {},
            _may(ctx, MESSAGE_SENDERS[t]),
            200,
            body={"institution": INSTITUTION_OF[t], "students": [ctx.student(t).student_id]},
        )
        for t in STUDENTS
    ]


def _message_cases(ctx: Ctx) -> list[Case]:
    from menkan.web.notices.models import NoticeLog, NoticeMessage

    world = ctx.world
    message, created = NoticeMessage.objects.get_or_create(
        token="matrix",
        defaults={"institution": world.institution, "subject": "s", "body": "b", "sender": world.users["registrar"]},
    )
    if created:
        NoticeLog.objects.create(
            institution=world.institution,
            message=message,
            notice_key=message.key,
            recipient="student:own",
            audience="student",
            student=world.own,
            status="sent",
        )
    return [Case("own", {"pk": message.pk}, _may(ctx, {"registrar", "student"}), 200)]


# --- cases of the reports app's pages and endpoints
# Pass-rate reports: a registrar runs their own institution's (the form opens for any registrar); nobody else.
# The terms make the world's students seniors (ntut: admitted 112-1, nycu: 110-1), so the records download
# must hold exactly the institution's own students.
REPORT_QUERY = {"ntut": {"institution": "ntut", "as_of": "115-1"}, "nycu": {"institution": "nycu", "as_of": "113-1"}}


def _report_holds_only(code: str) -> Check:
    def check(ctx: Ctx, response: Any) -> str | None:
        text = response.content.decode()
        own = {ctx.student(t).student_id for t in STUDENTS if INSTITUTION_OF[t] == code}
        shown = {ctx.student(t).student_id for t in STUDENTS if ctx.student(t).student_id in text}
        return None if shown == own else f"holds {sorted(shown)}, should hold exactly {sorted(own)}"

    return check


def _report_page_cases(ctx: Ctx) -> list[Case]:
    cases = [Case("the form", {}, _may(ctx, {"registrar", "foreign-registrar"}), 200)]
    cases += [Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 200, body=REPORT_QUERY[code]) for code in REGISTRAR_OF]
    return cases


def _report_download_cases(check: bool) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [
            Case(
                code,
                {},
                _may(ctx, REGISTRAR_OF[code]),
                200,
                body=REPORT_QUERY[code],
                check=_report_holds_only(code) if check else None,
            )
            for code in REGISTRAR_OF
        ]

    return cases


# --- cases of the programs app's pages and endpoints
# Micro-programs: the catalogue is for everyone signed in; a student's programs page for whoever sees the
# student, but only the student registers and applies; an application is seen by whoever sees its student and by
# its program's contact and head, and decided only by the reviewer of its current step (here the AVM contact at
# step 1); the review queue is for reviewers and the registrar; the calendar for the registrar of its
# institution. The verification page is public: anyone with the code, signed in or not, session or token.
PROGRAM_VIEWERS = {"student", "mentor", "department-officer", "department-head", "registrar"}
PROGRAM_REVIEWERS = {"program-contact", "program-head", "department-officer", "department-head", "registrar"}
PROGRAM_REVIEWERS |= {"foreign-registrar"}  # the overview of their own institution's applications (none)
SELF = {"own": {"student"}, "other": {"other-student"}, "foreign": set()}


@dataclass
class _PublicCase(Case):
    """A public page: open to everyone, signed in or not (the token-mode loop closes every page; not this)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allowed" and not value and getattr(self, "allowed", False):
            return
        super().__setattr__(name, value)


def _programs_objects(ctx: Ctx) -> dict[str, Any]:
    cached = ctx.__dict__.get("programs")
    if cached is not None:
        return cached
    import datetime

    from menkan.web.programs.models import Application, IssuedCertificate, ProgramTerm

    today = datetime.date.today()
    ProgramTerm.objects.get_or_create(
        institution=ctx.world.institution,
        term="113-1",
        defaults={
            "semester_starts": today - datetime.timedelta(weeks=13),
            "add_drop_ends": today - datetime.timedelta(weeks=11),
            "registration_opens": today - datetime.timedelta(days=3),
            "registration_closes": today + datetime.timedelta(days=3),
        },
    )
    blank = {"term": "113-1", "audit": {"requirements": []}}
    issued = Application.objects.create(student=ctx.world.own, program="AV2", state="issued", step=4, **blank)
    IssuedCertificate.objects.create(
        application=issued, code="matrix-code", student_name="x", program_name="面板微學程", issued_on=today
    )
    objects = {
        "own-AVM": Application.objects.create(student=ctx.world.own, program="AVM", **blank),
        "other-AV2": Application.objects.create(student=ctx.world.other, program="AV2", **blank),
        "issued": issued,
    }
    ctx.__dict__["programs"] = objects
    return objects


PROGRAM_APPLICATION_VIEWERS = {"own-AVM": PROGRAM_VIEWERS | {"program-contact", "program-head"}}
PROGRAM_APPLICATION_VIEWERS |= {"other-AV2": {"other-student", "registrar"}, "issued": PROGRAM_VIEWERS}


def _programs_application_cases(
    ok: int, body: Any = None, who: dict[str, set[str]] | None = None
) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        objects = _programs_objects(ctx)
        allowed = who or PROGRAM_APPLICATION_VIEWERS
        return [
            Case(
                name,
                {"pk": objects[name].pk},
                _may(ctx, allowed[name]),
                ok,
                body=body,
                after=_programs_undecided(objects[name].pk),
            )
            for name in allowed
        ]

    return cases


def _programs_undecided(pk: int) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.programs.models import Application

        application = Application.objects.get(pk=pk)
        if application.events.exists() or (application.state == "review" and application.step != 1):
            return "the application was decided or resubmitted anyway"
        return None

    return after


def _programs_unregistered(target: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.programs.models import Application

        student = ctx.student(target)
        student.refresh_from_db()
        if (student.standing or {}).get("programs"):
            return "a registration was made anyway"
        if Application.objects.filter(student=student, events__isnull=False).exists():
            return "an application was filed anyway"
        return None

    return after


def _programs_self_cases(ctx: Ctx) -> list[Case]:
    _programs_objects(ctx)
    return [
        Case(
            t,
            ctx.student_kwargs(t),
            _may(ctx, SELF[t]),
            302,
            body={"program": "AVM"},
            refused=_hidden_student_refusal(ctx, t),
            after=_programs_unregistered(t),
        )
        for t in STUDENTS
    ]


def _programs_queue_check(ctx: Ctx, response: Any) -> str | None:
    text = response.content.decode()
    if ctx.world.other.student_id in text and ctx.role != "registrar":
        return "lists another department's student"
    if ctx.world.own.student_id in text and ctx.role == "foreign-registrar":
        return "lists another institution's student"
    if ctx.role == "program-contact" and ctx.world.own.student_id not in text:
        return "the AVM application at step 1 is not in the contact's queue"
    return None


PROGRAM_STAFF = {"program-contact", "program-head", "registrar"}


def _programs_queue_cases(ctx: Ctx) -> list[Case]:
    _programs_objects(ctx)
    return [Case("-", {}, _may(ctx, PROGRAM_REVIEWERS), 200, check=_programs_queue_check)]


def _programs_terms_cases(method: str) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        if method == "GET":
            return [Case("-", {}, _may(ctx, {"registrar", "foreign-registrar"}), 200)]
        body = {"institution": "ntut", "term": "114-1", "semester_starts": "2025-09-08"}
        body |= {"add_drop_ends": "2025-09-21", "registration_opens": "2025-09-08", "registration_closes": "2025-09-26"}
        return [Case("ntut", {}, _may(ctx, {"registrar"}), 302, body=body)]

    return cases


def _programs_program_cases(ctx: Ctx) -> list[Case]:
    # a program of the asker's institution's catalogue: NYCU (the foreign registrar's) has no AVM
    return [Case("AVM", {"code": "AVM"}, _signed_in(ctx), 404 if ctx.role == "foreign-registrar" else 200)]


def _programs_catalogue_cases(ctx: Ctx) -> list[Case]:
    # the asker's institution's catalogue: NYCU (the foreign registrar's) runs no micro-programs, so has no pages
    return [Case("-", {}, _signed_in(ctx), 404 if ctx.role == "foreign-registrar" else 200)]


def _programs_student_cases(ctx: Ctx) -> list[Case]:
    # a student of an institution without micro-programs (NYCU) has no program page, even for their registrar
    return [
        Case(
            t,
            ctx.student_kwargs(t),
            _may(ctx, SEES[t]),
            404 if INSTITUTION_OF[t] == "nycu" else 200,
            refused=_hidden_student_refusal(ctx, t),
        )
        for t in STUDENTS
    ]


def _programs_verify_cases(ctx: Ctx) -> list[Case]:
    _programs_objects(ctx)
    return [
        _PublicCase("issued", {"code": "matrix-code"}, True, 200),
        _PublicCase("unknown code", {"code": "no-such-code"}, True, 404),
    ]


# --- cases of the microcredits app's pages and endpoints
# The world is NTUT's: nobody in it is NKUST Center staff or an NKUST student, so every page on an NKUST object
# (offering, session, enrollment, forms, bans) is refused to every role; the registrars reach the review page
# (registrars run their own institution's micro-credits) but see nothing of NKUST there.
MC_OBJECTS = "_microcredits_objects"


def _mc_objects(ctx: Ctx) -> dict[str, Any]:
    """An NKUST offering with a session, an enrolled NKUST student, a ban, a certification and an offset (once per
    test)."""
    from decimal import Decimal

    from menkan.web.microcredits import models as mc
    from menkan.web.records.models import Department

    if MC_OBJECTS in ctx.__dict__:
        return ctx.__dict__[MC_OBJECTS]  # type: ignore[no-any-return]
    nkust, _ = Institution.objects.get_or_create(code="nkust", defaults={"name_zh": "國立高雄科技大學"})
    department, _ = Department.objects.get_or_create(institution=nkust, code="CSIE", defaults={"name_zh": "資工"})
    student = Student.objects.create(
        institution=nkust, student_id="N11199999", department=department, admission_term="111-1"
    )
    offering = mc.Offering.objects.create(
        institution=nkust, term="114-1", title="感知美學：攝影", hours=Decimal(3), area="perceptual-aesthetics", seats=5
    )
    session = mc.Session.objects.create(
        offering=offering, date="2025-10-01", starts="13:00", ends="16:00", hours=Decimal(3), code="ABC123"
    )
    objects = {
        "offering": offering,
        "session": session,
        "enrollment": mc.Enrollment.objects.create(offering=offering, student=student),
        "ban": mc.Ban.objects.create(student=student, term="114-1", reason="absent"),
        "certification": mc.Certification.objects.create(student=student, term="114-1"),
        "offset": mc.OffsetApplication.objects.create(student=student, term="114-1", category="ge:life"),
        "student": student,
    }
    ctx.__dict__[MC_OBJECTS] = objects
    return objects


def _mc_nobody(kind: str, ok: int, body: dict[str, Any] | None = None) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [Case(f"nkust {kind}", {"pk": _mc_objects(ctx)[kind].pk}, False, ok, body=body)]

    return cases


def _mc_unchanged(ctx: Ctx) -> str | None:
    from menkan.web.microcredits import models as mc

    objects = _mc_objects(ctx)
    if not mc.Ban.objects.get(pk=objects["ban"].pk).active:
        return "an NKUST ban was lifted anyway"
    if mc.Certification.objects.get(pk=objects["certification"].pk).status != "submitted":
        return "an NKUST certification was reviewed anyway"
    if mc.OffsetApplication.objects.get(pk=objects["offset"].pk).status != "submitted":
        return "an NKUST offset was reviewed anyway"
    if mc.Enrollment.objects.filter(offering=objects["offering"]).count() != 1:
        return "someone signed up for the NKUST course anyway"
    return None


def _mc_refused(kind: str, body: dict[str, Any]) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [Case(f"nkust {kind}", {"pk": _mc_objects(ctx)[kind].pk}, False, 302, body=body, after=_mc_unchanged)]

    return cases


def _mc_shows_no_nkust(ctx: Ctx, response: Any) -> str | None:
    objects = _mc_objects(ctx)
    text = response.content.decode()
    return "shows NKUST's micro-credits" if objects["offering"].title in text or "N11199999" in text else None


def _mc_list_cases(ctx: Ctx) -> list[Case]:
    _mc_objects(ctx)
    return [Case("-", {}, _signed_in(ctx), 200, check=_mc_shows_no_nkust)]


def _mc_review_cases(ctx: Ctx) -> list[Case]:
    _mc_objects(ctx)
    return [Case("-", {}, _may(ctx, {"registrar", "foreign-registrar"}), 200, check=_mc_shows_no_nkust)]


def _mc_create_cases(ctx: Ctx) -> list[Case]:
    body = {"term": "114-1", "title": "x", "hours": "3"}
    return [
        Case("nkust", {"institution": "nkust"}, False, 200, body=body),
        Case("ntut (the registrar's own)", {"institution": "ntut"}, _may(ctx, {"registrar"}), 200),
    ]


def _mc_student_cases(ctx: Ctx) -> list[Case]:
    nkust = _mc_objects(ctx)["student"]
    return [
        *_student_cases(200)(ctx),
        Case(
            "nkust",
            {"institution": "nkust", "student_id": nkust.student_id},
            False,
            200,
            refused=403 if ctx.role in STUDENT_ROLES else 404,
        ),
    ]


def _mc_own_form_cases(body: dict[str, Any] | None) -> Callable[[Ctx], list[Case]]:
    """Forms only the student themself files (their own NTUT record: the form answers, nothing is filed)."""
    owner = {"own": {"student"}, "other": {"other-student"}, "foreign": set()}

    def cases(ctx: Ctx) -> list[Case]:
        return [
            Case(t, ctx.student_kwargs(t), _may(ctx, owner[t]), 200, body=body, refused=_hidden_student_refusal(ctx, t))
            for t in STUDENTS
        ]

    return cases


# --- cases of the plans app's page: who sees the student sees the plan; the student, the class mentor and the
# registrar change it (department staff see it only: 403); a student the role may not see is not found (404)
PLAN_EDITORS = {
    "own": {"student", "mentor", "registrar"},
    "other": {"other-student", "registrar"},
    "foreign": {"foreign-registrar"},
}


def _plan_body(ctx: Ctx, target: str) -> dict[str, str]:
    from menkan.foresight.catalog import catalog_of

    catalog = catalog_of(INSTITUTION_OF[target])
    assert catalog is not None
    taken = set(ctx.student(target).courses.values_list("code", flat=True))
    code = next(code for code in sorted(catalog.courses) if code not in taken)
    return {"count": "1", "term-0": "130-1", "courses-0": code, "action": "save"}


def _no_plan(target: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.plans.models import StudyPlan

        return "a plan was saved anyway" if StudyPlan.objects.filter(student=ctx.student(target)).exists() else None

    return after


def _plan_save_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            t,
            ctx.student_kwargs(t),
            _may(ctx, PLAN_EDITORS[t]),
            302,
            body=_plan_body(ctx, t),
            refused=_hidden_student_refusal(ctx, t),
            after=_no_plan(t),
        )
        for t in STUDENTS
    ]


# --- cases of the fees app's pages and endpoints
FEE_TERM = "112-1"  # the term of the world's courses


def _fee_term_closed(code: str) -> None:
    import datetime

    from menkan.web.fees.models import FeeTerm

    FeeTerm.objects.get_or_create(
        institution=Institution.objects.get(code=code),
        term=FEE_TERM,
        defaults={"add_drop_ends": datetime.date(2023, 9, 19)},
    )


def _fee_run_pk(code: str) -> int:
    from menkan.web.fees.models import FeeRun

    run, _ = FeeRun.objects.get_or_create(
        institution=Institution.objects.get(code=code), term=FEE_TERM, note="matrix", defaults={"state": "done"}
    )
    return run.pk


def _no_fee_run_started(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.fees.models import FeeRun

        started = FeeRun.objects.filter(institution__code=code).exclude(note="matrix")
        return f"a fee run of {code} was started anyway" if started.exists() else None

    return after


def _no_fee_term(code: str) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.fees.models import FeeTerm

        changed = FeeTerm.objects.filter(institution__code=code, term="199-1")
        return f"an add/drop date of {code} was set anyway" if changed.exists() else None

    return after


def _fee_runs_page_cases(ctx: Ctx) -> list[Case]:
    return [Case(code, {"institution": code}, _may(ctx, REGISTRAR_OF[code]), 200) for code in REGISTRAR_OF]


def _fee_run_start_cases(ctx: Ctx) -> list[Case]:
    # ntut has no fee schedules: the registrar's start is refused with the reason (200); nycu's starts (302)
    _fee_term_closed("nycu")
    return [
        Case(
            code,
            {"institution": code},
            _may(ctx, REGISTRAR_OF[code]),
            302 if code == "nycu" else 200,
            body={"term": FEE_TERM},
            after=_no_fee_run_started(code),
        )
        for code in REGISTRAR_OF
    ]


def _fee_add_drop_cases(ctx: Ctx) -> list[Case]:
    return [
        Case(
            code,
            {"institution": code},
            _may(ctx, REGISTRAR_OF[code]),
            302,
            body={"term": "199-1", "add_drop_ends": "2010-09-19"},
            after=_no_fee_term(code),
        )
        for code in REGISTRAR_OF
    ]


def _fee_run_cases(check: Check | None = None) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        return [
            Case(f"{code} run", {"run_id": _fee_run_pk(code)}, _may(ctx, REGISTRAR_OF[code]), 200, check=check)
            for code in REGISTRAR_OF
        ]

    return cases


def _fee_runs_index_cases(ctx: Ctx) -> list[Case]:
    # each registrar of the world has one institution: sent on to its runs
    return [Case("-", {}, _may(ctx, {"registrar", "foreign-registrar"}), 302)]


def _xlsx_opens(ctx: Ctx, response: Any) -> str | None:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    return None if header and header[3] == "student_id" else f"unexpected header {header}"


# --- cases of the certification app's pages
# Graduation certification: the index is for the registrar, department staff and students (each sees their own
# part); a review, its closing and its graduate lists are the registrar's of its institution (others: 404); a
# candidate is seen by whoever sees its student among the registrar, department staff and the student; a decision
# is taken only by the role of the candidate's step (here the 340 department officer at the officer's step); the
# others who see the candidate are refused with the reason (403), nothing written. Students apply (no review is
# open for them here, so the page says so: a redirect back).
CERT_INDEX = {"student", "other-student", "department-officer", "department-head", "registrar", "foreign-registrar"}
CERT_SEES = {
    "own": {"student", "department-officer", "department-head", "registrar"},
    "other": {"other-student", "registrar"},
    "foreign": {"foreign-registrar"},
}
CERT_DECIDES = {"own": {"department-officer"}, "other": set(), "foreign": set()}


def _cert_objects(ctx: Ctx) -> dict[str, Any]:
    cached = ctx.__dict__.get("certification")
    if cached is not None:
        return cached
    from menkan.web.certification.models import Candidate, Decision, Review

    objects: dict[str, Any] = {}
    for code, target_students in (("ntut", ("own", "other")), ("nycu", ("foreign",))):
        review = Review.objects.create(institution=Institution.objects.get(code=code), term="115-2")
        objects[code] = review
        for target in target_students:
            candidate = Candidate.objects.create(review=review, student=ctx.student(target), source="final-year")
            Decision.objects.create(candidate=candidate, step="officer", action="listed")
            objects[target] = candidate
    Review.objects.filter(institution__code="nycu").update(status="closed")  # NTUT's is the open one
    ctx.__dict__["certification"] = objects
    return objects


def _cert_review_cases(ok: int, body: dict[str, Any] | None = None) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        objects = _cert_objects(ctx)
        return [
            Case(code, {"pk": objects[code].pk}, _may(ctx, REGISTRAR_OF[code]), ok, body=body, refused=404)
            for code in REGISTRAR_OF
        ]

    return cases


def _cert_no_decision(pk: int) -> Callable[[Ctx], str | None]:
    def after(ctx: Ctx) -> str | None:
        from menkan.web.certification.models import Candidate, Decision

        decided = Decision.objects.filter(candidate_id=pk).exclude(action="listed").exists()
        moved = Candidate.objects.get(pk=pk).step != "officer"
        return "a decision was recorded anyway" if decided or moved else None

    return after


def _cert_candidate_cases(
    ok: int, body: dict[str, Any] | None = None, decides: bool = False
) -> Callable[[Ctx], list[Case]]:
    def cases(ctx: Ctx) -> list[Case]:
        objects = _cert_objects(ctx)
        found = []
        for target in STUDENTS:
            sees = ctx.role in CERT_SEES[target]
            allowed = ctx.role in (CERT_DECIDES[target] if decides else CERT_SEES[target])
            after = _cert_no_decision(objects[target].pk) if decides else None
            refused = None if sees and decides else 404
            found.append(Case(target, {"pk": objects[target].pk}, allowed, ok, body=body, refused=refused, after=after))
        return found

    return cases


def _cert_open_cases(ctx: Ctx) -> list[Case]:
    from menkan.web.certification.models import Review

    _cert_objects(ctx)

    def after(ctx: Ctx) -> str | None:
        return "a review was opened anyway" if Review.objects.filter(term="116-1").exists() else None

    body = {"term": "116-1"}
    return [
        Case(code, {}, _may(ctx, REGISTRAR_OF[code]), 302, body={**body, "institution": code}, after=after)
        for code in REGISTRAR_OF
    ]


#: Every page: URL name -> (method, cases). Pages take the session only.
PAGES: dict[str, list[tuple[str, Callable[[Ctx], list[Case]]]]] = {
    "home": [("GET", _signed_in_case(302, _redirects_home))],
    # For load balancers and monitors: open to everyone, and it shows no data (tests/web/test_deploy.py).
    "healthz": [("GET", lambda ctx: [_PublicCase("-", {}, True, 200)])],
    "records:student-list": [("GET", _signed_in_case(200, _page_listing))],
    "records:student-list-export": [("GET", _signed_in_case(200, _xlsx_listing))],
    "records:student-home": [("GET", _student_cases(200))],
    "records:exception-propose": [("POST", lambda ctx: _exception_propose_cases(ctx, 302))],
    "records:exception-decide": [("POST", lambda ctx: _exception_decide_cases(ctx, 302))],
    "records:exception-queue": [
        ("GET", lambda ctx: [Case("-", {}, _may(ctx, EXCEPTION_DECIDERS | {"foreign-registrar"}), 200)])
    ],
    "audits:what-if": [
        ("GET", _student_cases(200)),
        ("POST", _student_cases(200, lambda ctx, t: {"planned": "3401004, 工程靜力學, 3"})),
    ],
    "audits:audit-pdf": [("GET", _student_cases(200))],
    "audits:batch-index": [("GET", _batch_page_cases), ("POST", _batch_page_start_cases)],
    "audits:batch-detail": [("GET", _batch_page_run_cases)],
    "audits:batch-progress": [("GET", _batch_page_run_cases)],
    "audits:policy-index": [("GET", _batch_page_cases), ("POST", _policy_upload_cases)],
    "audits:policy-draft": [("GET", _policy_draft_cases)],
    "audits:policy-draft-progress": [("GET", _policy_draft_cases)],
    "audits:policy-draft-publish": [("POST", _policy_publish_cases)],
    "imports:import": [
        ("GET", lambda ctx: _page_import_cases(ctx)[:1]),
        ("POST", lambda ctx: _page_import_cases(ctx)[1:]),
    ],
    "imports:export": [("GET", _export_cases)],
    # --- activities pages
    "activities:me": [("GET", _activities_student_case(200))],
    "activities:signup": [("POST", _activities_signup_cases)],
    "activities:signup-cancel": [("POST", _activities_signup_cases)],
    "activities:mooc-upload": [("POST", _activities_student_case(200, {"course": "0"}))],
    "activities:subsidy-apply": [("POST", _activities_student_case(200, {"code": "X"}))],
    "activities:upload-file": [("GET", _activities_file_cases("own-upload", "ncut-upload"))],
    "activities:receipt-file": [("GET", _activities_file_cases("own-application", "ncut-application"))],
    "activities:offering-list": [("GET", _activities_staff_case(200))],
    "activities:offering-create": [
        ("GET", _activities_staff_case(200)),
        ("POST", _activities_staff_case(200, {"item": "ntut:resilience", "title": "x"})),
    ],
    "activities:offering-detail": [("GET", _activities_offering_cases(200))],
    "activities:offering-edit": [
        ("GET", _activities_offering_cases(200)),
        ("POST", _activities_offering_cases(200, lambda: {"title": "changed"})),
    ],
    "activities:offering-close": [("POST", _activities_offering_cases(302, dict))],
    "activities:offering-roster": [("POST", _activities_offering_cases(200, _activities_roster, writes_hours=True))],
    "activities:offering-entry": [
        ("POST", _activities_offering_cases(200, lambda: {"student_id": "B112340001"}, writes_hours=True))
    ],
    "activities:mooc-reviews": [("GET", _activities_nobody(None, 200))],
    "activities:mooc-review": [("POST", _activities_nobody("ncut-upload", 302, REVIEW))],
    "activities:mooc-courses": [
        ("GET", _activities_nobody(None, 200)),
        ("POST", _activities_nobody(None, 302, {"title": "x", "hours": "1"})),
    ],
    "activities:mooc-course-edit": [("GET", _activities_nobody("ncut-course", 200))],
    "activities:licence-lists": [("GET", _activities_nobody(None, 200))],
    "activities:licence-entry-remove": [("POST", _activities_nobody("ncut-entry", 302))],
    "activities:licence-register": [("GET", _activities_nobody(None, 200))],
    "activities:subsidy-reviews": [("GET", _activities_nobody(None, 200))],
    "activities:subsidy-review": [("POST", _activities_nobody("ncut-application", 302, REVIEW))],
    # --- notices pages
    "notices:schedule-list": [("GET", lambda ctx: [Case("-", {}, _may(ctx, NOTICE_REGISTRARS), 200)])],
    "notices:schedule-create": [
        ("GET", lambda ctx: [Case("-", {}, _may(ctx, NOTICE_REGISTRARS), 200)]),
        ("POST", _notice_schedule_create_cases),
    ],
    "notices:schedule-edit": [("GET", _notice_schedule_edit_cases(False)), ("POST", _notice_schedule_edit_cases(True))],
    "notices:send-due": [("POST", _notice_send_cases)],
    "notices:log": [("GET", _notice_log_cases)],
    "notices:class-index": [("GET", _signed_in_case(200, _notice_class_index_shows_own))],
    "notices:class-list": [("GET", _notice_class_cases)],
    "notices:class-list-pdf": [("GET", _notice_class_cases)],
    "notices:message-compose": [("POST", _message_compose_cases)],
    "notices:message": [("GET", _message_cases)],
    # --- forecasts pages
    "forecasts:index": [("GET", _forecast_index_cases)],
    "forecasts:institution": [("GET", _forecast_institution_cases(200))],
    "forecasts:refresh": [("POST", _forecast_institution_cases(302))],
    "forecasts:class": [("GET", _forecast_class_cases)],
    # --- reports pages
    "reports:pass-rates": [("GET", _report_page_cases)],
    "reports:pass-rates-csv": [("GET", _report_download_cases(check=False))],
    "reports:pass-rates-xlsx": [("GET", _report_download_cases(check=False))],
    "reports:pass-rates-jsonl": [("GET", _report_download_cases(check=True))],
    # --- programs pages
    "programs:catalogue": [("GET", _programs_catalogue_cases)],
    "programs:program": [("GET", _programs_program_cases)],
    "programs:student": [("GET", _programs_student_cases)],
    "programs:register": [("POST", _programs_self_cases)],
    "programs:apply": [("POST", _programs_self_cases)],
    "programs:queue": [("GET", _programs_queue_cases)],  # before programs:decide moves the application on
    "programs:application": [("GET", _programs_application_cases(200))],
    "programs:resubmit": [
        ("POST", _programs_application_cases(302, {}, {"own-AVM": {"student"}, "other-AV2": {"other-student"}}))
    ],
    "programs:certificate-pdf": [("GET", _programs_application_cases(200, None, {"issued": PROGRAM_VIEWERS}))],
    "programs:decide": [
        (
            "POST",
            _programs_application_cases(
                302, {"step": "1", "decision": "approve"}, {"own-AVM": {"program-contact"}, "other-AV2": set()}
            ),
        )
    ],
    # a judgement at step 1: the program contact of the application's program only (steps: test_exceptions_programs)
    "programs:judge": [
        (
            "POST",
            _programs_application_cases(
                302,
                {"step": "1", "kind": "recognise", "requirement": "micro-program.AVM", "course": "1404006", "as": "x"},
                {"own-AVM": {"program-contact"}, "other-AV2": set()},
            ),
        )
    ],
    "programs:terms": [("GET", _programs_terms_cases("GET")), ("POST", _programs_terms_cases("POST"))],
    # program staff and the registrar of NTUT (whose programs they are); who may record what: test_programs_record;
    # NYCU has no micro-programs, so its registrar has no such page (404)
    "programs:exceptions": [
        (
            "GET",
            lambda ctx: [
                Case("-", {}, _may(ctx, PROGRAM_STAFF), 200, refused=404 if ctx.role == "foreign-registrar" else None)
            ],
        )
    ],
    "programs:verify": [("GET", _programs_verify_cases)],
    # --- microcredits pages
    "microcredits:offering-list": [("GET", _mc_list_cases)],
    "microcredits:offering-create": [("GET", _mc_create_cases), ("POST", lambda ctx: _mc_create_cases(ctx)[:1])],
    "microcredits:offering-detail": [("GET", _mc_nobody("offering", 200))],
    "microcredits:offering-signup": [("POST", _mc_refused("offering", {"session": "1"}))],
    "microcredits:session-create": [("POST", _mc_nobody("offering", 302, {"date": "2025-10-02"}))],
    "microcredits:session-attendance": [
        ("GET", _mc_nobody("session", 200)),
        ("POST", _mc_nobody("session", 302, {"close": "1"})),
    ],
    "microcredits:session-check-in": [("POST", _mc_nobody("session", 302, {"code": "ABC123"}))],
    "microcredits:work-submit": [("POST", _mc_nobody("enrollment", 302))],
    "microcredits:work-file": [("GET", _mc_nobody("enrollment", 200))],
    "microcredits:enrollment-grade": [("POST", _mc_nobody("enrollment", 302, {"result": "fail"}))],
    "microcredits:student": [("GET", _mc_student_cases)],
    "microcredits:certification-file": [
        ("GET", _mc_own_form_cases(None)),
        ("POST", _mc_own_form_cases({"declare": "1"})),
    ],
    "microcredits:offset-file": [("GET", _mc_own_form_cases(None)), ("POST", _mc_own_form_cases({"category": "x"}))],
    "microcredits:offset-pdf": [("GET", _mc_nobody("offset", 200))],
    "microcredits:review-list": [("GET", _mc_review_cases)],
    "microcredits:certification-review": [("POST", _mc_refused("certification", {"decision": "approve"}))],
    "microcredits:offset-review": [("POST", _mc_refused("offset", {"decision": "approve"}))],
    "microcredits:ban-lift": [("POST", _mc_refused("ban", {"reason": "matrix"}))],
    # --- fees pages
    "fees:student": [("GET", _student_cases(200))],
    "fees:runs-index": [("GET", _fee_runs_index_cases)],
    "fees:runs": [("GET", _fee_runs_page_cases), ("POST", _fee_run_start_cases)],
    "fees:add-drop": [("POST", _fee_add_drop_cases)],
    "fees:run": [("GET", _fee_run_cases())],
    "fees:run-export": [("GET", _fee_run_cases(_xlsx_opens))],
    # --- plans pages
    "plans:student": [("GET", _student_cases(200)), ("POST", _plan_save_cases)],
    # --- certification pages
    "certification:index": [("GET", lambda ctx: [Case("-", {}, _may(ctx, CERT_INDEX), 200)])],
    "certification:apply": [("POST", lambda ctx: [Case("-", {}, _may(ctx, {"student", "other-student"}), 302)])],
    "certification:review-open": [("POST", _cert_open_cases)],
    "certification:review": [("GET", _cert_review_cases(200))],
    "certification:graduates-xlsx": [("GET", _cert_review_cases(200))],
    "certification:graduates-pdf": [("GET", _cert_review_cases(200))],
    "certification:candidate": [("GET", _cert_candidate_cases(200))],
    "certification:decide": [("POST", _cert_candidate_cases(302, {"step": "officer", "decision": "approve"}, True))],
    "certification:review-close": [("POST", _cert_review_cases(302))],
}
# own checks (admin), covered above (api), public (accounts, i18n, static files: tests/web/test_static.py)
PAGE_EXEMPT_PREFIXES = ("admin/", "api/", "accounts/", "i18n/", "static/")


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
        # a ready preview whose files are the current ones (publishing them would change nothing)
        current = PolicyVersion.objects.get(institution__code=code, is_current=True)
        ctx.drafts[code] = PolicyDraft.objects.create(
            institution=current.institution,
            files=current.files,
            checksum=current.checksum,
            base_version=current,
            state=PolicyDraft.State.READY,
            report={"totals": {"audited": 0, "changed": 0, "failed": 0}, "students": []},
        )
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


# ------------------------------------------------------------------------------------- no probing for student ids

MISSING_ID = "B112590999"  # a well-formed id of the world's institution that belongs to no student


def _student_addressed_routes() -> list[tuple[str, str, str]]:
    """(kind, method, URL template) of every page and API route addressed by a student id."""
    routes = [
        ("page", method, name)
        for name, route in page_routes().items()
        if "<str:student_id>" in route
        for method in ("GET", "POST")
    ]
    routes += [("api", method, path) for method, path in sorted(api_routes()) if "{student_id}" in path]
    return routes


def _student_url(kind: str, name: str, institution: str, student_id: str) -> str:
    if kind == "page":
        return reverse(name, kwargs={"institution": institution, "student_id": student_id})
    return name.replace("{institution}", institution).replace("{student_id}", student_id)


def _probe(client: Client, kind: str, method: str, url: str) -> tuple[int, str, bytes]:
    call = getattr(client, method.lower())
    if kind == "api" and method in ("POST", "PUT"):
        response = call(url, data=json.dumps(WHAT_IF), content_type="application/json")
    else:
        response = call(url, data={"program": "AVM", "planned": "3401004, 工程靜力學, 3"} if method == "POST" else None)
    return response.status_code, response.get("Content-Type", ""), response.content


def test_every_page_kind_addressed_by_a_student_id_is_probed() -> None:
    kinds = {name.split(":")[0] for kind, _, name in _student_addressed_routes() if kind == "page"}
    assert {"records", "audits", "fees", "programs", "microcredits"} <= kinds
    assert any(kind == "api" for kind, _, _ in _student_addressed_routes())


@pytest.mark.parametrize(("role", "hidden"), [("student", "other"), ("mentor", "other"), ("foreign-registrar", "own")])
def test_a_hidden_student_is_answered_as_a_missing_one(world: World, role: str, hidden: str) -> None:
    """Issue 11 item 4: the answer for a student the asker may not see (status, content type, body) is the answer
    for an id no student has, on every page and endpoint addressed by a student id: nobody learns which ids exist."""
    client = Client()
    client.force_login(world.users[role])
    student = {"own": world.own, "other": world.other}[hidden]
    assert role not in SEES[hidden]
    expected = 403 if role in STUDENT_ROLES else 404  # a student may see nobody else: refused whatever the id
    failures = []
    for kind, method, name in _student_addressed_routes():
        code = student.institution.code
        seen = _probe(client, kind, method, _student_url(kind, name, code, student.student_id))
        missing = _probe(client, kind, method, _student_url(kind, name, code, MISSING_ID))
        if seen != missing:
            failures.append(f"{method} {name}: hidden {seen[:2]} {seen[2][:120]!r} ≠ missing {missing[:2]}")
        elif seen[0] not in (expected, 405) and not (kind == "api" and method == "PUT"):
            failures.append(f"{method} {name}: {seen[0]} for hidden and missing alike, expected {expected}")
    assert not failures, "\n".join(failures)
