"""menkan's audit engine: pure Python, no Django. `compile(policies).audit(student, as_of=term)` is the entry point."""

from menkan.engine.audit import Runtime, audit, compile, latest_term
from menkan.engine.errors import InputError, InputProblem
from menkan.engine.policy.loader import PolicySet, load_policy_dir, load_shipped, shipped_institutions
from menkan.engine.records import Student, iter_students, load_students, student_from_dict, student_to_dict
from menkan.engine.result import AuditResult, RequirementResult
from menkan.engine.study import (
    StudyPosition,
    enrolled_semesters,
    latest_study_term,
    study_position,
    study_term,
    study_year,
)
from menkan.engine.terms import Term

__all__ = [
    "AuditResult",
    "InputError",
    "InputProblem",
    "PolicySet",
    "RequirementResult",
    "Runtime",
    "Student",
    "StudyPosition",
    "Term",
    "audit",
    "compile",
    "enrolled_semesters",
    "iter_students",
    "latest_study_term",
    "latest_term",
    "load_policy_dir",
    "load_shipped",
    "load_students",
    "shipped_institutions",
    "student_from_dict",
    "student_to_dict",
    "study_position",
    "study_term",
    "study_year",
]
