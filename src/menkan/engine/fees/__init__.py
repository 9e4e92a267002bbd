"""Credit-fee statements: `fee_statement(student, fee_policy, term)`, a pure function with Decimal money.

The schedules are data (`menkan.engine.policy.fees`, read from institution.yaml `workflows.fees`): `policy`
resolves them for an institution, `schedules` computes a statement under the first schedule that applies,
`statement` holds its parts and `rendering` writes it as text.
"""

from menkan.engine.fees.policy import FeePolicy, fee_policy_from, load_shipped_fees
from menkan.engine.fees.rendering import render_statement
from menkan.engine.fees.schedules import BASIS, NO_SCHEDULE, fee_statement
from menkan.engine.fees.statement import (
    STATEMENT_SCHEMA,
    CourseCharge,
    Explanation,
    FeeLine,
    FeeStatement,
    NotAccumulated,
)

__all__ = [
    "BASIS",
    "NO_SCHEDULE",
    "STATEMENT_SCHEMA",
    "CourseCharge",
    "Explanation",
    "FeeLine",
    "FeePolicy",
    "FeeStatement",
    "NotAccumulated",
    "fee_policy_from",
    "fee_statement",
    "load_shipped_fees",
    "render_statement",
]
