"""Certificate applications: weeks 13–18, the audit attached (refused when the program is not met), the four
steps in order, return and resubmit, reject, one certificate, the PDF and the public verification page, reviewers'
queues and scopes, and two reviewers acting at once (one decision)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from menkan.web.accounts.models import Role
from menkan.web.programs import services
from menkan.web.programs.models import Application, Event, IssuedCertificate
from menkan.web.programs.selectors import review_queue

from .conftest import World
from .races import decide_at_once
from .test_programs_support import (
    Reviewers,
    add_courses,
    application,
    calendar,
    publish_programs,
    register,
    staff,
    worked_example,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English (the portal's default language is zh-TW)."""
    with translation.override("en"):
        yield


@pytest.fixture
def ready(world: World) -> World:
    """The own student (土木系) has met AVM, is registered, and today is in week 14 of 113-1."""
    publish_programs()
    calendar(world.institution)
    add_courses(world.own, worked_example())
    register(world.own, "AVM")
    return world


def reviewers(world: World) -> Reviewers:
    u = world.users
    return Reviewers(u["program-contact"], u["program-head"], u["department-officer"], u["department-head"])


def submitted(world: World) -> Application:
    return services.application_submit(world.own, "AVM", user=world.users["student"])


def approve(app: Application, user, step: int) -> Application:  # type: ignore[no-untyped-def]
    return services.application_decide(app.pk, user=user, expected_step=step, decision="approve")


# --------------------------------------------------------------------------------------------------- applying


def test_an_application_attaches_the_audit_that_shows_the_program_met(ready: World) -> None:
    app = submitted(ready)
    assert (app.state, app.step, app.term) == ("review", 1, "113-1")
    nodes = {}

    def visit(items):  # type: ignore[no-untyped-def]
        for node in items:
            nodes[node["id"]] = node
            visit(node.get("children", []))

    visit(app.audit["requirements"])
    assert app.audit["student_id"] == ready.own.student_id
    assert nodes["micro-program.AVM"]["status"] == "met"
    assert [(e.action, e.actor) for e in app.events.all()] == [("submit", ready.users["student"])]


def test_applications_are_taken_in_weeks_13_to_18_only(ready: World) -> None:
    today = timezone.localdate()
    for weeks_later in (-2, 5):  # week 12 and week 19
        with pytest.raises(services.ProgramError, match="weeks 13–18"):
            services.application_submit(
                ready.own, "AVM", user=ready.users["student"], today=today + timedelta(weeks=weeks_later)
            )
    assert services.application_submit(ready.own, "AVM", user=None, today=today + timedelta(weeks=4)).step == 1


def test_an_unmet_program_is_refused_saying_what_is_missing(world: World) -> None:
    publish_programs()
    calendar(world.institution)
    add_courses(world.own, worked_example()[:3])  # no capstone course, 6 credits
    register(world.own, "AVM")
    with translation.override("en"), pytest.raises(services.ProgramError) as refused:
        services.application_submit(world.own, "AVM", user=None)
    message = str(refused.value)
    assert message.startswith("AVM is not met yet: ") and "more needed" in message, message
    assert not Application.objects.exists()


def test_one_must_be_registered_to_apply(world: World) -> None:
    publish_programs()
    calendar(world.institution)
    add_courses(world.own, worked_example())
    with pytest.raises(services.ProgramError, match=r"register first"):
        services.application_submit(world.own, "AVM", user=None)


def test_a_second_application_for_the_same_program_is_refused(ready: World) -> None:
    submitted(ready)
    with pytest.raises(services.ProgramError):
        submitted(ready)
    assert Application.objects.count() == 1


# --------------------------------------------------------------------------------------------------- the steps


def test_four_steps_in_order_then_one_certificate(ready: World) -> None:
    people = reviewers(ready)
    app = submitted(ready)
    for step in (1, 2, 3, 4):
        app = approve(app, people.of(step), step)
    assert app.state == "issued"
    certificate = IssuedCertificate.objects.get(application=app)
    assert len(certificate.code) >= 20 and certificate.student_name == ready.own.name
    actions = [(e.step, e.action, e.actor) for e in app.events.all()]
    assert actions == [
        (None, "submit", ready.users["student"]),
        (1, "approve", people.contact),
        (2, "approve", people.head),
        (3, "approve", people.officer),
        (4, "approve", people.dept_head),
        (None, "issue", people.dept_head),
    ]
    with pytest.raises(services.StaleStep):  # the fourth approval again: nothing more
        approve(app, people.dept_head, 4)
    assert IssuedCertificate.objects.count() == 1


