"""The micro-program catalogue: host unit, contact and rules of each program, extracted once from the published
program plans (the policy carries the tiers and conditions; this file carries what a student reads besides).

Each institution's catalogue is `data/<institution>-mprograms-<term>.json` (the latest term's file is read).
Regenerate one with `python -m menkan.web.programs.catalogue PLANS.json OUTPUT.json`.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def _catalogues() -> dict[str, Path]:
    """Institution code -> its catalogue file (the latest term's when there are several)."""
    found: dict[str, Path] = {}
    for path in sorted(DATA_DIR.glob("*-mprograms-*.json")):
        found[path.name.split("-mprograms-", 1)[0]] = path
    return found


CATALOGUES = _catalogues()


def _after_colon(lines: list[str], index: int) -> str:
    """The text after the line's colon, or the next non-empty line when the colon ends the line."""
    text = re.split(r"[：:]", lines[index], maxsplit=1)[-1].strip(" ：:\t。")
    if text:
        return text
    for following in lines[index + 1 : index + 3]:
        if following.strip():
            return following.strip(" \t。")
    return ""


def _field(lines: list[str], label: str) -> str:
    """The value of the plan's line "label：value" (the label right before the colon, as the plans write it)."""
    pattern = re.compile(label + r"\s*[：:]")
    for index, line in enumerate(lines):
        if pattern.search(line):
            return _after_colon(lines, index)
    return ""


def program_entry(program: dict[str, Any]) -> dict[str, Any]:
    """One program of the data file as a catalogue entry (host, contact, rules, courses by tier)."""
    lines = program["rules_text"].splitlines()
    host = _field(lines, "主責單位")
    contact = _field(lines, "聯絡教師") or _field(lines, "聯絡人") or _field(lines, "聯絡方式")
    if not host and "-" in contact:  # plans that only name the contact's department
        host = contact.split("-", 1)[0]
    courses: dict[tuple[str, str], dict[str, Any]] = {}
    for course in program["courses"]:
        key = (course["course_code"], course["category"])
        courses.setdefault(
            key,
            {
                "code": course["course_code"],
                "title": course["name_zh"],
                "credits": course["credits"],
                "tier": course["category"] or "",
                "remote": bool(course.get("online")),
            },
        )
    return {
        "code": program["code"],
        "name": program["name"],
        "host": host,
        "contact": contact,
        "own_department_only": "*" in program["name"],
        "rules_text": program["rules_text"],
        "courses": sorted(courses.values(), key=lambda c: (c["tier"], c["code"])),
    }


def catalogue_build(source: Path) -> dict[str, Any]:
    data = json.loads(source.read_text(encoding="utf-8"))
    return {
        "source": source.name,
        "term": data.get("term_key", ""),
        "programs": [program_entry(p) for p in data["programs"]],
    }


@cache
def catalogue_of(institution: str) -> dict[str, dict[str, Any]]:
    """Program code -> catalogue entry for an institution (empty when it has no catalogue)."""
    path = CATALOGUES.get(institution)
    if path is None or not path.exists():
        return {}
    return {entry["code"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["programs"]}


if __name__ == "__main__":  # pragma: no cover - regeneration by hand
    built = catalogue_build(Path(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(built, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(built['programs'])} programs written to {sys.argv[2]}")
