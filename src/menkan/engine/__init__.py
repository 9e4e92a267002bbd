"""menkan's audit engine: pure Python, no Django. `compile(policies).audit(student, as_of=term)` is the entry point."""

from menkan.engine.audit import Runtime, audit, compile, latest_term
from menkan.engine.calendar import term_on
from menkan.engine.errors import InputError, InputProblem, problem
from menkan.engine.exceptions import exception_problems, tiered_parts
from menkan.engine.fees import (
    FeePolicy,
    FeeStatement,
    fee_policy_from,
    fee_statement,
    load_shipped_fees,
    render_statement,
)
from menkan.engine.filters import applies
from menkan.engine.ledger import GradeScale, grade_problems, normalize_title
from menkan.engine.policy.loader import (
    INSTITUTION_FILE,
    SHIPPED_POLICIES,
    PolicySet,
    load_policy_dir,
    load_shipped,
    shipped_institutions,
    walk,
)
from menkan.engine.policy.models import Hours, Institution, Policy, Tiered
from menkan.engine.policy.workflows import MicroCredits, Offset, ReviewStep, SelfLearning, Workflows
from menkan.engine.programs import program_outlook
from menkan.engine.records import (
    RecordException,
    Student,
    StudentRead,
    iter_students,
    load_students,
    read_students,
    read_students_text,
    student_from_dict,
    student_to_dict,
)
from menkan.engine.result import AuditResult, RequirementResult, fmt
from menkan.engine.study import (
    StudyPosition,
    enrolled_semesters,
    latest_study_term,
    study_period_default,
    study_position,
    study_term,
    study_year,
    term_credit_max,
)
from menkan.engine.terms import Term
from menkan.engine.worksheet import REASONS, render, summary_line

__all__ = [
    "INSTITUTION_FILE",
    "REASONS",
    "SHIPPED_POLICIES",
    "AuditResult",
    "FeePolicy",
    "FeeStatement",
    "GradeScale",
    "Hours",
    "InputError",
    "InputProblem",
    "Institution",
    "MicroCredits",
    "Offset",
    "Policy",
    "PolicySet",
    "RecordException",
    "RequirementResult",
    "ReviewStep",
    "Runtime",
    "SelfLearning",
    "Student",
    "StudentRead",
    "StudyPosition",
    "Term",
    "Tiered",
    "Workflows",
    "applies",
    "audit",
    "compile",
    "enrolled_semesters",
    "exception_problems",
    "fee_policy_from",
    "fee_statement",
    "fmt",
    "grade_problems",
    "iter_students",
    "latest_study_term",
    "latest_term",
    "load_policy_dir",
    "load_shipped",
    "load_shipped_fees",
    "load_students",
    "normalize_title",
    "problem",
    "program_outlook",
    "read_students",
    "read_students_text",
    "render",
    "render_statement",
    "shipped_institutions",
    "student_from_dict",
    "student_to_dict",
    "study_period_default",
    "study_position",
    "study_term",
    "study_year",
    "summary_line",
    "term_credit_max",
    "term_on",
    "tiered_parts",
    "walk",
]
