"""The in-process API of audits (OEP-49): what the other apps may import from it, and nothing else.

Published policy versions and their loaded policy sets, the stored audits (`audit_document` reads one;
`audit_refresh_if_stale` makes it again when it is stale: two calls, a read and a write), audits on demand
(`student_audit`, `students_audit`, `audit_as_of`) and batch runs.
"""

from __future__ import annotations

from menkan.web.audits.models import AuditResult, BatchRun, PolicyVersion
from menkan.web.audits.selectors import audit_document
from menkan.web.audits.services import (
    audit_as_of,
    audit_refresh_if_stale,
    batch_audit_create,
    batch_audit_start,
    batch_dispatch,
    files_of_folder,
    policy_current,
    policy_publish,
    policy_publish_shipped,
    policy_set_current_of,
    policy_set_of,
    policy_sets_warm,
    runtime_of,
    student_audit,
    students_audit,
)

__all__ = [
    "AuditResult",
    "BatchRun",
    "PolicyVersion",
    "audit_as_of",
    "audit_document",
    "audit_refresh_if_stale",
    "batch_audit_create",
    "batch_audit_start",
    "batch_dispatch",
    "files_of_folder",
    "policy_current",
    "policy_publish",
    "policy_publish_shipped",
    "policy_set_current_of",
    "policy_set_of",
    "policy_sets_warm",
    "runtime_of",
    "student_audit",
    "students_audit",
]
