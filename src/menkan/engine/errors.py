"""Input errors that name where (file, line, JSON path) and why, and their rendering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def json_path(location: Iterable[Any]) -> str:
    """Render a location tuple as a JSON path: ('courses', 3, 'credits') -> $.courses[3].credits."""
    parts = ["$"]
    for step in location:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step}")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One problem in one input: where it is and what is wrong."""

    source: str
    path: str
    reason: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where} {self.path}: {self.reason}"


@dataclass(slots=True)
class InputError(Exception):
    """Bad input (student record, policy file, import row): one or more located problems."""

    problems: Sequence[InputProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(problem.render() for problem in self.problems)

    @property
    def first_line(self) -> str:
        """One line for the CLI: the first problem, and how many more there are."""
        first = self.problems[0].render()
        extra = len(self.problems) - 1
        return first if extra == 0 else f"{first} (and {extra} more)"


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "unexpected_keyword_argument": "unknown field",
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be ≤ {le}",
    "less_than": "must be < {lt}",
    "literal_error": "must be one of {expected}",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "dataclass_type": "must be an object",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "union_tag_invalid": "unknown kind {tag}; expected one of {expected_tags}",
    "union_tag_not_found": "needs a `{discriminator}` field",
}


def pydantic_reason(error: Mapping[str, Any]) -> str:
    """A short human reason for one pydantic error (ValidationError.errors() item)."""
    template = _MESSAGES.get(error["type"])
    context = error.get("ctx") or {}
    if template is not None:
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message[:1].lower() + message[1:]


def clean_location(location: Sequence[Any]) -> tuple[Any, ...]:
    """Drop pydantic's internal steps (union member and validator names) from a location."""
    kept: list[Any] = []
    for step in location:
        if isinstance(step, str) and (step.startswith("function-") or "[" in step):
            continue
        kept.append(step)
    return tuple(kept)
