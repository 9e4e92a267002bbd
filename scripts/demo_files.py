"""What every demo-data script shares: records as compact JSONL, and writing the files or checking them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """One compact JSON object per line, Chinese kept readable."""
    return "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n" for record in records)


def write_or_check(outputs: Mapping[Path, str], *, check: bool, script: str) -> int:
    """Write the files, or with `check` exit status 1 if any differs from what would be written."""
    if check:
        stale = [
            path for path, text in outputs.items() if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
            print(f"out of date: {names} (run python scripts/{script})")
            return 1
        return 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0
