"""The in-process API of accounts (OEP-49): what the other apps may import from it, and nothing else.

People and their roles (the models, for relations and querysets), who is a registrar of which institution, where a
person lands, and the registry in which each workflow app says whose it is (`workflow_app_register`).
"""

from __future__ import annotations

from menkan.web.accounts.models import Role, RoleAssignment, User
from menkan.web.accounts.navigation import WorkflowApp, institutions_of, landing_url, workflow_app_register
from menkan.web.accounts.selectors import is_registrar, registrar_institution_get, registrar_institutions, roles_of
from menkan.web.accounts.services import role_assign, user_create

__all__ = [
    "Role",
    "RoleAssignment",
    "User",
    "WorkflowApp",
    "institutions_of",
    "is_registrar",
    "landing_url",
    "registrar_institution_get",
    "registrar_institutions",
    "role_assign",
    "roles_of",
    "user_create",
    "workflow_app_register",
]
