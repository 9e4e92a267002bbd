"""Academic terms in ROC years: `114-1`, `114-2`, summer `114-S`, totally ordered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TERM = re.compile(r"^(\d{2,3})-([12S])$")
_SEMESTER_ORDER = {"1": 1, "2": 2, "S": 3}
# Every term written in its canonical form ("112-1"), parsed once: a record names a handful of terms sixty times
# over, and parsing each (regex, dataclass init) was most of validating a record (issue #15). Terms are immutable,
# so sharing one instance is safe; only canonical texts are kept, which bounds the dict (3 semesters of at most
# 900 three-digit and 90 two-digit years), whatever texts the inputs bring.
_CANONICAL: dict[str, Term] = {}


@dataclass(frozen=True, slots=True, eq=False)
class Term:
    """One academic term: ROC year plus semester 1, 2 or S (summer, after semester 2)."""

    year: int
    semester: str
    # Terms are compared constantly during audits; one precomputed integer keeps that cheap.
    rank: int = field(init=False, repr=False)
    text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.semester not in _SEMESTER_ORDER:
            raise ValueError(f"not a semester: {self.semester!r} (expected 1, 2 or S)")
        object.__setattr__(self, "rank", self.year * 4 + _SEMESTER_ORDER[self.semester])
        object.__setattr__(self, "text", f"{self.year}-{self.semester}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Term) and self.rank == other.rank

    def __hash__(self) -> int:
        return self.rank

    @classmethod
    def parse(cls, text: object) -> Term:
        # `object`, not `str`: anything that is not a term string is a ValueError (compiled, a `str` parameter
        # would raise TypeError first), which the record and policy validators report as the field's problem.
        if type(text) is str and cls is Term:
            known = _CANONICAL.get(text)
            if known is not None:
                return known
        match = _TERM.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a term: {text!r} (expected ROC year and semester, e.g. 114-1, 114-2, 114-S)")
        term = cls(int(match.group(1)), match.group(2))
        if cls is Term and term.text == text:
            _CANONICAL[text] = term
        return term

    @property
    def key(self) -> tuple[int, int]:
        return (self.year, _SEMESTER_ORDER[self.semester])

    @property
    def is_summer(self) -> bool:
        return self.semester == "S"

    def __lt__(self, other: Term) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Term) -> bool:
        return self.rank <= other.rank

    def __gt__(self, other: Term) -> bool:
        return self.rank > other.rank

    def __ge__(self, other: Term) -> bool:
        return self.rank >= other.rank

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Term({str(self)!r})"

    def western(self) -> str:
        """The academic year in Western form: 114-1 is 2025 fall, 114-2 is 2026 spring."""
        start = self.year + 1911
        return {"1": f"{start} fall", "2": f"{start + 1} spring", "S": f"{start + 1} summer"}[self.semester]

    def next_regular(self) -> Term:
        """The next fall or spring semester (summer is skipped)."""
        if self.semester == "1":
            return Term(self.year, "2")
        return Term(self.year + 1, "1")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def validate(value: Any) -> Term:
            # The common case first: a term text already seen (a dict lookup instead of the checks below).
            if type(value) is str:
                known = _CANONICAL.get(value)
                if known is not None:
                    return known
            if isinstance(value, Term):
                return value
            if not isinstance(value, str):
                raise ValueError("must be a term string such as 114-1")
            return cls.parse(value)

        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(pattern=_TERM.pattern),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )
