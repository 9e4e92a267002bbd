"""bench/targets.py: each issue #15 target beside its figure, met / SHORT / not measured, parsed tolerantly."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import targets

ENGINE = '{"audits_per_second": 4100, "p99_ms": 1.2, "something_new": [1]}'
DB = "\n".join(
    [
        "db_bench: Celery runs: SKIPPED, Redis not reachable",
        '{"database": "sqlite", "mode": "celery", "students": 30000, "seconds": 14.0, "peak_rss_mb": 250.0}',
        '{"database": "sqlite", "mode": "eager", "students": 3000, "seconds": 3.5, "peak_rss_mb": 410.5}',
        '{"database": "sqlite", "mode": "incremental", "students": 30000, "seconds": "n/a"}',
        "{not json",
    ]
)


def test_each_target_is_met_short_or_not_measured() -> None:
    rows = {
        name: (measured, verdict)
        for name, _, measured, verdict in targets.summary(targets._json_objects(ENGINE), targets._json_objects(DB))
    }
    assert rows["engine throughput"][1] == "met"
    assert rows["engine p99"][1] == "SHORT"
    assert rows["batch sqlite, 2 Celery workers"][1] == "met"
    assert rows["batch sqlite, one process, no broker"] == ("3.5 s for 3,000 (≈ 35.0 s for 30,000)", "SHORT")
    assert rows["incremental sqlite, 1 % changed"][1] == "not measured"  # a figure it cannot read is not "met"
    assert rows["batch postgresql, 2 Celery workers"][1] == "not measured"
    assert rows["worker peak RSS"] == ("410 MB (largest: sqlite, eager)", "SHORT")


def test_nothing_measured_is_never_met() -> None:
    assert {verdict for *_, verdict in targets.summary([], [])} == {"not measured"}
