"""NTUT micro-programs in the browser: a 土木系 student who has the 綠建築 (AVM) courses sees their progress on every
program, registers in AVM, applies; the program contact, program head, department officer and department head approve
in that order; the certificate is issued and its public verification page shows it to anyone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from menkan.web.programs import services
from menkan.web.programs.models import IssuedCertificate

from ..conftest import PASSWORD, World
from ..test_programs_support import (
    add_courses,
    calendar,
    publish_programs,
    register,
    shipped_has_programs,
    worked_example,
)
from .conftest import shot
from .test_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def avm(live_world: World) -> World:
    publish_programs()
    calendar(live_world.institution)  # 113-1, today in week 14, the registration window open
    add_courses(live_world.own, worked_example())
    return live_world


def test_a_student_registers_applies_and_four_reviewers_issue_the_certificate(
    live_server: Any, avm: World, browser: Any
) -> None:
    base = live_server.url
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "student", PASSWORD)
    student.wait_for_load_state()
    student.click(f"nav a[href$='/programs/students/ntut/{avm.own.student_id}/']")
    student.wait_for_selector("#progress")
    rows = student.locator("#progress tbody tr[data-program]")
    assert rows.count() == (49 if shipped_has_programs() else 2)
    assert re.fullmatch(r"計算耗時 \d+ 毫秒。", student.inner_text("#engine-time"))
    avm_row = student.locator('#progress tr[data-program="AVM"]')
    assert avm_row.locator(".status").inner_text() == "通過"
    assert "AVM" not in student.inner_text("#registrations")
    shot(student, "programs-student-progress")

    avm_row.locator("button").click()  # register for this program
    student.wait_for_selector("#registrations")
    assert "AVM" in student.inner_text("#registrations") and "113-1" in student.inner_text("#registrations")
    student.locator('#progress tr[data-program="AVM"] button').click()  # apply for the certificate
    student.wait_for_load_state()
    student.goto(f"{base}/programs/students/ntut/{avm.own.student_id}/")
    application = student.locator("#applications tbody tr", has_text="AVM")
    assert application.count() == 1
    application.locator("a").first.click()
    student.wait_for_selector("#state")
    application_url = student.url
    assert "1" in student.inner_text(".card p >> nth=1")
    assert student.locator("#decide").count() == 0  # the student does not decide
    shot(student, "programs-application-submitted")

    for step, username in enumerate(
        ("program-contact", "program-head", "department-officer", "department-head"), start=1
    ):
        reviewer = browser.new_context(locale="zh-TW").new_page()
        log_in(reviewer, base, username, PASSWORD)
        reviewer.wait_for_load_state()
        reviewer.click("nav a[href$='/programs/reviews/']")
        reviewer.wait_for_selector("#queue")
        waiting = reviewer.locator("#queue tbody tr", has_text=avm.own.student_id)
        assert waiting.count() == 1, username
        assert waiting.locator("td").nth(4).inner_text().startswith(str(step))
        waiting.locator("a").click()
        reviewer.wait_for_selector("#decide")
        reviewer.click("#decide button[value=approve]")
        reviewer.wait_for_load_state()
        shot(reviewer, f"programs-step-{step}-approved")
        reviewer.context.close()

    student.goto(application_url)
    state = student.inner_text("#state")
    assert state == "已核發證書", state
    assert student.locator("#steps tbody tr").count() >= 6  # submitted, four approvals, issued
    certificate = IssuedCertificate.objects.get(application__student=avm.own)
    assert certificate.code in student.inner_text("code")
    pdf = student.request.get(f"{base}/programs/applications/{certificate.application_id}/certificate.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    shot(student, "programs-certificate-issued")

    student.click("#verify-link")  # the public page the code on the certificate leads to
    student.wait_for_selector("#verified")
    anyone = browser.new_context(locale="zh-TW").new_page()  # nobody logged in
    anyone.goto(student.url)
    verified = anyone.inner_text("#verified")
    assert avm.own.name in verified and certificate.program_name in verified
    assert avm.own.student_id not in verified  # name, program and date only
    assert certificate.issued_on.strftime("%Y-%m-%d") in verified
    shot(anyone, "programs-verify")
    missing = anyone.goto(f"{base}/programs/verify/not-a-code/")
    assert missing is not None and missing.status == 404


def test_the_catalogue_leads_to_a_programs_plan_and_the_registrar_edits_the_calendar(
    live_server: Any, avm: World, browser: Any
) -> None:
    base = live_server.url
    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "student", PASSWORD)
    student.wait_for_load_state()
    student.click("nav a[href$='/programs/']")
    student.wait_for_selector("#catalogue")
    assert student.locator("#catalogue tbody tr").count() >= 2
    student.click("#catalogue a[href$='/programs/catalogue/AVM/']")
    student.wait_for_selector("#plan")
    assert "綠建築" in student.inner_text("h1")
    assert "綠建築概論" in student.inner_text("#plan")  # a course of the worked example
    assert student.locator("#review ol li").count() == 4  # the four review steps
    shot(student, "programs-avm")

    registrar = browser.new_context(locale="zh-TW").new_page()
    log_in(registrar, base, "registrar", PASSWORD)
    registrar.wait_for_load_state()
    registrar.click("nav a[href$='/programs/terms/']")
    registrar.wait_for_selector("form.filters")
    form = registrar.locator("form.filters").first
    form.locator("input[name=term]").fill("114-1")
    form.locator("input[name=semester_starts]").fill("2025-09-08")
    form.locator("input[name=add_drop_ends]").fill("2025-09-21")
    form.locator("input[name=registration_opens]").fill("2025-09-08")
    form.locator("input[name=registration_closes]").fill("2025-09-26")
    form.locator("button[type=submit]").click()
    registrar.wait_for_load_state()
    row = registrar.locator("tr", has_text="114-1")
    assert row.count() == 1 and "2025-09-26" in row.inner_text()
    shot(registrar, "programs-terms")


def test_a_returned_application_is_resubmitted_and_starts_again_at_step_one(
    live_server: Any, avm: World, browser: Any
) -> None:
    base = live_server.url
    register(avm.own, "AVM")
    application = services.application_submit(avm.own, "AVM", user=avm.users["student"])
    contact = browser.new_context(locale="zh-TW").new_page()
    log_in(contact, base, "program-contact", PASSWORD)
    contact.wait_for_load_state()
    contact.goto(f"{base}/programs/applications/{application.pk}/")
    contact.wait_for_selector("#decide")
    contact.click("#decide button[value=return]")  # without a reason: refused
    contact.wait_for_load_state()
    assert contact.inner_text("#state") == "審核中"
    assert contact.locator(".message.error, .error").count() >= 1
    contact.fill("#reason", "請補上總整課程成績單")
    contact.click("#decide button[value=return]")
    contact.wait_for_load_state()
    assert contact.inner_text("#state") == "已退回學生"

    student = browser.new_context(locale="zh-TW").new_page()
    log_in(student, base, "student", PASSWORD)
    student.wait_for_load_state()
    student.goto(f"{base}/programs/applications/{application.pk}/")
    assert "請補上總整課程成績單" in student.inner_text("#steps")
    student.click("form[action$='/resubmit/'] button")
    student.wait_for_load_state()
    assert student.inner_text("#state") == "審核中" and "1" in student.inner_text(".card p >> nth=1")
    shot(student, "programs-resubmitted")
