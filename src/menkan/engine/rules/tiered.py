"""Tiered programs (micro-programs): per-tier minimum courses, a credit minimum, rules on what the courses are
(credits or courses from outside the own department, from some tiers), eligibility, registration and exclusion."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from menkan.engine.allocation import Aggregate, Bucket, Item, allocate
from menkan.engine.context import Context
from menkan.engine.ledger import Entry, normalize_title
from menkan.engine.messages import short, text
from menkan.engine.policy.models import CourseRef, OutsideRule, Tiered
from menkan.engine.records import ProgramRegistration
from menkan.engine.result import Applied, NotApplied, RequirementResult, Status, combine, fmt
from menkan.engine.rules.courses import slot_candidates, slots_of
from menkan.engine.rules.credits import to_decimal
from menkan.engine.study import latest_study_term

_NO_MESSAGE = text("", "")


def _own_list(ctx: Context) -> tuple[frozenset[str], frozenset[str]]:
    """The codes and (normalized) titles of the professional courses of the student's department."""

    def build() -> tuple[frozenset[str], frozenset[str]]:
        listed = ctx.institution.professional_courses.get(ctx.student.department, [])
        codes = {ref.code for ref in listed if ref.code is not None}
        equivalents = ctx.institution.identity.equivalents
        for group in equivalents:
            if codes.intersection(group):
                codes.update(group)
        titles = set()
        if ctx.identity.same_title:
            titles = {normalize_title(ref.title) for ref in listed if ref.title is not None}
        return frozenset(codes), frozenset(titles)

    return ctx.shared.memo(ctx.institution, "own-list", build, ctx.student.department)


def is_outside(ctx: Context, rule: OutsideRule, entry: Entry) -> bool:
    """Does the course pass the rule's test (for the outside tests: is it from outside the own department)?"""
    course = entry.course
    if rule.test == "any":
        return True
    if rule.test == "offered-by":
        return course.offered_by is not None and course.offered_by != ctx.student.department
    if rule.test == "listed":
        return normalize_title(course.title) in {normalize_title(title) for title in rule.titles or ()}
    if rule.test == "own-list":
        codes, titles = _own_list(ctx)
        return course.code not in codes and normalize_title(course.title) not in titles
    return course.category not in rule.own_categories


def _active_registrations(ctx: Context) -> list[ProgramRegistration]:
    """The student's registrations in force as of the audit term (made by then, not withdrawn by then)."""
    return [
        r
        for r in ctx.student.programs
        if r.registered_term <= ctx.as_of and (r.withdrawn_term is None or ctx.as_of < r.withdrawn_term)
    ]


def _exclusion(ctx: Context, node: Tiered) -> tuple[Status, list[str]]:
    """Met unless the student holds a registration in a program this one excludes, made no later than its own."""
    if not node.exclusive_with:
        return "met", []
    active = _active_registrations(ctx)
    own = [r.registered_term for r in active if r.program == node.program_code]
    own_term = min(own) if own else None
    blocking = sorted(
        r.program
        for r in active
        if r.program in node.exclusive_with and (own_term is None or r.registered_term <= own_term)
    )
    return ("not-met" if blocking else "met"), blocking


def _listing_tier(slots: list[tuple[int, CourseRef]], named: str | None) -> int | None:
    """The first tier that lists the course `named` (a code or title, or one of its alternatives)."""
    found = slots_of([ref for _, ref in slots], named)
    return slots[found[0]][0] if found else None


def _waive_parts(
    ctx: Context, node: Tiered, full_id: str, rules: list[OutsideRule], tier_min: list[int]
) -> tuple[Decimal, set[int]]:
    """The `waive` exceptions that name a part of the program (a tier, `credits`, a rule): with an amount they
    lower its minimum (in `tier_min`, `rules`, and the credit minimum returned); without one it counts as met
    (its flag index in the set returned)."""
    assert ctx.exceptions is not None
    min_credits = node.min_credits
    waived: set[int] = set()
    tier_count = len(node.tiers)
    parts = [
        *((tier.id, t) for t, tier in enumerate(node.tiers)),
        ("credits", tier_count),
        *((rule.id, tier_count + 1 + r) for r, rule in enumerate(rules)),
    ]
    for part, index in parts:
        for exception in ctx.exceptions.on(f"{full_id}.{part}", "waive"):
            ctx.exceptions.use(exception)
            amount = exception.amount
            if amount is None:
                waived.add(index)
            elif index < tier_count:
                tier_min[index] = max(0, tier_min[index] - int(amount))
            elif index == tier_count:
                min_credits = max(Decimal(0), min_credits - amount)
            else:
                r = index - tier_count - 1
                rules[r] = rules[r].model_copy(update={"min": max(Decimal(0), rules[r].min - amount)})
    return min_credits, waived


