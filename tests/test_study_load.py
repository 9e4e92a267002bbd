"""Term-load maxima are policy data: the institution's `study_load`, its overrides, and no maximum without one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from menkan.engine import SHIPPED_POLICIES, InputError, Term, load_policy_dir, student_from_dict, term_credit_max
from menkan.engine.policy.loader import load_shipped


def _student(institution: str, degree: str = "bachelor", department: str = "CS") -> object:
    return student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": "S1",
            "institution": institution,
            "name": "學生",
            "degree": degree,
            "department": department,
            "admission_term": "112-1",
            "courses": [],
        }
    )


def test_the_shipped_maxima_and_the_graduate_override() -> None:
    nycu = load_policy_dir(SHIPPED_POLICIES / "nycu").institution
    bachelor, master = _student("nycu"), _student("nycu", degree="master")
    assert term_credit_max(nycu, bachelor, Term.parse("114-1")) == Decimal("25")  # type: ignore[arg-type]
    assert term_credit_max(nycu, bachelor, Term.parse("114-S")) == Decimal("12")  # type: ignore[arg-type]
    assert term_credit_max(nycu, master, Term.parse("114-1")) is None  # type: ignore[arg-type]


def test_an_institution_without_a_study_load_has_no_maximum() -> None:
    nthu = load_shipped("nthu").institution
    assert nthu.study_load is None
    assert term_credit_max(nthu, _student("nthu", degree="master"), Term.parse("114-1")) is None  # type: ignore[arg-type]


def test_a_negative_maximum_is_refused_with_its_location(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    folder = tmp_path / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    institution = folder / "institution.yaml"
    institution.write_text(
        institution.read_text(encoding="utf-8").replace("  semester_max: 25", "  semester_max: -3", 1), encoding="utf-8"
    )
    with pytest.raises(InputError) as raised:
        load_policy_dir(folder)
    assert "study_load.semester_max" in str(raised.value)
