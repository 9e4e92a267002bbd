"""The in-process API of records (OEP-49): what the other apps may import from it, and nothing else.

Students and their records (the models, for relations and querysets), who may see and write them, their
`menkan.student/1` documents and engine inputs, the academic calendar (`calendar`), the shared upload and table
readers of imports, and the hooks through which the apps above answer what records asks (the current policy, a
student's audit, other calendars) and hear of changes. Writes of records go through the services named here.
"""

from __future__ import annotations

from menkan.web.records import calendar
from menkan.web.records.calendar import term_current
from menkan.web.records.hooks import (
    audit_source_set,
    policy_source_set,
    runtime_source_set,
    student_link_add,
    student_records_changed,
    term_starts_source_add,
)
from menkan.web.records.imports import (
    STUDENT_ID_COLUMN,
    BadValue,
    ImportFileError,
    cell_text,
    header_key,
    parse_term,
    table_read,
)
from menkan.web.records.models import (
    Activity,
    Certificate,
    CourseRecord,
    Department,
    Institution,
    RecordException,
    SchoolClass,
    Student,
)
from menkan.web.records.selectors import (
    engine_inputs,
    engine_students,
    exceptions_approved_of,
    item_owners,
    record_write_permission,
    student_document,
    student_documents,
    student_get_for,
    student_of,
    student_study_year,
    students_visible_to,
)
from menkan.web.records.services import (
    ExceptionRefused,
    activity_add,
    activity_ensure,
    activity_set,
    certificate_ensure,
    course_add,
    course_set,
    exception_record_judgement,
    institution_sync,
    student_import_document,
    student_programs_save,
)
from menkan.web.records.templatetags.menkan import loc
from menkan.web.records.uploads import UploadRefused, upload_check

__all__ = [
    "STUDENT_ID_COLUMN",
    "Activity",
    "BadValue",
    "Certificate",
    "CourseRecord",
    "Department",
    "ExceptionRefused",
    "ImportFileError",
    "Institution",
    "RecordException",
    "SchoolClass",
    "Student",
    "UploadRefused",
    "activity_add",
    "activity_ensure",
    "activity_set",
    "audit_source_set",
    "calendar",
    "cell_text",
    "certificate_ensure",
    "course_add",
    "course_set",
    "engine_inputs",
    "engine_students",
    "exception_record_judgement",
    "exceptions_approved_of",
    "header_key",
    "institution_sync",
    "item_owners",
    "loc",
    "parse_term",
    "policy_source_set",
    "record_write_permission",
    "runtime_source_set",
    "student_document",
    "student_documents",
    "student_get_for",
    "student_import_document",
    "student_link_add",
    "student_of",
    "student_programs_save",
    "student_records_changed",
    "student_study_year",
    "students_visible_to",
    "table_read",
    "term_current",
    "term_starts_source_add",
    "upload_check",
]
