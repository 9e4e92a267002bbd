"""JSON API for the caller: who am I, and my API tokens. Also the pieces every router shares (error schemas,
the caller of a request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import ValidationError
from ninja.responses import Status

from menkan.web.accounts.auth import auth_method, session_auth
from menkan.web.accounts.models import ApiToken, User
from menkan.web.accounts.selectors import roles_of
from menkan.web.accounts.services import api_token_create, api_token_revoke

router = Router(tags=["accounts"])


class Detail(Schema):
    """An error: 401 not authenticated, 403 not allowed, 404 unknown, 409 not possible now, 413 too large."""

    detail: str


class FieldError(Schema):
    loc: list[str | int] = Field(description='where: ["body", "courses", 3, "credits"], ["query", "page"], …')
    msg: str
    type: str


class ValidationDetail(Schema):
    """Invalid input (422): every problem, each naming its place in the request."""

    detail: list[FieldError] | str


def user_of(request: HttpRequest) -> User:
    """The caller, as authenticated by the API (token or session) — never `request.user` alone."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def validation_error(loc: list[str | int], message: str, kind: str = "value_error") -> ValidationError:
    """A 422 naming one place in the request (same shape as django-ninja's own validation errors)."""
    return ValidationError([{"loc": loc, "msg": message, "type": kind}])


def input_error(problems: list[tuple[list[str | int], str]]) -> ValidationError:
    """A 422 listing engine problems, each at its `loc`."""
    return ValidationError([{"loc": loc, "msg": reason, "type": "value_error"} for loc, reason in problems])


class RoleOut(Schema):
    role: str
    institution: str
    department: str | None
    school_class: str | None
    unit: str | None
    program: str | None


class StudentRef(Schema):
    institution: str
    student_id: str


class Me(Schema):
    username: str
    name: str
    email: str
    is_superuser: bool
    roles: list[RoleOut]
    student: StudentRef | None = Field(description="your own student record, if you are a student")
    auth: str = Field(description="how this request was authenticated: session or token")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="what the token is for, e.g. the integration's name")


class TokenOut(Schema):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class NewToken(TokenOut):
    token: str = Field(description="the bearer token: shown this once, never again (only its SHA-256 is kept)")


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked": token.revoked,
    }


@router.get("/me", response={200: Me, 401: Detail, 403: Detail}, summary="Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    student = getattr(user, "student", None)
    return {
        "username": user.get_username(),
        "name": user.get_full_name() or user.first_name,
        "email": user.email,
        "is_superuser": user.is_superuser,
        "roles": [
            {
                "role": a.role,
                "institution": a.institution.code,
                "department": a.department.code if a.department_id else None,
                "school_class": a.school_class.code if a.school_class_id else None,
                "unit": a.unit or None,
                "program": a.program or None,
            }
            for a in roles_of(user).order_by("institution__code", "role", "pk")
        ],
        "student": {"institution": student.institution.code, "student_id": student.student_id} if student else None,
        "auth": auth_method(request),
    }


@router.post(
    "/tokens",
    auth=session_auth,
    response={201: NewToken, 401: Detail, 403: Detail, 422: ValidationDetail},
    summary="Create an API token for yourself (logged-in session only)",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    """A bearer token that acts as you, for an integration. Only from a logged-in session (with its CSRF token):
    a token cannot mint more tokens, so revoking a leaked token ends its reach. The token is in the answer once;
    keep it safe."""
    token, raw = api_token_create(user_of(request), payload.name)
    return Status(201, {**_token_out(token), "token": raw})


@router.get("/tokens", response={200: list[TokenOut], 401: Detail, 403: Detail}, summary="Your API tokens")
def token_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_token_out(token) for token in ApiToken.objects.filter(user=user_of(request))]


@router.delete(
    "/tokens/{token_id}", response={204: None, 401: Detail, 403: Detail, 404: Detail}, summary="Revoke an API token"
)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    """Revoke one of your tokens for good. Someone else's token is as unknown to you as a token that never was
    (404)."""
    token = ApiToken.objects.filter(user=user_of(request), pk=token_id).first()
    if token is None:
        raise Http404(f"you have no token {token_id}")
    api_token_revoke(token)
    return Status(204, None)