def _apply_exceptions(
    ctx: Context, node: Tiered, full_id: str, rules: list[OutsideRule], entries: list[Entry], options: list[set[int]]
) -> dict[tuple[int, int], bool]:
    """The exceptions that name the program or one of its parts, applied to the courses' tier options (`assign`
    pins a course to a tier, `exclude` takes it out of the program or a tier, `substitute` and `recognise` as a
    tier make it count there) and to the rules (`recognise` as a rule: it passes; `exclude` from a rule: it does
    not). Returns the rule tests decided by exceptions."""
    assert ctx.exceptions is not None
    tier_index = {tier.id: t for t, tier in enumerate(node.tiers)}
    rule_index = {rule.id: r for r, rule in enumerate(rules)}
    slots = [(t, ref) for t, tier in enumerate(node.tiers) for ref in tier.courses]
    decided: dict[tuple[int, int], bool] = {}
    parts = [(full_id, None), *((f"{full_id}.{part}", part) for part in (*tier_index, *rule_index))]
    for requirement, part in parts:
        for exception in ctx.exceptions.on(requirement, "assign", "exclude", "substitute", "recognise"):
            positions = ctx.exceptions.positions(exception, entries)
            if not positions:
                continue
            tier = tier_index.get(part) if part is not None else None
            rule = rule_index.get(part) if part is not None else None
            if exception.kind == "recognise" and rule is None and tier is None:
                rule, tier = rule_index.get(exception.as_ or ""), tier_index.get(exception.as_ or "")
                if rule is None and tier is None:  # `as` a listed course: same-title identity for one student
                    tier = _listing_tier(slots, exception.as_)
            if exception.kind == "substitute":
                tier = _listing_tier(slots, exception.replaces)
            if rule is not None and exception.kind in ("recognise", "exclude"):
                decided.update({(rule, i): exception.kind == "recognise" for i in positions})
            elif tier is not None and exception.kind == "assign":
                for i in positions:
                    options[i] = {tier}
            elif tier is not None and exception.kind in ("recognise", "substitute"):
                for i in positions:
                    options[i].add(tier)
            elif exception.kind == "exclude":
                for i in positions:
                    options[i] = options[i] - {tier} if tier is not None else set()
            else:
                continue
            ctx.exceptions.use(exception)
    return decided


