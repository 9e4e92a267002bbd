"""The fee policy: an institution's settings and its fee schedules (institution.yaml `workflows.fees`), resolved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from menkan.engine.errors import InputError, InputProblem
from menkan.engine.policy.fees import FEES_KEY, Fees, FeeSchedule, GraduateCreditFees, Threshold, ThresholdOverride
from menkan.engine.policy.loader import INSTITUTION_FILE, SHIPPED_POLICIES, PolicySet, load_shipped, walk
from menkan.engine.policy.models import Credits, Institution
from menkan.engine.policy.yamlsource import LineMap, line_of, load_yaml_with_lines


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """What `fee_statement` needs: the institution (grading, identity, repeats) and its fee schedules.

    Thresholds given as a requirement id are already resolved into figures (`Threshold.credits`/`overrides`).
    `source` names the file the schedules came from, for errors.
    """

    institution: Institution
    fees: Fees
    source: str = INSTITUTION_FILE


def _lines_of(source: Path | None) -> LineMap:
    if source is None or not source.exists():
        return LineMap(None)
    try:
        return load_yaml_with_lines(source.read_text(encoding="utf-8"))[1]
    except Exception:  # the loader has read this file already; lines are only a help for messages
        return LineMap(None)


def fee_policy_from(policy_set: PolicySet, source: Path | str | None = None) -> FeePolicy:
    """The institution's fee schedules (`workflows.fees`, validated by the policy loader, which also checked that
    every threshold names a `credits` requirement) with their thresholds resolved into figures; InputError names
    file, line and path when the institution has no fee schedules.

    `source`: the institution.yaml the policy set came from (for line numbers in errors).
    """
    path = Path(source) if source is not None else None
    name = str(path) if path is not None else f"{policy_set.id}/{INSTITUTION_FILE}"
    lines = _lines_of(path)
    prefix: tuple[Any, ...] = ("workflows", FEES_KEY)

    def problem(location: Sequence[Any], reason: str) -> InputProblem:
        full = (*prefix, *location)
        return InputProblem(name, full, reason, line_of(lines, full))

    fees = policy_set.institution.workflows.fees
    if fees is None:
        raise InputError([problem((), f"institution {policy_set.id!r} has no fee schedules (workflows.fees)")])
    requirements = {full_id: node for policy in policy_set.policies for full_id, node in walk(policy.requirements)}
    problems: list[InputProblem] = []
    schedules: list[FeeSchedule] = []
    for index, schedule in enumerate(fees.schedules):
        if isinstance(schedule, GraduateCreditFees) and schedule.threshold.requirement is not None:
            wanted = schedule.threshold.requirement
            node = requirements.get(wanted)
            if not isinstance(node, Credits) or node.unit != "credits":
                what = "no requirement has that id" if node is None else "it is not a `credits` requirement in credits"
                problems.append(problem(("schedules", index, "threshold", "requirement"), f"{wanted!r}: {what}"))
                continue
            resolved = Threshold(
                requirement=wanted,
                credits=node.min,
                overrides=[
                    ThresholdOverride(when=o.when, credits=o.min, add=o.add_min)
                    for o in node.overrides
                    if o.min is not None or o.add_min is not None
                ],
            )
            schedule = schedule.model_copy(update={"threshold": resolved})
        schedules.append(schedule)
    if problems:
        raise InputError(problems)
    return FeePolicy(policy_set.institution, fees.model_copy(update={"schedules": schedules}), name)


_SHIPPED: dict[str, FeePolicy] = {}


def load_shipped_fees(institution: str) -> FeePolicy:
    """The fee policy shipped with menkan for one institution (loaded once per process)."""
    if institution not in _SHIPPED:
        policy_set = load_shipped(institution)
        _SHIPPED[institution] = fee_policy_from(policy_set, SHIPPED_POLICIES / institution / INSTITUTION_FILE)
    return _SHIPPED[institution]
