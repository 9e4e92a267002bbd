"""Group requirements: all-of (optionally sharing courses exclusively, with a group total) and any-of / choose N."""

from __future__ import annotations

from decimal import Decimal

from menkan.engine.context import Context
from menkan.engine.messages import short, text
from menkan.engine.policy.models import AllOf, AnyOf
from menkan.engine.result import RequirementResult, Status, combine, fmt
from menkan.engine.rules import credits


def _children(ctx: Context, node: AllOf | AnyOf, full_id: str) -> list[RequirementResult]:
    results = []
    for child, child_id in ctx.applicable_children(node, full_id):
        result = ctx.evaluate(child, child_id)
        if result is not None:
            results.append(result)
    return results


def evaluate_all(ctx: Context, node: AllOf, full_id: str) -> RequirementResult:
    outcome = None
    if node.exclusive:
        shape = credits.group_shape(ctx, node, full_id)
        if shape.leaves:
            total_min = node.total.min if node.total is not None else None
            outcome = credits.evaluate_leaves(ctx, shape, total_min)
            ctx.precomputed.update(outcome.results)
    children = _children(ctx, node, full_id)
    deciding = [child for child in children if not child.advisory]
    statuses: list[Status] = [child.status for child in deciding]
    met_count = sum(child.met for child in deciding)
    if node.total is not None:
        earned = outcome.retained if outcome is not None else Decimal(0)
        potential = outcome.potential_retained if outcome is not None else earned
        required = node.total.min
        if earned >= required:
            statuses.append("met")
        else:
            statuses.append("in-progress" if potential >= required else "not-met")
        status = combine(statuses)
        missing = short(required - earned, "credits", potential - earned) if earned < required else _unmet(deciding)
        return RequirementResult(
            id=full_id,
            title=node.title.as_dict(),
            kind=node.kind,
            status=status,
            unit="credits",
            required=required,
            earned=earned,
            cites=node.cites,
            display=f"{fmt(earned)} / {fmt(required)}",
            missing=missing if status != "met" else text("", ""),
            children=children,
            advisory=node.advisory,
        )
    status = combine(statuses)
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit="requirements",
        required=Decimal(len(deciding)),
        earned=Decimal(met_count),
        cites=node.cites,
        missing=_unmet(deciding) if status != "met" else text("", ""),
        children=children,
        advisory=node.advisory,
    )


def _unmet(children: list[RequirementResult]) -> dict[str, str]:
    open_items = [child for child in children if child.status != "met"]
    if not open_items:
        return text("", "")
    return {
        "zh-TW": "未完成：" + "、".join(child.title["zh-TW"] for child in open_items),
        "en": "Not yet complete: " + ", ".join(child.title["en"] for child in open_items),
    }


def evaluate_any(ctx: Context, node: AnyOf, full_id: str) -> RequirementResult:
    children = _children(ctx, node, full_id)
    # An advisory child is shown but is not one of the alternatives that count.
    deciding = [child for child in children if not child.advisory]
    met_count = sum(child.met for child in deciding)
    progressing = sum(child.status == "in-progress" for child in deciding)
    needed = node.min_met
    if met_count >= needed:
        status: Status = "met"
        missing = text("", "")
    else:
        status = "in-progress" if met_count + progressing >= needed else "not-met"
        if needed == 1:
            missing = {
                "zh-TW": "需完成下列其中一項：" + "、".join(child.title["zh-TW"] for child in deciding),
                "en": "Complete one of: " + ", ".join(child.title["en"] for child in deciding),
            }
        else:
            missing = short(Decimal(needed - met_count), "requirements")
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=status,
        unit="requirements",
        required=Decimal(needed),
        earned=Decimal(met_count),
        cites=node.cites,
        missing=missing,
        children=children,
        advisory=node.advisory,
    )
