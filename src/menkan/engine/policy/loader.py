"""Loading policy folders (institution.yaml + policy files) into validated models, with every error located."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from menkan.engine.errors import InputError, InputProblem, data_location, problem, pydantic_reason
from menkan.engine.policy.models import (
    AllOf,
    AnyOf,
    Credits,
    Institution,
    PassedByStudyEnd,
    Policy,
    Reference,
    Requirement,
    SemestersLeft,
    StudyPeriod,
)
from menkan.engine.policy.yamlsource import LineMap, line_of, load_yaml_with_lines

SHIPPED_POLICIES = Path(__file__).resolve().parent.parent.parent / "policies"
INSTITUTION_FILE = "institution.yaml"


@dataclass(frozen=True, slots=True)
class PolicySet:
    """One institution's settings and all of its policies, checked together."""

    institution: Institution
    policies: tuple[Policy, ...]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.institution.id


def _problems_from_validation(exc: ValidationError, data: Any, lines: LineMap, source: str) -> list[InputProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        location: tuple[Any, ...] = data_location(err["loc"], data)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            location = (*location, "kind")
        problems.append(InputProblem(source, tuple(location), pydantic_reason(err), line_of(lines, location)))
    return problems


def _read_yaml(path: Path, source: str) -> tuple[Any, LineMap]:
    try:
        return load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError([InputProblem(source, (), f"not valid YAML: {exc.problem}", line)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([InputProblem(source, (), f"cannot read: {exc}")]) from None


def walk(requirements: Sequence[Requirement], prefix: str = "") -> Iterator[tuple[str, Requirement]]:
    """Every requirement with its full dotted id, parents before children."""
    for requirement in requirements:
        full_id = f"{prefix}.{requirement.id}" if prefix else requirement.id
        yield full_id, requirement
        if isinstance(requirement, AllOf | AnyOf):
            yield from walk(requirement.children, full_id)


def _cross_check(policy_set: PolicySet, lines_by_policy: dict[str, tuple[LineMap, str]]) -> list[InputProblem]:
    """Checks that span requirements: unique ids, overflow and reference targets, no overflow cycles."""
    problems: list[InputProblem] = []
    seen: dict[str, str] = {}
    all_ids: dict[str, Requirement] = {}
    for policy in policy_set.policies:
        lines, source = lines_by_policy[policy.id]
        for index, requirement in enumerate(policy.requirements):
            for full_id, found in walk([requirement]):
                if full_id in seen:
                    problems.append(
                        InputProblem(
                            source,
                            ("requirements", index),
                            f"requirement id {full_id!r} is already used in {seen[full_id]}",
                            line_of(lines, ("requirements", index)),
                        )
                    )
                seen[full_id] = source
                all_ids[full_id] = found
    for policy in policy_set.policies:
        lines, source = lines_by_policy[policy.id]
        for index, requirement in enumerate(policy.requirements):
            problems.extend(_check_tree(requirement, requirement.id, ("requirements", index), all_ids, lines, source))
    return problems


def _check_workflows(policy_set: PolicySet, lines: LineMap, source: str) -> list[InputProblem]:
    """The workflow settings name requirements of the policies: each must exist (and a fee threshold must be a
    `credits` requirement in credits), so that a workflow never meets a setting it cannot follow."""
    requirements = {full_id: node for policy in policy_set.policies for full_id, node in walk(policy.requirements)}
    workflows = policy_set.institution.workflows
    named: list[tuple[tuple[Any, ...], str]] = []
    if workflows.self_learning is not None:
        named.append((("self_learning", "requirement"), workflows.self_learning.requirement))
        named.extend(
            (("self_learning", "owners", index, "requirement"), owner.requirement)
            for index, owner in enumerate(workflows.self_learning.owners)
        )
    if workflows.micro_credits is not None:
        named.append((("micro_credits", "requirement"), workflows.micro_credits.requirement))
        imported = workflows.micro_credits.certification.requirement
        if imported is not None:
            named.append((("micro_credits", "certification", "requirement"), imported))
    if workflows.pass_rates is not None:
        named.extend((("pass_rates", "items", i, "id"), item.id) for i, item in enumerate(workflows.pass_rates.items))
    problems = [
        InputProblem(
            source, ("workflows", *path), f"no requirement has id {wanted!r}", line_of(lines, ("workflows", *path))
        )
        for path, wanted in named
        if wanted not in requirements
    ]
    for index, schedule in enumerate(workflows.fees.schedules if workflows.fees is not None else ()):
        wanted = getattr(getattr(schedule, "threshold", None), "requirement", None)
        if wanted is None:
            continue
        node = requirements.get(wanted)
        if not isinstance(node, Credits) or node.unit != "credits":
            what = "no requirement has that id" if node is None else "it is not a `credits` requirement in credits"
            path = ("workflows", "fees", "schedules", index, "threshold", "requirement")
            problems.append(InputProblem(source, path, f"{wanted!r}: {what}", line_of(lines, path)))
    return problems


def _check_tree(
    node: Requirement,
    full_id: str,
    path: tuple[Any, ...],
    all_ids: dict[str, Requirement],
    lines: LineMap,
    source: str,
) -> list[InputProblem]:
    problems: list[InputProblem] = []
    if isinstance(node, Reference) and node.ref not in all_ids:
        problems.append(
            InputProblem(source, (*path, "ref"), f"no requirement has id {node.ref!r}", line_of(lines, path))
        )
    if isinstance(node, SemestersLeft | PassedByStudyEnd) and not isinstance(
        all_ids.get(node.study_period), StudyPeriod
    ):
        problems.append(
            InputProblem(
                source,
                (*path, "study_period"),
                f"no study-period requirement has id {node.study_period!r}",
                line_of(lines, path),
            )
        )
    if isinstance(node, AllOf) and node.total is not None and not node.exclusive:
        where = (*path, "total")
        problems.append(
            InputProblem(
                source,
                where,
                "a group total needs `exclusive: true` (otherwise one course could count twice in it)",
                line_of(lines, where),
            )
        )
    if isinstance(node, AllOf | AnyOf):
        if isinstance(node, AllOf) and node.exclusive:
            problems.extend(_check_overflows(node, full_id, path, lines, source))
            units = {leaf.unit for _, leaf, _ in exclusive_leaves(node, full_id)}
            if len(units) > 1:
                problems.append(
                    InputProblem(
                        source,
                        path,
                        f"the credit requirements of exclusive group {full_id!r} mix units "
                        f"({', '.join(sorted(units))}); use one unit per group",
                        line_of(lines, path),
                    )
                )
        for index, child in enumerate(node.children):
            problems.extend(
                _check_tree(child, f"{full_id}.{child.id}", (*path, "children", index), all_ids, lines, source)
            )
    elif isinstance(node, Credits) and node.overflow is not None:
        # An overflow outside an exclusive group is checked by the group; alone it has nowhere to go.
        pass
    return problems


def exclusive_leaves(
    group: AllOf, group_id: str, keep: Callable[[Requirement], bool] | None = None
) -> list[tuple[str, Credits, tuple[Any, ...]]]:
    """The credit requirements that share the group's courses exclusively (through nested plain groups).

    `keep` prunes: a node it rejects (e.g. one that does not apply to the student) takes no courses, and
    neither does anything below it.
    """
    leaves: list[tuple[str, Credits, tuple[Any, ...]]] = []

    def visit(node: Requirement, full_id: str, rel: tuple[Any, ...]) -> None:
        if keep is not None and not keep(node):
            return
        if isinstance(node, Credits):
            leaves.append((full_id, node, rel))
        elif isinstance(node, AllOf | AnyOf) and not (isinstance(node, AllOf) and node.exclusive and rel):
            for index, child in enumerate(node.children):
                visit(child, f"{full_id}.{child.id}", (*rel, "children", index))

    for index, child in enumerate(group.children):
        visit(child, f"{group_id}.{child.id}", ("children", index))
    return leaves


def _check_overflows(
    group: AllOf, group_id: str, path: tuple[Any, ...], lines: LineMap, source: str
) -> list[InputProblem]:
    problems: list[InputProblem] = []
    leaves = exclusive_leaves(group, group_id)
    by_local: dict[str, list[str]] = {}
    for full, leaf, _ in leaves:
        by_local.setdefault(leaf.id, []).append(full)
    full_ids = {full for full, _, _ in leaves}
    edges: dict[str, str] = {}
    for full, leaf, rel in leaves:
        if leaf.overflow is None:
            continue
        target = leaf.overflow.into
        where = (*path, *rel, "overflow", "into")
        same_local = by_local.get(target, [])
        if target not in full_ids and len(same_local) > 1:
            problems.append(
                InputProblem(
                    source,
                    where,
                    f"overflow target {target!r} is ambiguous in exclusive group {group_id!r} "
                    f"({', '.join(same_local)}): give the full id",
                    line_of(lines, where),
                )
            )
            continue
        resolved = target if target in full_ids else (same_local[0] if same_local else None)
        if resolved is None or resolved == full:
            problems.append(
                InputProblem(
                    source,
                    where,
                    f"overflow target {target!r} is not another credit requirement of exclusive group {group_id!r}",
                    line_of(lines, where),
                )
            )
        else:
            edges[full] = resolved
    for start in edges:
        node, steps = start, 0
        while node in edges and steps <= len(edges):
            node, steps = edges[node], steps + 1
        if steps > len(edges):
            problems.append(InputProblem(source, path, f"overflows of {start!r} form a cycle", line_of(lines, path)))
            break
    return problems


def load_policy_dir(folder: Path | str) -> PolicySet:
    """Load and check one institution folder; raise InputError listing every problem found."""
    root = Path(folder)
    problems: list[InputProblem] = []
    institution_path = root / INSTITUTION_FILE
    institution: Institution | None = None
    institution_lines = LineMap(None)
    if not institution_path.exists():
        problems.append(InputProblem(str(institution_path), (), "missing: every policy folder needs institution.yaml"))
    else:
        source = str(institution_path)
        try:
            data, lines = _read_yaml(institution_path, source)
            institution_lines = lines
            institution = Institution.model_validate(data)
        except InputError as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, data, lines, source))
    policies: list[Policy] = []
    lines_by_policy: dict[str, tuple[LineMap, str]] = {}
    sources: dict[str, str] = {}
    for path in sorted(root.rglob("*.yaml")):
        if path == institution_path:
            continue
        source = str(path)
        try:
            data, lines = _read_yaml(path, source)
            policy = Policy.model_validate(data)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        except ValidationError as exc:
            problems.extend(_problems_from_validation(exc, data, lines, source))
            continue
        if policy.id in lines_by_policy:
            problems.append(
                InputProblem(source, ("id",), f"policy id {policy.id!r} is used twice", line_of(lines, ("id",)))
            )
            continue
        if institution is not None and policy.institution != institution.id:
            problems.append(
                InputProblem(
                    source,
                    ("institution",),
                    f"is {policy.institution!r} but this folder is institution {institution.id!r}",
                    line_of(lines, ("institution",)),
                )
            )
        policies.append(policy)
        lines_by_policy[policy.id] = (lines, source)
        sources[policy.id] = source
    if institution is not None:
        policy_set = PolicySet(institution, tuple(policies), sources)
        problems.extend(_cross_check(policy_set, lines_by_policy))
        problems.extend(_check_workflows(policy_set, institution_lines, str(institution_path)))
        if not problems:
            return policy_set
    raise InputError(problems)


def shipped_institutions() -> list[str]:
    return sorted(p.name for p in SHIPPED_POLICIES.iterdir() if (p / INSTITUTION_FILE).exists())


_CACHE: dict[str, PolicySet] = {}


def load_shipped(institution: str) -> PolicySet:
    """The policies shipped with menkan for one institution (loaded once per process)."""
    if institution not in _CACHE:
        folder = SHIPPED_POLICIES / institution
        if not (folder / INSTITUTION_FILE).exists():
            known = ", ".join(shipped_institutions()) or "none"
            raise InputError([problem((), "no-policies", source="policies", institution=institution, known=known)])
        _CACHE[institution] = load_policy_dir(folder)
    return _CACHE[institution]
