"""Credit-fee statements: NTHU's graduate credit fees (研究生學分費計算說明), in-service program schedules, and
NYCU's fees of an extended study period (學則 第12條); the `menkan fees` command and the NTHU demo students."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import course, make_student
from menkan.cli import main
from menkan.engine import InputError, Term, load_policy_dir, student_to_dict
from menkan.engine.fees import FeeStatement, fee_policy_from, fee_statement, load_shipped_fees
from menkan.engine.policy.loader import SHIPPED_POLICIES

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "src" / "menkan" / "demo" / "nthu.jsonl"
TERM = "114-1"
CJK = re.compile(r"[\u4e00-\u9fff]")


def nthu(*courses: dict[str, Any], **fields: Any) -> Any:
    data: dict[str, Any] = {
        "student_id": "113062001",
        "institution": "nthu",
        "department": "CS",
        "division": "graduate",
        "degree": "master",
        "admission_term": "113-1",
        "courses": list(courses),
    }
    data.update(fields)
    return make_student(**data)


def bill(student: Any, term: str = TERM) -> FeeStatement:
    return fee_statement(student, load_shipped_fees(student.institution), Term.parse(term))


def passed(count: int, term: str = "113-1", credits: int = 3, prefix: str = "P") -> list[dict[str, Any]]:
    return [course(f"{prefix}{term}{i}", f"課程{prefix}{i}", credits, term, "85") for i in range(count)]


def now(code: str, credits: int = 3, grade: str | None = None, **kw: Any) -> dict[str, Any]:
    return course(code, f"本學期{code}", credits, TERM, grade, **kw)


def codes(statement: FeeStatement) -> list[str]:
    return [e.code for e in statement.explanations]


def assert_explained(statement: FeeStatement) -> None:
    assert statement.explanations
    for explanation in statement.explanations:
        assert CJK.search(explanation.text.zh_tw), explanation
        assert explanation.text.en and not CJK.search(explanation.text.en.split(":")[0]), explanation


# --- NTHU graduate credit fees -------------------------------------------------------------------------------


def test_below_the_threshold_every_enrolled_credit_is_billed() -> None:
    # 5 × 3 = 15 passed before 114-1, threshold 24 (CS master): the 6 credits of 114-1 are all billed.
    statement = bill(nthu(*passed(5), now("C1"), now("LANG1", 2), now("PE1", 1)))
    assert statement.accumulated_before == 15
    assert statement.threshold == 24
    assert statement.billed_credits == 6 and statement.exempt_credits == 0
    assert statement.billed == ["C1@114-1", "LANG1@114-1", "PE1@114-1"]
    assert statement.exempt == []
    assert statement.total == Decimal(6 * 1800)  # CS, admitted 113-1: NT$ 1,800 a credit
    assert isinstance(statement.total, Decimal)
    assert codes(statement) == ["add-drop", "below-threshold"]
    below = statement.explanation("below-threshold")
    assert below is not None
    assert "15" in below.text.en and "24" in below.text.en
    assert "未達本系所最低畢業學分 24" in below.text.zh_tw
    assert_explained(statement)


def test_a_term_that_crosses_the_threshold_is_billed_only_up_to_it() -> None:
    # 21 before the term (7 × 3), threshold 24: of 9 credits, 3 are billed and 6 exempt.
    statement = bill(nthu(*passed(7), now("C1"), now("C2"), now("C3")))
    assert (statement.accumulated_before, statement.billed_credits, statement.exempt_credits) == (21, 3, 6)
    assert statement.billed == ["C1@114-1"]
    assert statement.exempt == ["C2@114-1", "C3@114-1"]
    assert statement.total == 3 * 1800
    crosses = statement.explanation("crosses-threshold")
    assert crosses is not None
    assert "only 3 are billed" in crosses.text.en and "lower than your course load" in crosses.text.en
    assert "只收其中 3 學分" in crosses.text.zh_tw
    assert_explained(statement)


def test_a_course_straddling_the_threshold_is_billed_in_part() -> None:
    # 22 before (transferred 4 + passed 18): 2 credits left; the first course (3 credits) is billed 2, exempt 1.
    transfer = course("T1", "抵免課程", 4, "113-1", "P", transfer=True)
    statement = bill(nthu(transfer, *passed(6), now("C1"), now("C2")))
    assert (statement.transferred_credits, statement.passed_credits, statement.accumulated_before) == (4, 18, 22)
    first, second = statement.courses
    assert (first.billed, first.exempt, first.status) == (2, 1, "partly-billed")
    assert (second.billed, second.exempt, second.status) == (0, 3, "exempt")
    assert statement.total == 2 * 1800


def test_already_past_the_threshold_the_bill_is_zero_and_says_why() -> None:
    statement = bill(nthu(*passed(9), now("C1"), now("C2")))
    assert statement.accumulated_before == 27
    assert statement.total == 0
    assert statement.billed == [] and statement.exempt == ["C1@114-1", "C2@114-1"]
    assert [line.amount for line in statement.lines] == [0]
    zero = statement.explanation("past-threshold")
    assert zero is not None
    assert "your credit fee is zero" in zero.text.en and "not a system error" in zero.text.en
    assert "學分費為零" in zero.text.zh_tw and "不是系統錯誤" in zero.text.zh_tw
    assert_explained(statement)


def test_failed_and_withdrawn_credits_do_not_accumulate_so_the_student_is_billed_again() -> None:
    # 24 credits attempted before 114-1, but one failed (65 < 70 for a master's student) and one withdrawn:
    # only 18 accumulated, so 114-1 is billed for 6 more credits.
    earlier = [
        *passed(6),
        course("F1", "品質管理", 3, "113-2", "65"),
        course("W1", "統計學習", 3, "113-2", "W"),
    ]
    statement = bill(nthu(*earlier, now("C1"), now("C2"), now("C3")))
    assert statement.accumulated_before == 18
    assert statement.billed_credits == 6 and statement.exempt_credits == 3
    assert [(n.ref, n.reason) for n in statement.not_accumulated] == [
        ("F1@113-2", "failed"),
        ("W1@113-2", "withdrawn"),
    ]
    again = statement.explanation("not-accumulated")
    assert again is not None
    assert "F1@113-2" in again.text.en and "W1@113-2" in again.text.en
    assert "even if you paid credit fees for those courses before" in again.text.en
    assert "不及格" in again.text.zh_tw and "停修 W" in again.text.zh_tw
    assert_explained(statement)


def test_60_passes_a_bachelor_student_but_not_a_master_student() -> None:
    earlier = [*passed(7), course("F1", "品質管理", 3, "113-2", "65")]
    assert bill(nthu(*earlier, now("C1"))).accumulated_before == 21


def test_a_course_dropped_during_add_drop_is_not_on_the_record_and_not_billed() -> None:
    kept = [now("C1"), now("C2")]
    with_dropped_absent = bill(nthu(*passed(2), *kept))
    assert with_dropped_absent.enrolled_credits == 6
    assert with_dropped_absent.billed == ["C1@114-1", "C2@114-1"]
    # Courses of other terms (the next term's pre-registration) are not this term's bill either.
    later = course("N1", "下學期課程", 3, "114-2", None)
    assert bill(nthu(*passed(2), *kept, later)).billed_credits == 6
    basis = with_dropped_absent.explanation("add-drop")
    assert basis is not None and "dropped during add/drop" in basis.text.en and "加退選期間退選" in basis.text.zh_tw


def test_a_course_withdrawn_after_add_drop_is_billed_and_not_refunded() -> None:
    statement = bill(nthu(*passed(2), now("C1"), now("W2", grade="W")))
    assert statement.billed == ["C1@114-1", "W2@114-1"]
    assert statement.total == 6 * 1800
    withdrawn = statement.explanation("withdrawn-billed")
    assert withdrawn is not None
    assert "W2@114-1" in withdrawn.text.en and "not refunded" in withdrawn.text.en
    assert "不退費" in withdrawn.text.zh_tw


def test_a_repeated_pass_and_transferred_courses_of_the_term() -> None:
    # A course passed twice accumulates once; credits transferred in the term accumulate and are not billed.
    again = course("P113-10", "課程P0", 3, "113-2", "90")
    transfer_now = course("T9", "抵免", 3, TERM, "P", transfer=True)
    statement = bill(nthu(*passed(2), again, transfer_now, now("C1")))
    assert statement.accumulated_before == 9
    assert statement.billed == ["C1@114-1"]


def test_threshold_and_rate_follow_department_degree_and_admission_year() -> None:
    ieem = bill(nthu(*passed(8), now("C1"), department="IEEM", admission_term="112-1"))
    assert (ieem.threshold, ieem.lines[0].rate) == (30, 1650)  # IEEM master 30; default rate, admitted 112
    doctor = bill(nthu(*passed(6), now("C1"), degree="doctor", department="CHEM", admission_term="113-1"))
    assert (doctor.threshold, doctor.lines[0].rate, doctor.total) == (18, 1700, 0)
    ee_old = bill(nthu(now("C1"), department="EE", admission_term="111-1"))
    assert (ee_old.threshold, ee_old.lines[0].rate) == (24, 1750)


def test_no_courses_no_credit_fee() -> None:
    statement = bill(nthu(*passed(2)))
    assert statement.total == 0 and codes(statement) == ["add-drop", "no-courses"]


# --- in-service programs ---------------------------------------------------------------------------------------


def test_an_in_service_student_is_billed_on_the_program_schedule() -> None:
    student = nthu(*passed(9), now("E1"), now("E2"), department="EMBA", flags=["in-service"])
    statement = bill(student)
    assert statement.schedule == "emba"
    assert [(line.id, line.credits, line.rate, line.amount) for line in statement.lines] == [
        ("items.basic", None, None, 14000),
        ("credit-fee", 6, 8500, 51000),
    ]
    assert statement.total == 65000  # no exemption past the minimum graduation credits
    assert statement.accumulated_before is None and statement.threshold is None
    assert codes(statement) == ["add-drop", "program-schedule"]
    assert_explained(statement)


def test_an_in_service_program_without_a_schedule_is_referred_to_its_office() -> None:
    statement = bill(nthu(now("C1"), department="IEEM", flags=["in-service"]))
    assert statement.schedule == "in-service-other"
    assert statement.lines == () and statement.total == 0
    assert codes(statement) == ["referral"]
    assert_explained(statement)


# --- NYCU: extended study period (學則 第12條) ----------------------------------------------------------------


def nycu(credits: list[int], status: str = "extension", **fields: Any) -> Any:
    courses = [course(f"X{i}", f"課程{i}", c, TERM, None) for i, c in enumerate(credits)]
    data: dict[str, Any] = {
        "student_id": "0810001",
        "institution": "nycu",
        "department": "CS",
        "admission_term": "109-1",
        "courses": courses,
        "enrollment": [{"term": TERM, "status": status}],
    }
    data.update(fields)
    return make_student(**data)


def test_nycu_extension_with_9_credits_pays_basic_fees_and_credit_fees() -> None:
    statement = bill(nycu([3, 3, 2, 1]))
    assert statement.enrolled_credits == 9
    assert [(line.id, line.credits, line.amount) for line in statement.lines] == [
        ("basic.basic", None, 10500),
        ("credit-fee", 9, 9 * 1600),
    ]
    assert statement.total == 10500 + 9 * 1600
    assert codes(statement) == ["add-drop", "extension-basic"]
    text = statement.explanation("extension-basic")
    assert text is not None and "fewer than 10" in text.text.en and "未滿 10 學分" in text.text.zh_tw
    assert_explained(statement)


def test_nycu_extension_with_10_credits_pays_full_tuition_and_fees() -> None:
    statement = bill(nycu([3, 3, 3, 1]))
    assert [(line.id, line.amount) for line in statement.lines] == [("full.full", 30500)]
    assert statement.total == 30500
    assert codes(statement) == ["add-drop", "extension-full"]
    text = statement.explanation("extension-full")
    assert text is not None and "10 or more" in text.text.en and "全額學雜費" in text.text.zh_tw
    assert_explained(statement)


def test_nycu_extension_amounts_vary_by_department() -> None:
    statement = bill(nycu([3], department="MED"))
    assert statement.total == 13500 + 3 * 2100


def test_nycu_student_in_the_regular_study_period_has_no_credit_fee_schedule() -> None:
    statement = bill(nycu([3, 3], status="enrolled"))
    assert statement.schedule is None and statement.total == 0
    assert codes(statement) == ["no-schedule"]
    assert_explained(statement)


# --- properties, JSON, policy errors ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    earlier=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["85", "65", "W", "P"])), max_size=12),
    current=st.lists(st.integers(0, 4), max_size=8),
)
def test_billed_credits_are_the_enrolled_credits_up_to_the_threshold(
    earlier: list[tuple[int, str]], current: list[int]
) -> None:
    rows = [course(f"E{i}", f"舊{i}", c, "113-2", grade) for i, (c, grade) in enumerate(earlier)]
    rows += [course(f"N{i}", f"新{i}", c, TERM, None) for i, c in enumerate(current)]
    statement = bill(nthu(*rows))
    accumulated = sum(c for c, grade in earlier if grade in ("85", "P"))
    enrolled = sum(current)
    assert statement.accumulated_before == accumulated
    assert statement.billed_credits == min(enrolled, max(0, 24 - accumulated))
    assert statement.billed_credits + statement.exempt_credits == enrolled
    assert sum(c.billed for c in statement.courses) == statement.billed_credits
    assert statement.total == statement.billed_credits * 1800
    assert_explained(statement)


def test_statement_json_has_numbers_refs_and_both_languages() -> None:
    data = bill(nthu(*passed(7), now("C1"), now("C2"))).as_dict()
    assert data["schema"] == "menkan.fees/1"
    assert (data["total"], data["threshold"], data["accumulated_before"]) == (5400, 24, 21)
    assert data["billed"] == ["C1@114-1"] and data["exempt"] == ["C2@114-1"]
    assert all(set(e) == {"code", "zh-TW", "en"} for e in data["explanations"])
    json.dumps(data)


def copy_nthu(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "nthu"
    shutil.copytree(SHIPPED_POLICIES / "nthu", folder)
    institution = folder / "institution.yaml"
    text = institution.read_text(encoding="utf-8")
    assert old in text
    institution.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_broken_fee_data_is_reported_with_file_line_and_path(tmp_path: Path) -> None:
    folder = copy_nthu(tmp_path, "          - per_credit: 1650\n", "          - per_credit: -5\n")
    with pytest.raises(InputError) as caught:
        fee_policy_from(load_policy_dir(folder), folder / "institution.yaml")
    source = folder / "institution.yaml"
    line = next(i for i, text in enumerate(source.read_text().splitlines(), 1) if "per_credit: -5" in text)
    assert [p.render() for p in caught.value.problems] == [
        f"{source}:{line} $.workflows.fees.schedules[0].rates[0].per_credit: must be ≥ 0"
    ]


def test_a_threshold_naming_no_credits_requirement_is_an_error(tmp_path: Path) -> None:
    folder = copy_nthu(tmp_path, "requirement: graduate-credits", "requirement: graduate-credit")
    with pytest.raises(InputError) as caught:
        fee_policy_from(load_policy_dir(folder), folder / "institution.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "$.workflows.fees.schedules[0].threshold.requirement"
    assert "'graduate-credit': no requirement has that id" in problem.reason
    assert problem.line is not None


# --- the command -----------------------------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_menkan_fees_text_and_json() -> None:
    code, out, err = run("fees", str(DEMO), "--term", TERM, "--lang", "en")
    assert code == 0, err
    assert "112062502  nthu  114-1  Graduate credit fees" in out
    assert "= NT$ 5,250" in out
    assert "not a system error" in out
    code, out, _ = run("fees", str(DEMO), "--term", TERM, "--format", "json")
    assert code == 0
    totals = {d["student_id"]: d["total"] for d in map(json.loads, out.splitlines())}
    assert totals == {"113062501": 10800, "112062502": 5250, "111034503": 0, "112034504": 9900, "113764505": 65000}


def test_menkan_fees_errors_are_one_located_line_with_exit_2(tmp_path: Path) -> None:
    code, _, err = run("fees", str(DEMO), "--term", "114-3")
    assert code == 2 and err.startswith("menkan: --term: not a term") and err.count("\n") == 1
    code, _, err = run("fees", str(tmp_path / "none.json"), "--term", TERM)
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.jsonl"
    good = DEMO.read_text(encoding="utf-8").splitlines()[0]
    broken = json.loads(good)
    broken["courses"][0]["credits"] = -3
    bad.write_text(good + "\n" + json.dumps(broken, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = run("fees", str(bad), "--term", TERM)
    assert code == 2
    assert err == f"menkan: {bad}:2 $.courses[0].credits: must be ≥ 0\n"


def test_policy_check_validates_the_fee_data(tmp_path: Path) -> None:
    folder = copy_nthu(tmp_path, "kind: program", "kind: programme")
    code, _, err = run("policy", "check", str(folder))
    assert code == 2
    assert "$.workflows.fees.schedules[1].kind: unknown kind programme" in err
    assert run("policy", "check")[0] == 0


def test_nthu_demo_file_is_what_the_script_generates() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_nthu_demo.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_menkan_fees_validates_grades_as_audit_does(tmp_path: Path) -> None:
    """Grade "101" is no grade on NYCU's scale: a located error and no statement, not a bill that ignores it."""
    record = student_to_dict(nycu([3, 3]))
    record["courses"][1]["grade"] = "101"
    single = tmp_path / "one.json"
    single.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    code, out, err = run("fees", str(single), "--term", TERM)
    assert (code, out) == (2, "")
    assert err == f"menkan: {single} $.courses[1].grade: '101' is not a grade on nycu's scale\n"
    good = student_to_dict(nycu([3], student_id="0810002"))
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (good, record, good)), encoding="utf-8")
    code, out, err = run("fees", str(cohort), "--term", TERM, "--format", "json")
    assert (code, out) == (2, "")
    assert err == f"menkan: {cohort}:2 $.courses[1].grade: '101' is not a grade on nycu's scale\n"
    code, out, err = run("fees", str(cohort), "--term", TERM, "--format", "json", "--keep-going")
    assert code == 2
    assert [json.loads(line)["student_id"] for line in out.splitlines()] == ["0810002", "0810002"]
    assert err.startswith(f"menkan: {cohort}:2 $.courses[1].grade:")


