"""What-if across tiered programs: one student against every program of a group, as if registered, ranked."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from menkan.engine.audit import Runtime
from menkan.engine.errors import InputError, InputProblem
from menkan.engine.policy import models as m
from menkan.engine.records import Student
from menkan.engine.result import RequirementResult, Status, combine
from menkan.engine.rules import tiered
from menkan.engine.terms import Term

_ORDER: dict[Status, int] = {"met": 0, "in-progress": 1, "not-met": 2}


@dataclass(frozen=True, slots=True)
class ProgramOutlook:
    """One program for one student: how far the courses go, and what is left (registration aside)."""

    requirement_id: str  # e.g. micro-program.AVM
    program: str  # the registration code, e.g. AVM
    title: dict[str, str]
    status: Status  # of the courses and rules, as if registered; "not-met" when not eligible or excluded
    eligible: bool
    excluded_by: tuple[str, ...]  # programs the student holds that exclude this one
    registered: str | None  # the term of the student's active registration, if any
    counts: bool  # False when the program would not count for its parent (e.g. * programs, own department)
    credits_left: Decimal  # the largest credit shortfall (program credits or a credit rule)
    courses_left: int  # courses still missing in the tiers and course-count rules
    open: tuple[str, ...]  # ids of the children not met
    result: RequirementResult

    @property
    def rank_key(self) -> tuple[int, int, int, Decimal, int, str]:
        return (
            0 if self.eligible and not self.excluded_by else 1,
            0 if self.counts else 1,
            _ORDER[self.status],
            self.credits_left,
            self.courses_left,
            self.program,
        )


def program_outlook(
    runtime: Runtime, student: Student, *, as_of: Term, group: str = "micro-program"
) -> list[ProgramOutlook]:
    """Every tiered program under the requirement `group` of the compiled policies, evaluated for the student as
    of `as_of` as if registered, ranked.

    Ranked by: eligible (and not excluded) first, counting for the parent first, then met / in progress /
    not met, then fewest credits left, fewest courses left, program code. Pure: no registration is made.
    """
    ctx = runtime.context(student, as_of=as_of)
    node = ctx.nodes.get(group)
    if not isinstance(node, m.AllOf | m.AnyOf):
        raise InputError([InputProblem("policies", (), f"{group!r} is not a group of programs")])
    outlooks = []
    for child in node.children:
        if isinstance(child, m.Tiered):
            full_id = f"{group}.{child.id}"
            outlooks.append(_outlook(tiered.evaluate(ctx, child, full_id), child))
    return sorted(outlooks, key=lambda outlook: outlook.rank_key)


def _outlook(result: RequirementResult, node: m.Tiered) -> ProgramOutlook:
    children = [child for child in result.children if child.kind != "program-registration"]
    eligible = bool(result.details.get("eligible", True))
    exclusive = next((child for child in children if child.kind == "program-exclusive"), None)
    excluded_by = tuple(exclusive.details.get("blocking", ())) if exclusive is not None else ()
    status = combine([child.status for child in children])
    if not eligible or excluded_by:
        status = "not-met"
    credits_left = Decimal(0)
    courses_left = 0
    for child in children:
        if child.status == "met" or child.required is None or child.earned is None:
            continue
        short = max(child.required - child.earned, Decimal(0))
        if child.unit == "credits":
            credits_left = max(credits_left, short)
        elif child.unit == "courses":
            courses_left += int(short)
    return ProgramOutlook(
        requirement_id=result.id,
        program=node.program_code,
        title=result.title,
        status=status,
        eligible=eligible,
        excluded_by=excluded_by,
        registered=result.details.get("registered"),
        counts=result.details.get("counts_for_parent", True) is not False,
        credits_left=credits_left,
        courses_left=courses_left,
        open=tuple(child.id for child in children if child.status != "met"),
        result=result,
    )
