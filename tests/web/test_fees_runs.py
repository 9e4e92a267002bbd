"""The registrar's fee run: refused before add/drop closes, computed by a task, kept as history, re-run after
corrections with the differences listed, exported to XLSX; only the institution's registrar may use it."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from menkan.web.fees import services
from menkan.web.fees.models import FeeLine, FeeRun, FeeTerm
from menkan.web.fees.selectors import fee_run_diff
from menkan.web.records.models import CourseRecord

from .test_fees_pages import TERM, FeeWorld, build_fees_world, now, nthu_document, passed

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees_world(db: Any) -> FeeWorld:
    return build_fees_world()


RUNS = "/fees/runs/nthu/"
EXPECTED = {  # student -> (amount, billed, exempt, main explanation) of the NTHU cases in 114-1
    "113062000": (Decimal(10800), 6, 0, "below-threshold"),
    "113062001": (Decimal(5400), 3, 6, "crosses-threshold"),
    "113062002": (Decimal(0), 0, 6, "past-threshold"),
    "113062003": (Decimal(10800), 6, 3, "crosses-threshold"),
    "113062004": (Decimal(10800), 6, 0, "below-threshold"),
    "113764009": (Decimal(65000), 6, 0, "program-schedule"),
}


def close_add_drop(world: FeeWorld, days_ago: int = 1) -> FeeTerm:
    ends = timezone.localdate() - datetime.timedelta(days=days_ago)
    return services.fee_term_set(world.nthu, TERM, ends)


def start(client: Client, term: str = TERM) -> Any:
    return client.post(RUNS, {"term": term, "note": "test"})


def test_the_run_is_refused_before_the_add_drop_period_closes(fees_world: FeeWorld) -> None:
    client = fees_world.client("nthu-registrar")
    response = start(client)
    assert response.status_code == 200
    assert "本學期尚未設定加退選截止日" in response.content.decode()  # no closing date yet
    ends = timezone.localdate() + datetime.timedelta(days=3)
    response = client.post(f"{RUNS}add-drop/", {"term": TERM, "add_drop_ends": ends.isoformat()})
    assert response.status_code == 302
    assert FeeTerm.objects.get(institution=fees_world.nthu, term=TERM).add_drop_ends == ends
    response = start(client)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="refused"' in html
    assert f"本學期加退選至 {ends.isoformat()} 截止" in html
    # the last day of add/drop itself is still inside the period
    services.fee_term_set(fees_world.nthu, TERM, timezone.localdate())
    english = start(fees_world.client("nthu-registrar", "en")).content.decode()
    assert "credit fees are computed after it closes" in english
    assert not FeeRun.objects.exists()


def test_the_run_after_add_drop_stores_every_students_statement(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    response = start(fees_world.client("nthu-registrar"))
    run = FeeRun.objects.get()
    assert response.status_code == 302 and response.url == f"/fees/run/{run.pk}/"
    assert run.state == FeeRun.State.DONE and run.term == TERM and run.started_by == fees_world.users["nthu-registrar"]
    lines = {line.student_code: line for line in FeeLine.objects.filter(run=run)}
    assert {
        code: (line.amount, line.billed_credits, line.exempt_credits, line.explanation) for code, line in lines.items()
    } == EXPECTED
    assert lines["113062001"].statement["schema"] == "menkan.fees/1"
    assert run.total_amount == sum(amount for amount, *_ in EXPECTED.values())
    assert run.billed_students == 6 and run.failed == 0
    html = fees_world.client("nthu-registrar").get(f"/fees/run/{run.pk}/").content.decode()
    assert 'data-student="113062001"' in html and "NT$ 5,400" in html
    assert "本學期第一次計算" in html


def test_a_re_run_after_corrections_lists_the_differences(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    client = fees_world.client("nthu-registrar", "en")
    start(client)
    first = FeeRun.objects.get()
    # Corrections: a grade of 113-1 was wrong (85 → 50, failed: 3 credits fewer accumulate), a course of the
    # term was dropped during add/drop after all (removed from the record), and a student left the term.
    crossing = fees_world.students["crossing"]
    CourseRecord.objects.filter(student=crossing, code="P113-10").update(grade="50")
    CourseRecord.objects.filter(student=fees_world.students["below"], code="PE1").delete()
    CourseRecord.objects.filter(student=fees_world.students["past"], term=TERM).delete()
    response = start(client)
    second = FeeRun.objects.exclude(pk=first.pk).get()
    assert response.url == f"/fees/run/{second.pk}/"
    diff = fee_run_diff(second)
    assert diff.previous == first
    assert [(c.student_code, c.old, c.new) for c in diff.changed] == [
        ("113062000", Decimal(10800), Decimal(9000)),  # PE1 (1 credit) no longer billed
        ("113062001", Decimal(5400), Decimal(10800)),  # 18 accumulated, not 21: 6 credits billed, not 3
    ]
    assert [(c.student_code, c.old) for c in diff.removed] == [("113062002", Decimal(0))]
    assert diff.added == []
    html = client.get(f"/fees/run/{second.pk}/").content.decode()
    assert f"Differences to run {first.pk}" in html
    assert "113062001 研究生001: NT$ 5,400 → NT$ 10,800" in html
    assert "113062000 研究生000: NT$ 10,800 → NT$ 9,000" in html
    assert 'id="diff-removed"' in html and 'data-student="113062002"' in html
    # both runs are kept (history), listed on the runs page
    runs_page = client.get(RUNS).content.decode()
    assert f'data-run="{first.pk}"' in runs_page and f'data-run="{second.pk}"' in runs_page
    assert FeeLine.objects.filter(run=first).count() == 6


def test_a_student_added_to_the_term_shows_as_added(fees_world: FeeWorld) -> None:
    from menkan.web.records.services import student_import_document

    close_add_drop(fees_world)
    first = services.fee_run_start(fees_world.nthu, TERM)
    student_import_document(fees_world.nthu, nthu_document("113062099", *passed(2), now("N1")))
    second = services.fee_run_start(fees_world.nthu, TERM)
    diff = fee_run_diff(second)
    assert diff.previous == first
    assert [(c.student_code, c.new) for c in diff.added] == [("113062099", Decimal(5400))]
    assert not diff.changed and not diff.removed


def test_the_run_exports_to_xlsx(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    run = services.fee_run_start(fees_world.nthu, TERM)
    response = fees_world.client("nthu-registrar", "en").get(f"/fees/run/{run.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"fees-nthu-{TERM}-run{run.pk}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("institution", "term", "run", "student_id")
    by_student = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_student) == set(EXPECTED)
    crossing = by_student["113062001"]
    assert (crossing["amount"], crossing["billed_credits"], crossing["exempt_credits"]) == (5400, 3, 6)
    assert crossing["explanation"] == "crosses-threshold"
    assert "only 3 are billed" in crossing["explanation_text"]
    assert crossing["previous_amount"] in ("", None)


def test_only_the_institutions_registrar_may_see_or_start_its_fee_runs(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    run = services.fee_run_start(fees_world.nthu, TERM)
    foreign = fees_world.client("nycu-registrar")
    assert foreign.get(RUNS).status_code == 403
    assert start(foreign).status_code == 403
    assert foreign.post(f"{RUNS}add-drop/", {"term": "114-2", "add_drop_ends": "2026-03-01"}).status_code == 403
    assert foreign.get(f"/fees/run/{run.pk}/").status_code == 403
    assert foreign.get(f"/fees/run/{run.pk}/export.xlsx").status_code == 403
    student = fees_world.client("student")
    assert student.get(RUNS).status_code == 403 and start(student).status_code == 403
    assert student.get("/fees/runs/").status_code == 403
    assert FeeRun.objects.count() == 1 and not FeeTerm.objects.filter(term="114-2").exists()
    # the registrar's own: /fees/runs/ sends them to their institution's runs
    assert fees_world.client("nthu-registrar").get("/fees/runs/").url == RUNS


def test_a_run_is_a_celery_task_and_is_not_computed_twice(fees_world: FeeWorld, monkeypatch: Any) -> None:
    from menkan.web.fees import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.fee_run_task, "delay", lambda pk: queued.append(pk))
    close_add_drop(fees_world)
    run = services.fee_run_start(fees_world.nthu, TERM)
    assert queued == [run.pk] and run.state == FeeRun.State.QUEUED
    # while it waits for a worker, another start of the term is refused
    with pytest.raises(services.FeeRunRefused):
        services.fee_run_start(fees_world.nthu, TERM)
    tasks.fee_run_task(run.pk)
    tasks.fee_run_task(run.pk)  # delivered twice
    run.refresh_from_db()
    assert run.state == FeeRun.State.DONE and FeeLine.objects.filter(run=run).count() == len(EXPECTED)


def test_a_student_whose_record_does_not_validate_is_reported_and_the_run_goes_on(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    CourseRecord.objects.filter(student=fees_world.students["past"], code="C1").update(credits=Decimal(-3))
    run = services.fee_run_start(fees_world.nthu, TERM)
    assert run.state == FeeRun.State.DONE and run.failed == 1
    assert run.errors[0]["student_id"] == "113062002" and "credits" in run.errors[0]["reason"]
    assert run.billed_students == len(EXPECTED) - 1


def test_nycu_run_bills_the_extension_students_and_no_one_in_the_regular_period(fees_world: FeeWorld) -> None:
    from menkan.web.records.services import student_import_document

    from .test_fees_pages import nycu_document

    student_import_document(fees_world.nycu, nycu_document("0810011", [3, 3], status="enrolled"))
    services.fee_term_set(fees_world.nycu, TERM, timezone.localdate() - datetime.timedelta(days=30))
    response = fees_world.client("nycu-registrar").post("/fees/runs/nycu/", {"term": TERM})
    run = FeeRun.objects.get(institution=fees_world.nycu)
    assert response.status_code == 302
    assert {line.student_code: (line.amount, line.explanation) for line in run.lines.all()} == {
        "0810009": (Decimal(10500 + 9 * 1600), "extension-basic"),
        "0810010": (Decimal(30500), "extension-full"),
    }
    assert (run.considered, run.billed_students) == (3, 2)


def test_the_run_page_names_each_lines_schedule_and_explanation_in_words(fees_world: FeeWorld) -> None:
    close_add_drop(fees_world)
    start(fees_world.client("nthu-registrar"))
    run = FeeRun.objects.get()
    html = fees_world.client("nthu-registrar").get(f"/fees/run/{run.pk}/").content.decode()
    assert '<td data-explanation="crosses-threshold">本學期達到門檻</td>' in html
    assert '<td data-explanation="program-schedule">依專班收費標準</td>' in html
    assert ">crosses-threshold<" not in html and ">graduate-credits<" not in html
    english = fees_world.client("nthu-registrar", "en").get(f"/fees/run/{run.pk}/").content.decode()
    assert '<td data-explanation="past-threshold">Past the threshold: no credit fee</td>' in english
