"""Certificate counts against a list (the list may depend on the student's department)."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.messages import short, text
from menkan.engine.policy.models import Certificates
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status


def evaluate(ctx: Context, node: Certificates, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    department = ctx.student.department
    # The list for the department, and sorted for `details`: the profile's, derived once (it holds the department).
    listed, in_order = ctx.shared.memo(node, "listed", lambda: _listed(node, department), full_id)
    applied: list[Applied] = []
    not_applied: list[NotApplied] = []
    seen: set[str] = set()
    certificates = ctx.student.certificates
    for certificate in sorted(certificates, key=lambda c: (c.term, c.code)) if certificates else ():
        if certificate.term > ctx.as_of:
            continue
        if certificate.code not in listed:
            not_applied.append(NotApplied(certificate.ref, "not-on-list", certificate.title))
        elif node.levels is not None and certificate.level not in node.levels:
            not_applied.append(NotApplied(certificate.ref, "level", certificate.title, detail=certificate.level))
        elif certificate.code in seen:
            not_applied.append(NotApplied(certificate.ref, "duplicate", certificate.title))
        else:
            seen.add(certificate.code)
            applied.append(Applied("certificate", certificate.ref, Decimal(1), certificate.title, certificate.term))
    earned = Decimal(len(applied))
    required = Decimal(node.min)
    status: Status = "met" if earned >= required else "not-met"
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit="certificates",
        required=required,
        earned=earned,
        cites=node.cites,
        applied=applied,
        not_applied=not_applied,
        missing=short(required - earned, "certificates") if status != "met" else text("", ""),
        advisory=node.advisory,
        details={"list": list(in_order)} if status != "met" else {},
    )


def _listed(node: Certificates, department: str) -> tuple[frozenset[str], tuple[str, ...]]:
    listed = frozenset(node.codes_by_department.get(department, node.codes))
    return listed, tuple(sorted(listed))