def test_a_department_head_cannot_approve_at_step_1(ready: World) -> None:
    app = submitted(ready)
    for user in (ready.users["department-head"], ready.users["department-officer"], ready.users["program-head"]):
        with pytest.raises(PermissionDenied):
            approve(app, user, 1)
    app.refresh_from_db()
    assert (app.step, app.events.count()) == (1, 1)


def test_a_stale_form_is_refused_with_a_clear_message(ready: World) -> None:
    people = reviewers(ready)
    app = approve(submitted(ready), people.contact, 1)
    with pytest.raises(services.StaleStep, match="moved on"):
        approve(app, people.contact, 1)  # the contact's page still showed step 1
    app.refresh_from_db()
    assert app.step == 2 and app.events.filter(action="approve").count() == 1


def test_return_with_a_reason_then_resubmit_starts_again_at_step_1(ready: World) -> None:
    people = reviewers(ready)
    app = approve(submitted(ready), people.contact, 1)
    with pytest.raises(services.ProgramError, match="reason"):
        services.application_decide(app.pk, user=people.head, expected_step=2, decision="return", reason=" ")
    app = services.application_decide(
        app.pk, user=people.head, expected_step=2, decision="return", reason="附上歷年成績單"
    )
    assert app.state == "returned"
    with pytest.raises(services.StaleStep):
        approve(app, people.head, 2)
    app = services.application_resubmit(app, user=ready.users["student"])
    assert (app.state, app.step) == ("review", 1)
    returned = app.events.get(action="return")
    assert (returned.step, returned.actor, returned.reason) == (2, people.head, "附上歷年成績單")
    assert [e.action for e in app.events.all()] == ["submit", "approve", "return", "resubmit"]


def test_reject_is_final(ready: World) -> None:
    people = reviewers(ready)
    app = approve(approve(submitted(ready), people.contact, 1), people.head, 2)
    app = services.application_decide(
        app.pk, user=people.officer, expected_step=3, decision="reject", reason="跨域學分不足"
    )
    assert app.state == "rejected"
    with pytest.raises(services.StaleStep):
        approve(app, people.officer, 3)
    with pytest.raises(services.ProgramError):
        services.application_resubmit(app, user=ready.users["student"])
    assert not IssuedCertificate.objects.exists()


def test_a_program_contact_of_avm_cannot_act_on_another_programs_application(world: World) -> None:
    publish_programs()
    other_program = application(world.own, "AV2")
    with pytest.raises(PermissionDenied):
        approve(other_program, world.users["program-contact"], 1)
    assert list(review_queue(world.users["program-contact"])) == []
    contact_av2 = staff("contact-av2", Role.PROGRAM_CONTACT, world.institution, program="AV2")
    assert list(review_queue(contact_av2)) == [other_program]
    approve(other_program, contact_av2, 1)


def test_queues_hold_the_applications_at_each_reviewers_step(world: World) -> None:
    publish_programs()
    at = {step: application(s, "AVM", step=step) for step, s in ((1, world.own), (3, world.other))}
    own_at_4 = application(world.own, "AV2", step=4)
    u = world.users
    assert list(review_queue(u["program-contact"])) == [at[1]]
    assert list(review_queue(u["program-head"])) == []
    assert list(review_queue(u["department-officer"])) == []  # step 3 is another department's student
    assert list(review_queue(u["department-head"])) == [own_at_4]
    page = world.client("program-contact").get(reverse("programs:queue"))
    assert page.status_code == 200 and world.own.student_id in page.content.decode()
    assert world.other.student_id not in page.content.decode()


# --------------------------------------------------------------------------------------------------- pages


def _issued(world: World) -> Application:
    people = reviewers(world)
    app = submitted(world)
    for step in (1, 2, 3, 4):
        app = approve(app, people.of(step), step)
    return app


