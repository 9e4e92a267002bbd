"""The report of an import: what each row does, and every problem found (row, column, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file was refused. `row` is the row as the user sees it in the file (the header is row 1,
    the first data row 2); 0 means the file as a whole. `column` is the header as written in the file."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "applied": self.applied,
            "ok": self.ok,
            "problems": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems],
        }
