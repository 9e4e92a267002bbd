"""Programs pages: the catalogue of every program (plan, rules, host, contact, review steps), the student's
progress on every program (what-if, ranked, with a register link), and the worked example (土木系 → 綠建築)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from menkan.web.programs.selectors import programs_of, student_progress

from .conftest import World
from .test_programs_support import add_courses, calendar, publish_programs, shipped_has_programs, worked_example

pytestmark = pytest.mark.django_db
# the review steps in order, as the program page lists them (zh-TW: the portal's default language)
STEP_LABELS = [("學程聯絡人", "學程負責人"), ("學程負責人", "系所承辦人"), ("系所承辦人", "系所主管")]


@pytest.fixture
def programs(world: World) -> World:
    publish_programs()
    return world


def test_the_catalogue_lists_every_program_with_host_and_contact(programs: World) -> None:
    listed = programs_of(programs.institution)
    if shipped_has_programs():
        assert len(listed) == 49 and all(p.node is not None for p in listed.values())
    page = programs.client("student").get(reverse("programs:catalogue")).content.decode()
    assert page.count("data-program=") == len(listed) == 49  # the catalogue holds all 49 of 115-1
    assert "綠建築微學程" in page and "建築系" in page and "廖硃岑" in page


def test_a_program_page_shows_plan_rules_and_review(programs: World) -> None:
    page = programs.client("mentor").get(reverse("programs:program", kwargs={"code": "AVM"})).content.decode()
    assert "綠建築概論" in page and "總整" in page  # the plan, by tier
    assert "修習至少二門為非原系課程" in page  # the rules as the plan states them
    steps = page[page.index('id="review"') :]
    assert [steps.index(label) < steps.index(after) for label, after in STEP_LABELS] == [True, True, True]
    if programs_of(programs.institution)["AVM"].review:
        assert "內容相近" in page  # what the policy leaves to the reviewers
    assert programs.client("mentor").get(reverse("programs:program", kwargs={"code": "XXX"})).status_code == 404


def test_progress_ranks_every_program_and_the_worked_example_comes_first(programs: World) -> None:
    add_courses(programs.own, worked_example())
    report = student_progress(programs.own)
    assert len(report.rows) == len([p for p in programs_of(programs.institution).values() if p.node is not None])
    first = report.rows[0]
    assert (first.program.code, first.status, first.credits_left) == ("AVM", "met", 0)
    completable = [r for r in report.rows if r.completable]
    assert all(r.completable for r in report.rows[: len(completable)])  # eligible ones first
    keys = [(r.credits_left, r.courses_left) for r in completable if r.counts and r.status != "met"]
    assert keys == sorted(keys)  # then by what is left
    assert not next(r for r in report.rows if r.program.code == "AVM").excluded_by


def test_the_progress_page_offers_registration_to_the_student_only(programs: World) -> None:
    calendar(programs.institution)
    add_courses(programs.own, worked_example())
    url = reverse("programs:student", kwargs={"institution": "ntut", "student_id": programs.own.student_id})
    page = programs.client("student").get(url).content.decode()
    assert 'data-program="AVM"' in page and 'name="program" value="AVM"' in page
    assert "engine-time" in page
    staff_page = programs.client("department-officer").get(url).content.decode()
    assert 'data-program="AVM"' in staff_page and 'name="program" value="AVM"' not in staff_page
    assert programs.client("other-student").get(url).status_code == 403  # a student may see nobody else


def test_the_demo_leaves_an_avm_application_at_the_contacts_step_and_runs_twice(programs: World) -> None:
    import io

    from menkan.web.programs import demo
    from menkan.web.programs.models import Application, ProgramTerm
    from menkan.web.programs.selectors import review_queue

    for _ in range(2):
        assert demo.demo_load(io.StringIO()) == []
    waiting = list(review_queue(programs.users["program-contact"]))
    assert [(a.student.student_id, a.program, a.step, a.term) for a in waiting] == [
        (demo.EXAMPLE_ID, "AVM", 1, "114-1")
    ]
    assert Application.objects.count() == 1
    assert ProgramTerm.objects.get(term="114-1").registration_opens.isoformat() == "2025-09-08"
    assert waiting[0].program_result["status"] == "met"


def test_progress_is_as_of_the_term_the_portal_is_in(programs: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outlook is as of the institution's current term (the stored audit's), not the latest term the record
    mentions: a course pre-registered for a later semester does not move it there."""
    import menkan.engine
    from menkan.engine import Term, student_from_dict
    from menkan.web.audits.services import audit_as_of
    from menkan.web.records.calendar import term_current
    from menkan.web.records.selectors import student_document

    add_courses(programs.own, worked_example())
    later = {"code": "LATER", "title": "預選", "credits": 2, "term": "130-1", "grade": "85", "category": "free"}
    add_courses(programs.own, [later])
    # The engine's entry point is wrapped, not a function inside it: the compiled engine calls its own functions
    # directly, past any module attribute a test replaces.
    real_outlook = menkan.engine.program_outlook
    seen: list[Term] = []

    def outlook(runtime: object, student: object, *, as_of: Term, **kw: object) -> object:
        seen.append(as_of)
        return real_outlook(runtime, student, as_of=as_of, **kw)

    monkeypatch.setattr(menkan.engine, "program_outlook", outlook)
    student_progress(programs.own)
    record = student_from_dict(student_document(programs.own))
    assert seen == [audit_as_of(record, term_current(programs.institution))]
    assert seen[0] < Term.parse("130-1")
