"""Course catalogues: derived from the published data (and up to date with it), validated with located errors."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from menkan.engine import InputError
from menkan.foresight.catalog import catalog_from_dict, catalog_of

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_catalogues_are_what_the_generator_writes() -> None:
    done = subprocess.run([sys.executable, "scripts/gen_catalogs.py", "--check"], cwd=REPO, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_ntut_courses_carry_their_semesters_from_the_standards_and_the_fall_catalog() -> None:
    ntut = catalog_of("ntut")
    assert ntut is not None
    # 微積分(一) is a first-semester required course in the 115 standards and offered in 114-1
    calculus = next(c for c in ntut.courses.values() if c.title.startswith("微積分") and c.required)
    assert calculus.semesters and calculus.credits > Decimal(0)
    once = [c for c in ntut.courses.values() if c.required and c.offered_once_a_year]
    both = [c for c in ntut.courses.values() if c.semesters >= {"1", "2"}]
    assert once and both
    assert catalog_of("nowhere") is None


def test_a_bad_catalogue_is_refused_naming_each_row() -> None:
    with pytest.raises(InputError) as raised:
        catalog_from_dict(
            {
                "schema": "menkan.catalog/1",
                "institution": "x",
                "courses": [
                    {"code": "A", "title": "a", "credits": "2", "semesters": ["1"]},
                    {"code": "B", "title": "b", "credits": "2", "semesters": ["3"]},
                    {"code": "A", "title": "a", "credits": "2", "semesters": ["2"]},
                ],
            },
            source="x.json",
        )
    text = str(raised.value)
    assert "$.courses[1]" in text and "semesters" in text
    assert "$.courses[2].code" in text and "listed twice" in text