def evaluate(ctx: Context, node: Tiered, full_id: str) -> RequirementResult:
    node = ctx.resolve(node)
    tiers = node.tiers
    rules = [rule for rule in node.outside_rules if rule.when is None or ctx.applicable_to(rule.when)]
    tier_min = [tier.min_courses for tier in tiers]
    min_credits = node.min_credits
    waived: set[int] = set()  # flags (tiers, then the credits, then the rules) a `waive` sets
    if ctx.exceptions is not None:
        min_credits, waived = _waive_parts(ctx, node, full_id, rules, tier_min)
    # Titles a tier does not take from this student (e.g. a department's own courses of that tier).
    excluded = [
        {
            normalize_title(title)
            for exclusion in tier.exclude
            if ctx.applicable_to(exclusion.when)
            for title in exclusion.titles
        }
        for tier in tiers
    ]
    entries = [entry for entry in ctx.ledger.entries if entry.countable or entry.pending]
    tier_of_slot = [t for t, tier in enumerate(tiers) for _ in tier.courses]
    slots = [ref for tier in tiers for ref in tier.courses]
    per_slot = slot_candidates(ctx, node.tiers, slots, entries)
    options: list[set[int]] = [set() for _ in entries]
    # A course is remote in a tier when its record says so or when the plan lists it there as a remote (◎) course.
    remote: set[tuple[int, int]] = set()
    for slot, positions in enumerate(per_slot):
        t = tier_of_slot[slot]
        for position in positions:
            if excluded[t] and normalize_title(entries[position].course.title) in excluded[t]:
                continue
            options[position].add(t)
            if slots[slot].online or entries[position].course.delivery == "remote":
                remote.add((position, t))
    recognised: dict[tuple[int, int], bool] = {}  # (rule, entry) -> whether it passes, by an exception
    if ctx.exceptions is not None:
        recognised = _apply_exceptions(ctx, node, full_id, rules, entries, options)
    candidates = [tuple(sorted(found)) for found in options]
    listed = [i for i, found in enumerate(candidates) if found]
    eligible = ctx.applicable_to(node.eligibility)
    tier_index = {tier.id: t for t, tier in enumerate(tiers)}
    rule_tiers = [
        {tier_index[tier_id] for tier_id in rule.tiers} if rule.tiers is not None else set(range(len(tiers)))
        for rule in rules
    ]
    in_person = [t for t, tier in enumerate(tiers) if tier.in_person]
    tested: dict[tuple[int, int], bool] = {}

    def passes(r: int, i: int) -> bool:
        key = (r, i)
        if key not in tested:
            tested[key] = recognised[key] if key in recognised else is_outside(ctx, rules[r], entries[i])
        return tested[key]

    # `passes` is handed to `solve`, not called from its closure: compiled with mypyc, a nested function that calls
    # another makes a reference cycle (their shared environment holds both), and an audit is to leave none.
    def solve(
        include_pending: bool, passes: Callable[[int, int], bool]
    ) -> tuple[list[int], list[int | None], list[float], list[bool]]:
        chosen = [i for i in listed if entries[i].countable or include_pending]
        items = [Item(1.0, candidates[i]) for i in chosen]
        buckets = [Bucket(required=0.0 if tier.in_person else float(tier_min[t])) for t, tier in enumerate(tiers)]
        credit_weights = {(k, t): float(entries[i].course.credits) for k, i in enumerate(chosen) for t in candidates[i]}
        aggregates = [Aggregate(float(min_credits), credit_weights)]
        for r, rule in enumerate(rules):
            weights = {
                (k, t): (credit if rule.unit == "credits" else 1.0)
                for (k, t), credit in credit_weights.items()
                if t in rule_tiers[r] and passes(r, chosen[k])
            }
            aggregates.append(Aggregate(float(rule.min), weights))
        for t in in_person:
            weights = {(k, t): 1.0 for k, i in enumerate(chosen) if t in candidates[i] and (i, t) not in remote}
            aggregates.append(Aggregate(float(tier_min[t]), weights))
        settlement = allocate(items, buckets, aggregates)
        flags = list(settlement.met) + list(settlement.aggregate_met)
        # An in-person tier is met by its aggregate (its bucket asks for nothing).
        for n, t in enumerate(in_person):
            flags[t] = flags[len(tiers) + 1 + len(rules) + n]
        return chosen, settlement.assignment, settlement.aggregate_totals, flags

    chosen, assignment, totals, met_flags = solve(False, passes)
    has_pending = any(entries[i].pending for i in listed)
    potential_flags = solve(True, passes)[3] if has_pending and not all(met_flags) else met_flags
    for index in waived:
        met_flags[index] = potential_flags[index] = True

    def status_of(index: int) -> Status:
        if met_flags[index]:
            return "met"
        return "in-progress" if potential_flags[index] else "not-met"

    def applied_of(k: int, i: int) -> Applied:
        course = entries[i].course
        return Applied("course", course.ref, course.credits, course.title, course.term)

    children: list[RequirementResult] = []
    for t, tier in enumerate(tiers):
        applied = [applied_of(k, i) for k, i in enumerate(chosen) if assignment[k] == t]
        for i in listed:
            # a course in progress is shown once, under the first tier it could fill
            if entries[i].pending and candidates[i][0] == t:
                course = entries[i].course
                applied.append(Applied("course", course.ref, course.credits, course.title, course.term, True))
        placed = [i for k, i in enumerate(chosen) if assignment[k] == t]
        earned = Decimal(sum(1 for i in placed if not tier.in_person or (i, t) not in remote))
        not_applied = [
            NotApplied(entries[i].course.ref, "remote", entries[i].course.title, entries[i].course.credits)
            for i in placed
            if tier.in_person and (i, t) in remote
        ]
        status = status_of(t)
        children.append(
            RequirementResult(
                id=f"{full_id}.{tier.id}",
                title=tier.title.as_dict(),
                kind="tier",
                status=status,
                unit="courses",
                required=Decimal(tier_min[t]),
                earned=earned,
                cites=node.cites,
                applied=applied,
                not_applied=not_applied,
                missing=short(Decimal(tier_min[t]) - earned, "courses") if status != "met" else _NO_MESSAGE,
                details={"in_person": True} if tier.in_person else {},
            )
        )
    credit_total = to_decimal(totals[0])
    status = status_of(len(tiers))
    children.append(
        RequirementResult(
            id=f"{full_id}.credits",
            title={"zh-TW": "學程學分", "en": "Program credits"},
            kind="program-credits",
            status=status,
            unit="credits",
            required=min_credits,
            earned=credit_total,
            cites=node.cites,
            missing=short(min_credits - credit_total, "credits") if status != "met" else _NO_MESSAGE,
        )
    )
    for r, rule in enumerate(rules):
        children.append(_rule_result(ctx, node, full_id, r, rule, rule_tiers[r], chosen, assignment, entries, passes))
        children[-1].earned = to_decimal(totals[1 + r])
        children[-1].display = f"{fmt(children[-1].earned)} / {fmt(rule.min)}"
        rule_status = status_of(len(tiers) + 1 + r)
        children[-1].status = rule_status
        if rule_status != "met":
            children[-1].missing = short(rule.min - children[-1].earned, rule.unit)
    details: dict[str, object] = {"eligible": eligible}
    registrations = sorted(
        (r for r in _active_registrations(ctx) if r.program == node.program_code), key=lambda r: r.registered_term
    )
    details["registered"] = str(registrations[0].registered_term) if registrations else None
    if node.exclusive_with:
        exclusive_status, blocking = _exclusion(ctx, node)
        others = "、".join(node.exclusive_with)
        children.append(
            RequirementResult(
                id=f"{full_id}.exclusive",
                title={"zh-TW": f"與 {others} 僅得擇一修習", "en": f"Only one of this program and {others}"},
                kind="program-exclusive",
                status=exclusive_status,
                unit="requirements",
                required=Decimal(1),
                earned=Decimal(1 if exclusive_status == "met" else 0),
                cites=node.cites,
                missing=text(f"已登記修讀 {'、'.join(blocking)}", f"Already registered in {', '.join(blocking)}")
                if blocking
                else _NO_MESSAGE,
                details={"blocking": blocking},
            )
        )
    if node.registration == "required":
        children.append(_registration_result(ctx, node, full_id, registrations[0] if registrations else None))
        if children[-1].details.get("late"):
            details["late_registration"] = True
    overall = combine([child.status for child in children])
    missing = _NO_MESSAGE
    if not eligible:
        overall = "not-met"
        missing = text("不符合本學程修讀資格", "Not eligible for this program")
    elif overall != "met":
        open_children = [c for c in children if c.status != "met"]
        missing = {
            "zh-TW": "；".join(f"{c.title['zh-TW']}{c.missing['zh-TW']}" for c in open_children),
            "en": "; ".join(f"{c.title['en']}: {c.missing['en']}" for c in open_children),
        }
    advisory = node.advisory
    if node.advisory_for is not None and ctx.applicable_to(node.advisory_for):
        advisory = True
        details["counts_for_parent"] = False
    if node.review_steps:
        details["review_steps"] = [{"id": step.id, **step.text.as_dict()} for step in node.review_steps]
    return RequirementResult(
        id=full_id,
        title=node.title.as_dict(),
        kind=node.kind,
        status=overall,
        unit="credits",
        required=min_credits,
        earned=credit_total,
        cites=node.cites,
        display=f"{fmt(credit_total)} / {fmt(min_credits)}",
        missing=missing,
        children=children,
        advisory=advisory,
        details=details,
    )


