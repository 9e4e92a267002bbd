"""No institution is written into the engine or the portal: its ids and unit names live in its policy data."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

SRC = Path(__file__).resolve().parent.parent / "src" / "menkan"
POLICIES = SRC / "policies"
SEARCHED = (SRC / "engine", SRC / "web")
# Where institutions are named on purpose: their data (policies, demo records and accounts, catalogues), the
# migrations (history, as written then) and the translation catalogues.
EXEMPT_PARTS = {"policies", "demo", "migrations", "locale", "data"}
EXEMPT_NAMES = {"demo.py"}
SUFFIXES = {".py", ".html", ".txt", ".js", ".css"}


def _units() -> set[str]:
    """Every unit the shipped policies' workflow settings name (owner offices, contacts' units, owner units)."""
    found: set[str] = set()

    def visit(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, str(k))
        elif isinstance(node, list):
            for v in node:
                visit(v, key)
        elif isinstance(node, str) and key in {"office", "unit", "submit_to"}:
            found.add(node)

    for path in POLICIES.glob("*/institution.yaml"):
        visit(yaml.safe_load(path.read_text(encoding="utf-8")).get("workflows") or {})
    return found


def _institution_ids() -> set[str]:
    return {path.parent.name for path in POLICIES.glob("*/institution.yaml")}


def _searched_files() -> list[Path]:
    return [
        path
        for root in SEARCHED
        for path in sorted(root.rglob("*"))
        if path.suffix in SUFFIXES
        and not EXEMPT_PARTS & set(path.relative_to(SRC).parts)
        and path.name not in EXEMPT_NAMES
    ]


def test_the_units_searched_for_are_the_policies_units() -> None:
    units = _units()
    assert {"通識教育中心", "教務處", "圖書館", "學務處", "研發處", "藝術中心"} <= units
    assert {"ncut", "nkust", "nthu", "ntut", "nycu"} <= _institution_ids()


def test_no_institution_id_or_unit_name_outside_policies_and_demo_data() -> None:
    ids = re.compile(r"\b(" + "|".join(sorted(_institution_ids())) + r")\b", re.IGNORECASE)
    units = sorted(_units(), key=len, reverse=True)
    found: list[str] = []
    for path in _searched_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            named = [m.group(0) for m in ids.finditer(line)] + [unit for unit in units if unit in line]
            if named:
                found.append(f"{path.relative_to(SRC)}:{number}: {', '.join(named)}: {line.strip()}")
    assert found == []
