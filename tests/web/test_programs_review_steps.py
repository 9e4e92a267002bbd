"""The certificate review steps are the policy's (`workflows.micro_programs.review`): another order changes who
acts and when, and a step naming a role the portal does not have is refused where it is written."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from menkan.cli import main
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.engine.policy.workflows import REVIEW_SCOPES
from menkan.web.accounts.models import Role
from menkan.web.audits.services import files_of_folder, policy_publish
from menkan.web.programs import services
from menkan.web.programs.models import Application
from menkan.web.programs.selectors import is_reviewer, review_queue, review_steps

from .conftest import World
from .test_programs_support import TEST_POLICY, application, shipped_has_programs

pytestmark = pytest.mark.django_db

SHIPPED_REVIEW_START = "    review:\n    - id: program-contact\n"
#: three steps, the registrar last: the program head, the student's department head, the registrar
THREE_STEPS = """    review:
    - id: program-head
      title: {zh-TW: 學程負責人, en: Program head}
      role: program-head
      scope: program
    - id: department-head
      title: {zh-TW: 系所主管, en: Department head}
      role: department-head
      scope: department
    - id: registrar
      title: {zh-TW: 教務處註冊組, en: Registration office}
      role: registrar
      scope: institution
"""


def ntut_with_review(tmp_path: Path, review: str) -> Path:
    """The shipped NTUT policy folder with its review steps replaced by `review` (and micro-programs to apply for)."""
    folder = tmp_path / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    settings = folder / "institution.yaml"
    text = settings.read_text(encoding="utf-8")
    start = text.index(SHIPPED_REVIEW_START)
    end = text.index("    cites: NTUT 微學程證書申請\n", start)
    settings.write_text(text[:start] + review + text[end:], encoding="utf-8")
    if not shipped_has_programs():
        shutil.copy(TEST_POLICY, folder / TEST_POLICY.name)
    return folder


def decide(app: Application, user, step: int) -> Application:  # type: ignore[no-untyped-def]
    return services.application_decide(app.pk, user=user, expected_step=step, decision="approve")


def test_a_policy_with_three_steps_registrar_last_changes_who_acts_and_in_which_order(
    world: World, tmp_path: Path
) -> None:
    policy_publish(files_of_folder(ntut_with_review(tmp_path, THREE_STEPS)), reaudit=False)
    assert [step.id for step in review_steps(world.institution)] == ["program-head", "department-head", "registrar"]
    u = world.users
    app = application(world.own, "AVM")

    assert list(review_queue(u["program-contact"])) == [] and not is_reviewer(u["program-contact"])
    with pytest.raises(PermissionDenied):  # the contact's step is gone: the head decides first
        decide(app, u["program-contact"], 1)
    assert list(review_queue(u["program-head"])) == [app]
    app = decide(app, u["program-head"], 1)
    assert (app.step, app.step_title["en"]) == (2, "Department head")

    with pytest.raises(PermissionDenied):  # the officer has no step any more
        decide(app, u["department-officer"], 2)
    assert list(review_queue(u["department-head"])) == [app]
    app = decide(app, u["department-head"], 2)
    assert (app.state, app.step) == ("review", 3)

    assert is_reviewer(u["registrar"]) and list(review_queue(u["registrar"])) == [app]
    assert list(review_queue(u["foreign-registrar"])) == []  # the registrar's scope is their own institution
    page = world.client("registrar").get(reverse("programs:application", kwargs={"pk": app.pk})).content.decode()
    assert "教務處註冊組" in page and 'name="step" value="3"' in page
    app = decide(app, u["registrar"], 3)
    assert app.state == "issued" and app.certificate is not None  # after the third step: no fourth
    assert [(e.step, e.action) for e in app.events.all()] == [
        (1, "approve"),
        (2, "approve"),
        (3, "approve"),
        (None, "issue"),
    ]


def test_the_program_page_lists_the_policys_steps_in_order(world: World, tmp_path: Path) -> None:
    policy_publish(files_of_folder(ntut_with_review(tmp_path, THREE_STEPS)), reaudit=False)
    page = world.client("mentor").get(reverse("programs:program", kwargs={"code": "AVM"})).content.decode()
    review = page[page.index('id="review"') :]
    assert review.index("學程負責人") < review.index("系所主管") < review.index("教務處註冊組")
    assert "系所承辦人" not in review


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), err.getvalue()


def test_a_review_step_with_an_unknown_role_or_a_scope_its_role_lacks_is_refused_at_its_line(tmp_path: Path) -> None:
    folder = ntut_with_review(tmp_path, THREE_STEPS.replace("role: registrar", "role: dean"))
    line = 1 + (folder / "institution.yaml").read_text(encoding="utf-8").splitlines().index("      role: dean")
    code, err = run("policy", "check", str(folder))
    assert code == 2
    assert f"institution.yaml:{line} $.workflows.micro_programs.review[2].role: must be one of 'program-contact'" in err

    folder = ntut_with_review(tmp_path / "scope", THREE_STEPS.replace("scope: department", "scope: program"))
    code, err = run("policy", "check", str(folder))
    assert code == 2 and "a department-head's assignments have no program scope" in err


def test_the_review_roles_of_the_policy_language_are_roles_of_the_portal() -> None:
    assert set(REVIEW_SCOPES) <= set(Role.values)