def _registration_result(
    ctx: Context, node: Tiered, full_id: str, registration: ProgramRegistration | None
) -> RequirementResult:
    """The registration in force, and whether it was made after the policy's deadline: late is flagged with the
    rule's own words (or not met, as the policy says), unless the record shows it allowed by exception."""
    deadline = node.registration_deadline
    details: dict[str, object] = {}
    notes: list[dict[str, str]] = []
    status: Status = "met" if registration is not None else "not-met"
    missing = _NO_MESSAGE if registration is not None else text("尚未登記修讀", "Not registered")
    cites = node.cites
    if deadline is not None:
        latest = latest_study_term(ctx.student, deadline.study_year, deadline.semester)
        details["deadline"] = str(latest)
        cites = f"{node.cites}；{deadline.cites}"
        allowed = registration.exception if registration is not None else None
        # the record's terms decide; a registration in the deadline term after its add/drop week is refused by the
        # portal (which knows the days) unless staff allow it, and then the record carries the exception
        if registration is not None and (registration.registered_term > latest or allowed is not None):
            details["late"] = True
            rule = f"「{deadline.text.zh_tw}」（{deadline.cites}）"
            rule_en = f'"{deadline.text.en}" ({deadline.cites})'
            when = f"{registration.registered_term}"
            if allowed is not None:
                details["exception"] = {
                    "reason": allowed.reason,
                    "approved_by": allowed.approved_by,
                    "approved_on": allowed.approved_on.isoformat(),
                    **({"id": allowed.id} if allowed.id else {}),
                }
                notes.append(
                    text(
                        f"逾期登記（{when}，期限 {latest}），經 {allowed.approved_by} 於 "
                        f"{allowed.approved_on.isoformat()} 核准例外：{allowed.reason}。{rule}",
                        f"Late registration ({when}, deadline {latest}), allowed by exception by "
                        f"{allowed.approved_by} on {allowed.approved_on.isoformat()}: {allowed.reason}. {rule_en}",
                    )
                )
            else:
                late = text(
                    f"逾期登記：{when} 晚於期限 {latest}。{rule}",
                    f"Late registration: {when} is after the deadline {latest}. {rule_en}",
                )
                notes.append(late)
                if deadline.late == "not-met":
                    status, missing = "not-met", late
    return RequirementResult(
        id=f"{full_id}.registration",
        title={"zh-TW": "登記修讀", "en": "Registration"},
        kind="program-registration",
        status=status,
        unit="requirements",
        required=Decimal(1),
        earned=Decimal(1 if registration is not None else 0),
        cites=cites,
        display=str(registration.registered_term) if registration is not None else "-",
        missing=missing,
        details=details,
        notes=notes,
    )