def test_the_review_page_shows_the_attached_audit_and_takes_a_decision(ready: World) -> None:
    app = submitted(ready)
    client = ready.client("program-contact")
    page = client.get(reverse("programs:application", kwargs={"pk": app.pk})).content.decode()
    assert 'data-requirement="micro-program.AVM"' in page and 'name="step" value="1"' in page
    response = client.post(reverse("programs:decide", kwargs={"pk": app.pk}), {"step": "1", "decision": "approve"})
    assert response.status_code == 302
    stale = client.post(reverse("programs:decide", kwargs={"pk": app.pk}), {"step": "1", "decision": "approve"})
    assert stale.status_code == 302
    followed = client.get(stale.url).content.decode()
    assert "moved on since your page was shown" in followed or "此申請在你開啟頁面後已有進展" in followed
    app.refresh_from_db()
    assert app.step == 2 and app.events.filter(action="approve").count() == 1
    refused = ready.client("department-head").post(
        reverse("programs:decide", kwargs={"pk": app.pk}), {"step": "2", "decision": "approve"}
    )
    assert refused.status_code == 403


def test_certificate_pdf_and_public_verification(ready: World) -> None:
    app = _issued(ready)
    code = app.certificate.code
    pdf = ready.client("student").get(reverse("programs:certificate-pdf", kwargs={"pk": app.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    from django.test import Client

    page = Client().get(reverse("programs:verify", kwargs={"code": code}))
    text = page.content.decode()
    assert page.status_code == 200
    assert ready.own.name in text and "綠建築" in text and app.certificate.issued_on.isoformat() in text
    assert ready.own.student_id not in text and "測量學" not in text  # not the record
    assert Client().get(reverse("programs:verify", kwargs={"code": code[:-2] + "xx"})).status_code == 404


def test_a_student_sees_only_their_own_applications(ready: World) -> None:
    app = submitted(ready)
    url = reverse("programs:application", kwargs={"pk": app.pk})
    assert ready.client("student").get(url).status_code == 200
    assert ready.client("other-student").get(url).status_code == 403
    assert ready.client("unit-staff").get(url).status_code == 403
    assert ready.client("other-student").post(reverse("programs:resubmit", kwargs={"pk": app.pk})).status_code == 403


# --------------------------------------------------------------------------------------------------- the race


def _race(app_pk: int, users: list, step: int) -> list[str]:  # type: ignore[type-arg]
    """Each user approves `step` at once (threads released together); returns what each got."""
    return decide_at_once(
        users,
        lambda user: services.application_decide(app_pk, user=user, expected_step=step, decision="approve"),
        services.StaleStep,
    )


def assert_one_decision(outcomes: list[str]) -> None:
    """One reviewer decides; the other is told the application moved on. PostgreSQL makes the second wait
    for the row lock and then see the new step. The in-memory SQLite test database (threads share it through
    one shared cache) refuses the second writer with a table lock instead of waiting (a file database with
    IMMEDIATE transactions and a busy timeout, as deployed, waits): either way, never a second decision."""
    assert outcomes.count("decided") == 1, outcomes
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["decided", "stale"], outcomes
    else:
        assert all(o == "stale" or "locked" in o for o in outcomes if o != "decided"), outcomes


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_make_one_decision_and_one_certificate(world: World) -> None:
    publish_programs()
    second_contact = staff("contact-2", Role.PROGRAM_CONTACT, world.institution, program="AVM")
    app = application(world.own, "AVM", step=1)
    outcomes = _race(app.pk, [world.users["program-contact"], second_contact], 1)
    assert_one_decision(outcomes)
    app.refresh_from_db()
    assert app.step == 2 and Event.objects.filter(application=app, action="approve").count() == 1
    second_head = staff("dept-head-2", Role.DEPARTMENT_HEAD, world.institution, department=world.own.department)
    Application.objects.filter(pk=app.pk).update(step=4)
    outcomes = _race(app.pk, [world.users["department-head"], second_head], 4)
    assert_one_decision(outcomes)
    app.refresh_from_db()
    assert app.state == "issued" and IssuedCertificate.objects.filter(application=app).count() == 1
    assert Event.objects.filter(application=app, action="issue").count() == 1


def test_the_application_page_links_the_code_to_the_public_verification(ready: World) -> None:
    app = _issued(ready)
    page = ready.client("student").get(reverse("programs:application", kwargs={"pk": app.pk})).content.decode()
    verify = reverse("programs:verify", kwargs={"code": app.certificate.code})
    assert f'<a href="{verify}" id="verify-link">' in page
