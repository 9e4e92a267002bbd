"""Early warning (menkan.foresight.forecast): terms left, the most earnable, hour deadlines, once-a-year courses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from menkan.engine import Student, Term, compile, load_shipped, load_students, student_from_dict
from menkan.foresight.catalog import Catalog, CatalogCourse, catalog_of
from menkan.foresight.forecast import Forecast, forecast

DEMO = "src/menkan/demo"


def terms_between(first: str, last: str) -> list[str]:
    term, end = Term.parse(first), Term.parse(last)
    out = []
    while term <= end:
        out.append(str(term))
        term = term.next_regular()
    return out


def nycu_student(earned: int, *, last: str, leave: dict[str, str] | None = None, pending: int = 0) -> Student:
    """A NYCU CS bachelor admitted 110-1, enrolled every semester to `last` (but the `leave` ones), with `earned`
    credits passed in 110-1 and `pending` credits in progress in `last`."""
    leave = leave or {}
    enrollment: list[dict[str, Any]] = []
    ethics: list[dict[str, Any]] = []
    for term in terms_between("110-1", last):
        if term in leave:
            enrollment.append({"term": term, "status": "leave", "reason": leave[term]})
        else:
            enrollment.append({"term": term, "status": "enrolled"})
            ethics.append({"term": term, "passed": True})
    courses: list[dict[str, Any]] = []
    for number in range(earned // 4):
        courses.append(
            {"code": f"C{number:03d}", "title": f"課程{number}", "credits": 4, "term": "110-1", "grade": "B"}
        )
    if pending:
        courses.append({"code": "P001", "title": "修課中", "credits": pending, "term": last})
    return student_from_dict(
        {
            "schema": "menkan.student/1",
            "student_id": "T0000001",
            "institution": "nycu",
            "department": "CS",
            "degree": "bachelor",
            "admission_term": "110-1",
            "courses": courses,
            "enrollment": enrollment,
            "ethics": ethics,
        }
    )


def run(student: Student, as_of: str, *, today: date | None = None, catalog: Any = "shipped") -> Forecast:
    runtime = compile(load_shipped(student.institution))
    term = Term.parse(as_of)
    audit = runtime.audit(student, as_of=term).as_dict()
    return forecast(runtime.policy_set.institution, student, audit, as_of=term, today=today, catalog=catalog)


def codes(item: Forecast) -> set[str]:
    return {reason.code for reason in item.reasons}


def test_short_by_more_credits_than_the_terms_left_allow_is_cannot_finish() -> None:
    # 128 credits for CS; 80 earned as of 113-1 (study year 4, semester 1): one semester left, 25 credits at most.
    item = run(nycu_student(80, last="113-1"), "113-1")
    assert item.verdict == "cannot-finish"
    assert item.terms_left == 1 and [str(t) for t in item.window] == ["113-2"]
    assert item.credits_missing == Decimal(48) and item.capacity == Decimal(25)
    assert "over-capacity" in codes(item)
    # the extension (Art. 14: two more years) is information beside the verdict
    assert len(item.extension) == 4 and "extension-possible" in codes(item)


def test_needing_the_maximum_load_every_remaining_term_is_at_risk() -> None:
    # As of 112-2 two semesters are left (113-1, 113-2) at 25 each, and the summer 112-S at 12.
    item = run(nycu_student(76, last="112-2", pending=2), "112-2")
    assert item.credits_missing == Decimal(50) and item.credits_pending == Decimal(2)
    assert item.semesters_capacity == Decimal(50) and item.capacity == Decimal(62)
    assert [str(t) for t in item.summers] == ["112-S"]
    assert item.verdict == "at-risk" and "maximum-load" in codes(item)
    assert "in-progress-counted" in codes(item)
    # Ten credits less to go: room to spare, on track.
    assert run(nycu_student(84, last="112-2", pending=2), "112-2").verdict == "on-track"


def test_a_military_leave_semester_is_added_to_the_terms_left() -> None:
    without = run(nycu_student(76, last="113-1"), "113-1")
    on_leave = run(nycu_student(76, last="113-1", leave={"111-2": "military"}), "113-1")
    assert on_leave.terms_left == without.terms_left + 1  # type: ignore[operator]
    assert [str(t) for t in on_leave.window] == ["113-2", "114-1"]
    assert on_leave.leave_semesters == 1 and "leave-not-counted" in codes(on_leave)
    # 52 missing: more than one semester allows; more than two, within two and the summer between them (113-S)
    assert without.verdict == "cannot-finish"
    assert on_leave.verdict == "at-risk" and "needs-summers" in codes(on_leave)


def test_a_student_on_leave_in_the_term_still_has_the_semester_they_return_to() -> None:
    item = run(nycu_student(80, last="113-1", leave={"113-1": "military"}), "113-1")
    assert [str(t) for t in item.window] == ["113-2", "114-1"]


def test_the_study_period_comes_from_the_nycu_rule_with_its_overrides() -> None:
    student = nycu_student(80, last="113-1")
    medicine = student_from_dict({**_as_dict(student), "department": "MED"})
    item = run(medicine, "113-1")
    assert item.period_years == 6 and item.extension_years == 2 and item.period_cites == "NYCU 學則 第13條"
    assert item.terms_left == 5


def _as_dict(student: Student) -> dict[str, Any]:
    from menkan.engine import student_to_dict

    return student_to_dict(student)


def _ncut_senior(social_hours: int) -> Student:
    base = load_students(f"{DEMO}/ncut.jsonl")[0]  # NC11107001: every item passed, senior in 114
    data = _as_dict(base)
    data["activities"] = [a for a in data["activities"] if a["item"] not in ("social", "aesthetics")]
    volunteering = {"item": "social", "hours": social_hours, "term": "114-1", "title": "志工", "unit": "學務處"}
    data["activities"].append(volunteering)
    data["enrollment"].append({"term": "114-2", "status": "enrolled"})
    return student_from_dict(data)


def test_an_ncut_senior_short_of_social_hours_after_the_deadline_cannot_finish() -> None:
    student = _ncut_senior(16)
    after = run(student, "114-2", today=date(2026, 6, 2))
    assert after.verdict == "cannot-finish" and "deadline-passed" in codes(after)
    social = next(s for s in after.shortfalls if s.id == "self-learning.social")
    assert social.short == Decimal(8) and social.deadline == date(2026, 6, 1)  # 115-06-01, from the policy
    assert any("115-06-01" in reason.text["zh-TW"] for reason in after.reasons)
    before = run(student, "114-2", today=date(2026, 5, 1))
    assert before.verdict == "at-risk" and "deadline-passed" not in codes(before)
    # with the hours, nothing is left to do
    assert run(_ncut_senior(24), "114-2", today=date(2026, 6, 2)).verdict == "on-track"


def test_a_junior_short_of_hours_is_not_warned_yet() -> None:
    base = load_students(f"{DEMO}/ncut.jsonl")[0]
    data = _as_dict(base)
    data["admission_term"] = "112-1"
    data["enrollment"] = [{"term": t, "status": "enrolled"} for t in terms_between("112-1", "114-1")]
    data["activities"] = [a for a in data["activities"] if a["item"] not in ("social", "aesthetics")]
    item = run(student_from_dict(data), "114-1", today=date(2025, 12, 1))
    social = next(s for s in item.shortfalls if s.id == "self-learning.social")
    assert social.deadline == date(2027, 6, 1)  # their graduation year is academic year 115
    assert item.verdict == "on-track"


def _fall_only(code: str) -> Catalog:
    shipped = catalog_of("ntut")
    assert shipped is not None
    course = shipped.courses[code]
    only_fall = CatalogCourse(course.code, course.title, course.credits, frozenset({"1"}), required=True)
    return Catalog("ntut", "test", {**shipped.courses, code: only_fall})


def test_a_required_course_offered_once_a_year_with_no_such_semester_left() -> None:
    student = load_students(f"{DEMO}/ntut.jsonl")[1]  # B112590002: misses 微積分 (1401032)
    catalog = _fall_only("1401032")
    last_chance = run(student, "114-2", catalog=catalog)
    assert [(c.code, c.chances) for c in last_chance.once_a_year] == [("1401032", 1)]
    assert last_chance.verdict == "at-risk"
    none_left = run(student, "115-1", catalog=catalog)
    assert none_left.verdict == "cannot-finish" and "once-a-year" in codes(none_left)
    # offered in both semesters (the shipped catalogue): only the credits count, and they fit
    assert run(student, "115-1").verdict == "on-track"


def test_advisory_requirements_are_not_forecast() -> None:
    student = load_students(f"{DEMO}/nycu.jsonl")[0]
    item = run(student, "113-2")
    assert all(not s.id.startswith(("standing", "averages", "early-graduation")) for s in item.shortfalls)


def test_without_a_study_period_the_terms_left_are_unknown() -> None:
    student = load_students(f"{DEMO}/nthu.jsonl")[0]
    item = run(student, "114-1")
    assert item.terms_left is None and "no-study-period" in codes(item)
    assert item.as_dict()["terms_left"] is None


# --- the command --------------------------------------------------------------------------------------------------


def _cli(*argv: str) -> tuple[int, str, str]:
    import io

    from menkan.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _jsonl(path: Any, students: list[Student]) -> str:
    import json

    path.write_text("".join(json.dumps(_as_dict(s), ensure_ascii=False) + "\n" for s in students), encoding="utf-8")
    return str(path)


def test_forecast_command_json_csv_and_text(tmp_path: Any) -> None:
    import csv
    import json

    cohort = [nycu_student(80, last="113-1"), _ncut_senior(16)]
    file = _jsonl(tmp_path / "cohort.jsonl", cohort)
    code, out, err = _cli("forecast", file, "--as-of", "113-1", "--format", "json", "--today", "2025-01-01")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["schema"] for row in rows] == ["menkan.forecast/1"] * 2
    assert rows[0]["verdict"] == "cannot-finish" and rows[0]["terms_left"] == 1
    assert rows[0]["credits_missing"] == 48 and rows[0]["capacity"] == 25

    file = _jsonl(tmp_path / "senior.jsonl", [_ncut_senior(16)])
    code, out, _ = _cli("forecast", file, "--as-of", "114-2", "--format", "csv", "--today", "2026-06-02")
    (row,) = list(csv.DictReader(out.splitlines()))
    assert code == 0 and row["verdict"] == "cannot-finish" and "self-learning.social" in row["missing"]
    assert "115-06-01" in row["reasons_zh"] and "deadline 115-06-01 has passed" in row["reasons_en"]

    code, out, _ = _cli("forecast", file, "--as-of", "114-2", "--today", "2026-05-01", "--lang", "en")
    assert code == 0 and ": at-risk" in out and "1 students: 0 on-track, 1 at-risk, 0 cannot-finish" in out


def test_forecast_command_refuses_bad_input_with_its_location(tmp_path: Any) -> None:
    import json

    good = _as_dict(nycu_student(80, last="113-1"))
    bad = {**good, "student_id": "BAD", "courses": [{**good["courses"][0], "grade": "ZZ"}]}
    file = tmp_path / "mixed.jsonl"
    file.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    code, out, err = _cli("forecast", str(file), "--as-of", "113-1")
    assert code == 2 and out == ""
    assert f"{file}:2 $.courses[0].grade" in err
    code, out, err = _cli("forecast", str(file), "--as-of", "113-1", "--keep-going", "--format", "json")
    assert code == 2 and len(out.splitlines()) == 1
    code, _, err = _cli("forecast", str(tmp_path / "none.jsonl"), "--as-of", "113-1")
    assert code == 2 and "no such file" in err


def test_other_institutions_take_the_period_from_institution_yaml() -> None:
    from menkan.engine import study_period_default

    nkust = load_shipped("nkust").institution
    assert nkust.study_load is not None and nkust.study_load.period is not None
    assert "大學法 第28條" in (nkust.study_load.period.cites or "")
    student = load_students(f"{DEMO}/nkust.jsonl")[1]  # K11200002, admitted 112-1
    assert study_period_default(nkust, student, Term.parse("114-1")) == (4, 2)
    item = run(student, "114-1")
    assert item.period_years == 4 and [str(t) for t in item.window] == ["114-2", "115-1", "115-2"]
    # three semesters at 25 and the one summer before the last semester (114-S) at 12
    assert [str(t) for t in item.summers] == ["114-S"] and item.capacity == Decimal(25 * 3 + 12)


def test_a_once_a_year_course_in_progress_counts_as_likely_passed() -> None:
    data = _as_dict(load_students(f"{DEMO}/ntut.jsonl")[1])
    taking = {"code": "1401032", "title": "微積分", "credits": 3, "term": "115-1", "category": "professional-required"}
    data["courses"].append(taking)
    item = run(student_from_dict(data), "115-1", catalog=_fall_only("1401032"))
    assert item.once_a_year == () and item.verdict == "on-track"
    assert "in-progress-counted" in codes(item)
