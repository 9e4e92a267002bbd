"""The demo cohort's `menkan.audit/1` documents, byte for byte, as `menkan audit --format json` prints them.

Guards refactorings of the engine (the compiled runtime, its caches): the output must not move. Each line of
the fixture is the SHA-256 of one printed document, keyed by file, student and `--as-of`. When a policy or the
demo data changes on purpose, regenerate the fixture: `python tests/test_audit_output_stable.py`.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from menkan.cli import main
from menkan.engine import Term, audit, iter_students, load_shipped

DEMO = Path(__file__).resolve().parents[1] / "src" / "menkan" / "demo"
FIXTURE = Path(__file__).resolve().parent / "data" / "demo_audits.sha256"
AS_OF = ("", "113-1", "115-2")  # "" : the CLI's default, the latest term of each record


def printed(path: Path, as_of: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["audit", str(path), "--format", "json", *(["--as-of", as_of] if as_of else [])]
    assert main(argv, out=out, err=err) == 0, err.getvalue()
    return out.getvalue().splitlines()


def digests() -> dict[str, str]:
    found = {}
    for path in sorted(DEMO.glob("*.jsonl")):
        for as_of in AS_OF:
            for line in printed(path, as_of):
                key = f"{path.stem} {json.loads(line)['student_id']} {as_of or '-'}"
                found[key] = hashlib.sha256(line.encode()).hexdigest()
    return found


def stored(fixture: Path = FIXTURE) -> dict[str, str]:
    """The digests of a fixture file, by key (everything before the last space of a line)."""
    lines = fixture.read_text(encoding="utf-8").splitlines()
    return {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in lines if line.strip()}


def assert_digests_as_stored(found: dict[str, str], fixture: Path = FIXTURE) -> None:
    """The same keys as the fixture, each with the same digest (the first few that changed are named)."""
    expected = stored(fixture)
    assert sorted(found) == sorted(expected)
    changed = [key for key in expected if found[key] != expected[key]]
    assert not changed, f"audit documents changed: {len(changed)}, first {changed[:10]}"


def test_demo_audits_print_exactly_as_stored() -> None:
    assert_digests_as_stored(digests())


@pytest.mark.parametrize("institution", ["ncut", "ntut"])
def test_the_convenience_audit_prints_what_the_command_prints(institution: str) -> None:
    path = DEMO / f"{institution}.jsonl"
    policy_set = load_shipped(institution)
    documents = [
        json.dumps(audit(student, policy_set, Term.parse("114-1")).as_dict(), ensure_ascii=False)
        for student in iter_students(path)
    ]
    assert documents == printed(path, "114-1")


if __name__ == "__main__":
    FIXTURE.write_text("".join(f"{key} {digest}\n" for key, digest in sorted(digests().items())), encoding="utf-8")
