"""The JSON API root (django-ninja): version 1 under /api/v1, OpenAPI at /api/openapi.json, docs at /api/docs.

Every endpoint takes a bearer token (integrations) or the Django session (pages, with CSRF enforced for unsafe
methods): see accounts.auth. Errors are JSON `{"detail": ...}`: 401 not authenticated, 403 not allowed, 404
unknown, 409 not possible now, 422 invalid input with every problem's place (`loc`) in the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext

from menkan.engine import InputError
from menkan.web.accounts.auth import api_auth
from menkan.web.accounts.rest_api import router as accounts_router
from menkan.web.audits.rest_api import router as audits_router
from menkan.web.errors import problem_loc, problem_reason
from menkan.web.records.rest_api import router as records_router

log = logging.getLogger("menkan.api")

DESCRIPTION = """
Students, their records (`menkan.student/1`) and audits (`menkan.audit/1`), what-if audits, imports and batch audits.

**Authentication.** Either the session of a logged-in user (as on the pages; unsafe methods need the CSRF token in
the `X-CSRFToken` header), or `Authorization: Bearer <token>` with a token created by `POST /api/v1/tokens` from a
logged-in session. Every endpoint applies the same checks as the pages: you see only the students you may see.
A student you may not see is answered as one that does not exist: 404 `{"detail": "no such student"}`.
"""


class MenkanAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        """django-ninja names a JSON body's parameter in each error (`["body", "payload", "planned", 0]`); the
        client never sees that name, so a body's errors are located in the body itself (`["body", "planned", 0]`)."""
        error = super().validation_error_from_error_contexts(error_contexts)
        body_params = {
            name
            for context in error_contexts
            if context.model.__ninja_param_source__ == "body"
            for name in context.model.model_fields
        }
        if len(body_params) == 1:
            for item in error.errors:
                loc = item["loc"]
                if len(loc) >= 2 and loc[0] == "body" and loc[1] in body_params:
                    item["loc"] = (loc[0], *loc[2:])
        for item in error.errors:
            item["loc"] = list(item["loc"])
            item.pop("ctx", None)
            item.pop("url", None)
        return error


api = MenkanAPI(
    title="menkan",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    auth=api_auth,
)
api.add_router("/v1", accounts_router)
api.add_router("/v1", records_router)
api.add_router("/v1", audits_router)
# routers of the later apps (activities, notices, reports, programs, microcredits, fees) are added below


@api.exception_handler(InputError)
def _input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    """A record the engine refuses (PUT of a student): 422 with each problem at its JSON path in the body."""
    detail = [{"loc": problem_loc(p.path), "msg": problem_reason(p), "type": "value_error"} for p in exc.problems]
    return api.create_response(request, {"detail": detail or "invalid input"}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not allowed"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: logged with its traceback; the client gets JSON, not an HTML error page."""
    log.exception("API error on %s %s", request.method, request.path)
    body: dict[str, Any] = {"detail": "internal error; it has been logged"}
    return api.create_response(request, body, status=500)
