"""The NTUT 綠建築 (AVM) example: a 土木系 student short of the 6 cross-domain credits files; the department officer's
review step recognises one of their own department's courses as cross-domain (an exception of the record), the
attached audit and every later audit show the program met, and the certificate PDF shows the decision."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from menkan.web.audits.services import student_audit
from menkan.web.programs import services
from menkan.web.programs.models import Application
from menkan.web.records.models import RecordException

from .conftest import World
from .test_programs_support import add_courses, calendar, course, publish_programs, register, worked_example
from .test_programs_workflow import reviewers

pytestmark = pytest.mark.django_db

# 建築節能設計 (建築系, cross-domain for 土木系) swapped for 水文學, a core course of 土木系's own: 4 cross-domain
# credits
HYDROLOGY = course("3403008", "水文學", 2, "112-2", "professional-required")
CROSS = {
    "kind": "recognise",
    "requirement": "micro-program.AVM.cross-domain",
    "course": "3403008",
    "as": "cross-domain",
    "reason": "系課程委員會認定水文學內容屬跨領域（綠建築水資源）",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def short(world: World) -> World:
    publish_programs()
    calendar(world.institution)
    add_courses(world.own, [c for c in worked_example() if c["code"] != "3903423"] + [HYDROLOGY])
    register(world.own, "AVM")
    return world


def program_node(document: dict[str, Any], full_id: str) -> dict[str, Any]:
    def visit(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
        for node in nodes:
            if node.get("id") == full_id:
                return node
            found = visit(node.get("children", []))
            if found is not None:
                return found
        return None

    found = visit(document.get("requirements", []))
    assert found is not None, full_id
    return found


def to_step_3(world: World) -> Application:
    people = reviewers(world)
    app = services.application_submit(world.own, "AVM", user=world.users["student"])
    for step in (1, 2):
        app = services.application_decide(app.pk, user=people.of(step), expected_step=step, decision="approve")
    return app


def test_short_of_cross_domain_credits_the_application_is_taken_for_the_departments_judgement(short: World) -> None:
    app = services.application_submit(short.own, "AVM", user=short.users["student"])
    cross = program_node(app.audit, "micro-program.AVM.cross-domain")
    assert cross["status"] != "met" and program_node(app.audit, "micro-program.AVM")["status"] != "met"


def test_green_building_recognised_by_the_department_at_its_review_step(short: World) -> None:
    people = reviewers(short)
    app = to_step_3(short)
    officer = short.client("department-officer")
    page = officer.get(reverse("programs:application", kwargs={"pk": app.pk})).content.decode()
    assert 'id="judge"' in page and 'value="micro-program.AVM.cross-domain" selected' in page
    response = officer.post(reverse("programs:judge", kwargs={"pk": app.pk}), {"step": "3", **CROSS})
    assert response.status_code == 302
    app.refresh_from_db()
    # the attached audit now shows the 6-credit condition met, with the exception named in its explanation
    cross = program_node(app.audit, "micro-program.AVM.cross-domain")
    assert cross["status"] == "met" and program_node(app.audit, "micro-program.AVM")["status"] == "met"
    (applied,) = cross["exceptions"]
    assert applied["kind"] == "recognise" and "3403008" in applied["explanation"]["en"]
    exception = RecordException.objects.get()
    assert exception.status == "approved" and exception.decided_by == short.users["department-officer"]
    assert app.events.filter(action="judge", step=3).count() == 1
    # every later audit reflects it (as of the registration's term: the stored audit is as of the record's last)
    later = services.audit_as_of(short.own, "113-1")
    assert program_node(later, "micro-program.AVM.cross-domain")["status"] == "met"
    stored = student_audit(short.own)
    assert stored is not None and [e["id"] for e in stored.document["exceptions"]] == [exception.record_id]
    # on to the department head, who issues the certificate; its PDF shows the decision
    app = services.application_decide(app.pk, user=people.of(3), expected_step=3, decision="approve")
    app = services.application_decide(app.pk, user=people.of(4), expected_step=4, decision="approve")
    assert app.state == "issued"
    rendered: list[str] = []
    import weasyprint

    real = weasyprint.HTML

    def capture(*args: Any, **kwargs: Any) -> Any:
        rendered.append(kwargs["string"])
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(weasyprint, "HTML", capture)
        pdf = short.client("student").get(reverse("programs:certificate-pdf", kwargs={"pk": app.pk}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert exception.record_id in rendered[0] and "3403008" in rendered[0] and "cross-domain" in rendered[0]


def test_without_the_judgement_the_certificate_is_not_issued(short: World) -> None:
    people = reviewers(short)
    app = to_step_3(short)
    app = services.application_decide(app.pk, user=people.of(3), expected_step=3, decision="approve")
    with pytest.raises(services.ProgramError, match="record the judgement"):
        services.application_decide(app.pk, user=people.of(4), expected_step=4, decision="approve")
    app.refresh_from_db()
    assert app.state == "review" and not hasattr(app, "certificate")


def test_a_judgement_by_the_wrong_reviewer_or_step_is_refused_and_nothing_written(short: World) -> None:
    app = to_step_3(short)
    for role in ("department-head", "program-contact"):
        with pytest.raises(PermissionDenied):
            services.application_judgement_record(app.pk, user=short.users[role], expected_step=3, fields=CROSS)
    with pytest.raises(services.ProgramError, match="about AVM only"):
        services.application_judgement_record(
            app.pk,
            user=short.users["department-officer"],
            expected_step=3,
            fields={**CROSS, "requirement": "graduation.credits"},
        )
    with pytest.raises(services.ProgramError, match='no course "NOPE"'):
        services.application_judgement_record(
            app.pk, user=short.users["department-officer"], expected_step=3, fields={**CROSS, "course": "NOPE"}
        )
    refused = short.client("department-head").post(
        reverse("programs:judge", kwargs={"pk": app.pk}), {"step": "3", **CROSS}
    )
    assert refused.status_code == 403
    assert not RecordException.objects.exists() and not app.events.filter(action="judge").exists()
