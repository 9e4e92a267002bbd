"""Writes of audits, one module a subject: policy versions and drafts, the audit store, batch runs, what-if audits.

The names are re-exported here, so `menkan.web.audits.services` reads as it did before the split.
"""

from menkan.web.audits.services.audit_store import (
    PHASES,
    AuditedChunk,
    audit_as_of,
    audit_refresh_if_stale,
    audit_schedule,
    compact_json,
    student_audit,
    students_audit,
    students_audit_pks,
    students_audit_prepare,
    students_audit_store,
)
from menkan.web.audits.services.batch import (
    MAX_ERRORS,
    batch_audit_create,
    batch_audit_start,
    batch_chunk,
    batch_dispatch,
    batch_finish,
)
from menkan.web.audits.services.policy_drafts import (
    DraftRefused,
    PolicyFilesRefused,
    policy_draft_create,
    policy_draft_preview,
    policy_draft_publish,
    policy_files_compile,
    policy_files_read,
)
from menkan.web.audits.services.policy_versions import (
    files_of_folder,
    policy_current,
    policy_publish,
    policy_publish_shipped,
    policy_set_current_of,
    policy_set_of,
    policy_sets_warm,
    runtime_of,
)
from menkan.web.audits.services.what_if import PlannedCourseError, planned_courses_parse, what_if_audit

__all__ = [
    "MAX_ERRORS",
    "PHASES",
    "AuditedChunk",
    "DraftRefused",
    "PlannedCourseError",
    "PolicyFilesRefused",
    "audit_as_of",
    "audit_refresh_if_stale",
    "audit_schedule",
    "batch_audit_create",
    "batch_audit_start",
    "batch_chunk",
    "batch_dispatch",
    "batch_finish",
    "compact_json",
    "files_of_folder",
    "planned_courses_parse",
    "policy_current",
    "policy_draft_create",
    "policy_draft_preview",
    "policy_draft_publish",
    "policy_files_compile",
    "policy_files_read",
    "policy_publish",
    "policy_publish_shipped",
    "policy_set_current_of",
    "policy_set_of",
    "policy_sets_warm",
    "runtime_of",
    "student_audit",
    "students_audit",
    "students_audit_pks",
    "students_audit_prepare",
    "students_audit_store",
    "what_if_audit",
]
