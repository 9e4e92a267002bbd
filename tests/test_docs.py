"""Docs that are generated from the code stay current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_policies_md_lists_the_current_requirement_ids() -> None:
    spec = importlib.util.spec_from_file_location("policy_docs", ROOT / "scripts" / "policy_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    assert current == module.render(), "docs/policies.md is out of date: run `make policy-docs`"
