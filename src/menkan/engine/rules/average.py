"""Average minimums: cumulative average, graduation grade, or every semester's average."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from menkan.engine.averages import cumulative_average, graduation_grade, semester_averages
from menkan.engine.context import Context
from menkan.engine.messages import text
from menkan.engine.policy.models import Average
from menkan.engine.result import RequirementResult, Status, Unit, fmt


def evaluate(ctx: Context, node: Average, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    settings = ctx.institution.averages
    places = settings.places
    quantum = Decimal(1).scaleb(-places)
    semesters = semester_averages(ctx.ledger, ctx.student, settings)
    details: dict[str, object] = {
        "measure": settings.measure,
        "semesters": {str(term): str(avg.rounded(places)) for term, avg in semesters.items() if avg.value is not None},
    }
    cumulative = cumulative_average(ctx.ledger, ctx.student, settings)
    details["cumulative"] = str(cumulative.rounded(places)) if cumulative.value is not None else None
    details["credits_averaged"] = float(cumulative.credits)
    value: Decimal | None
    if node.scope == "every-semester":
        low = [(term, avg) for term, avg in semesters.items() if avg.value is not None and avg.value < node.min]
        values = [avg.rounded(places) for avg in semesters.values() if avg.value is not None]
        value = min((v for v in values if v is not None), default=None)
        details["below"] = [str(term) for term, _ in low]
    elif node.scope == "graduation":
        raw, parts = graduation_grade(ctx.ledger, ctx.student, settings, ctx.scale, ctx.as_of)
        details["graduation"] = parts
        value = raw.quantize(quantum, rounding=ROUND_HALF_UP) if raw is not None else None
    else:
        value = cumulative.rounded(places)
    details["value"] = str(value) if value is not None else None
    unit: Unit = "points" if settings.measure == "points" else "score"
    status: Status
    if value is None:
        status = "in-progress"
        missing = text("尚無可計算平均的成績", "No grades to average yet")
    elif value >= node.min:
        status = "met"
        missing = text("", "")
    else:
        status = "not-met"
        missing = text(
            f"平均 {fmt(value)}，未達 {fmt(node.min)}",
            f"Average {fmt(value)} is below the minimum {fmt(node.min)}",
        )
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit=unit,
        required=node.min,
        earned=value,
        cites=node.cites,
        # averages keep their decimal places (3.80, not 3.8)
        display=f"{value if value is not None else '-'} / {fmt(node.min)}",
        missing=missing,
        advisory=node.advisory,
        details=details,
    )