_RULE_TITLES = {
    "any": ("學程課程", "Program courses"),
    "own-list": ("跨領域專業課程", "Cross-domain professional courses"),
    "category": ("跨領域專業課程學分", "Credits from outside the own department"),
    "offered-by": ("非原系開設課程", "Courses offered outside the own department"),
    "listed": ("指定課程", "Designated courses"),
}


def _rule_result(
    ctx: Context,
    node: Tiered,
    full_id: str,
    r: int,
    rule: OutsideRule,
    tiers: set[int],
    chosen: list[int],
    assignment: list[int | None],
    entries: list[Entry],
    passes: Callable[[int, int], bool],
) -> RequirementResult:
    applied = []
    not_applied = []
    for k, i in enumerate(chosen):
        placed = assignment[k]
        if placed is None or placed not in tiers:
            continue
        course = entries[i].course
        amount = course.credits if rule.unit == "credits" else Decimal(1)
        if passes(r, i):
            applied.append(Applied("course", course.ref, amount, course.title, course.term))
        else:
            not_applied.append(NotApplied(course.ref, "own-department", course.title, course.credits))
    zh, en = _RULE_TITLES[rule.test]
    title = rule.title.as_dict() if rule.title is not None else {"zh-TW": zh, "en": en}
    return RequirementResult(
        id=f"{full_id}.{rule.id}",
        title=title,
        kind="program-outside",
        status="met",
        unit=rule.unit,
        required=rule.min,
        earned=Decimal(0),
        cites=node.cites,
        applied=applied,
        not_applied=not_applied,
        details={"test": rule.test, "tiers": [node.tiers[t].id for t in sorted(tiers)]},
    )