def test_the_no_refund_wording_is_the_institutions_not_the_engines(tmp_path: Path) -> None:
    """NTHU's rule (withdrawn courses are not refunded) is in its policy; without it the answer states only the bill."""
    folder = copy_nthu(tmp_path, "withdrawn-billed:", "withdrawn-billed-unused:")
    settings = folder / "institution.yaml"
    text = settings.read_text(encoding="utf-8")
    block = text[text.index("          withdrawn-billed-unused:") : text.index("        rates:")]
    settings.write_text(text.replace(block, "", 1), encoding="utf-8")
    student = nthu(*passed(2), now("C1"), now("W2", grade="W"))
    shipped = bill(student).explanation("withdrawn-billed")
    assert shipped is not None and "不退費" in shipped.text.zh_tw
    general = fee_statement(student, fee_policy_from(load_policy_dir(folder)), Term.parse(TERM))
    withdrawn = general.explanation("withdrawn-billed")
    assert withdrawn is not None
    assert "W2@114-1" in withdrawn.text.en and "refund" not in withdrawn.text.en
    assert "不退費" not in withdrawn.text.zh_tw


def test_the_add_drop_basis_says_not_refunded_only_where_the_policy_says_so(tmp_path: Path) -> None:
    """The statement's basis is the schedule's wording (`explanations.add-drop`, NTHU: not refunded); without it,
    the engine's general sentence, which claims no refund rule."""
    student = nthu(*passed(2), now("C1"))
    shipped = bill(student).explanation("add-drop")
    assert shipped is not None and "不退費" in shipped.text.zh_tw and "not refunded" in shipped.text.en
    folder = copy_nthu(tmp_path, "          add-drop: &nthu-add-drop\n", "          add-drop-unused: &nthu-add-drop\n")
    general = fee_statement(student, fee_policy_from(load_policy_dir(folder)), Term.parse(TERM)).explanation("add-drop")
    assert general is not None and "after the add/drop period" in general.text.en
    assert "refund" not in general.text.en and "退費" not in general.text.zh_tw
