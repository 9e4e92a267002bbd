"""The benchmark cohort's `menkan.audit/1` documents, byte for byte: what the engine's speed-ups must not move.

The first 300 students of `bench/audit_bench.py`'s cohort (seed 115: the real NTUT standards and catalog, the
shipped NTUT policies plus the benchmark's overlapping gen-ed dimensions, a quarter of the students with
contested allocations), some changed: every fifth registered in one of the 49 micro-programs, every tenth
with approved exceptions (a waiver, granted credits, an excluded course). Each is audited as of 115-2 (what the
benchmark times) and as of 114-1 (courses still to come), with one compiled runtime as a batch worker uses it,
and serialised as `menkan audit --format json` prints.
Each line of the fixture is the SHA-256 of one document, keyed by student and term.

The fixture was generated with the engine as it was before the issue #15 speed-ups (main at 04e77db), so this
test compares every later change against the old code's output. Regenerate it only when a policy, the cohort
or the output format changes on purpose: `python tests/test_bench_audit_output_stable.py`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from menkan.engine import PolicySet, Term, Tiered, compile, student_from_dict, walk
from test_audit_output_stable import assert_digests_as_stored

BENCH = Path(__file__).resolve().parents[1] / "bench"
FIXTURE = Path(__file__).resolve().parent / "data" / "bench_audits.sha256"
STUDENTS = 300
AS_OF = ("115-2", "114-1")


def bench_module() -> ModuleType:
    """`bench/audit_bench.py` (a script, not a package), which builds the cohort."""
    sys.path.insert(0, str(BENCH))  # where the script finds `cohort`
    try:
        spec = importlib.util.spec_from_file_location("audit_bench", BENCH / "audit_bench.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def with_variants(raw: list[dict[str, Any]], programs: list[str]) -> list[dict[str, Any]]:
    """The records, some registered in a micro-program and some with approved exceptions (deterministic)."""
    varied = []
    for index, data in enumerate(raw):
        data = dict(data)
        if index % 5 == 1:
            data["programs"] = [{"program": programs[index % len(programs)], "registered_term": "113-1"}]
        if index % 10 == 3:
            common = {"reason": "系務會議決議", "approved_by": "head", "approved_on": "2025-01-15"}
            data["exceptions"] = [
                {"id": "E1", "kind": "waive", "requirement": "graduation.credits.free", **common},
                {
                    "id": "E2",
                    "kind": "credit",
                    "requirement": "graduation.credits.professional-elective",
                    "credits": 2,
                    **common,
                },
                {
                    "id": "E3",
                    "kind": "exclude",
                    "requirement": "graduation.credits.common-required.gen-ed",
                    "course": data["courses"][-1]["code"],
                    **common,
                },
            ]
        varied.append(data)
    return varied


def digests() -> dict[str, str]:
    policies, raw = bench_module().bench_cohort(STUDENTS)
    programs = sorted(full_id.split(".")[1] for full_id, node in policies_nodes(policies) if isinstance(node, Tiered))
    students = [student_from_dict(data) for data in with_variants(raw, programs)]
    runtime = compile(policies)
    found = {}
    for as_of in AS_OF:
        term = Term.parse(as_of)
        for student in students:
            line = json.dumps(runtime.audit(student, as_of=term).as_dict(), ensure_ascii=False)
            found[f"{student.student_id} {as_of}"] = hashlib.sha256(line.encode()).hexdigest()
    return found


def policies_nodes(policies: PolicySet) -> list[tuple[str, Any]]:
    return [pair for policy in policies.policies for pair in walk(policy.requirements)]


def test_bench_cohort_audits_print_exactly_as_the_old_engine_printed_them() -> None:
    assert_digests_as_stored(digests(), FIXTURE)


if __name__ == "__main__":
    FIXTURE.write_text("".join(f"{key} {digest}\n" for key, digest in sorted(digests().items())), encoding="utf-8")
