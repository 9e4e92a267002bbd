"""Typed workflow settings: the policy decides who runs a workflow, and a bad setting is refused where it is written."""

from __future__ import annotations

import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from menkan.cli import main
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.web.accounts.models import Role
from menkan.web.accounts.services import role_assign, user_create
from menkan.web.audits.models import PolicyVersion
from menkan.web.audits.services import files_of_folder, policy_publish, policy_publish_shipped
from menkan.web.microcredits import selectors, services
from menkan.web.microcredits.templatetags.microcredits_tags import runs_micro_credits
from menkan.web.records.models import Institution

pytestmark = pytest.mark.django_db

NEW_UNIT = "通識與人文教育處"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def nkust_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "nkust"
    shutil.copytree(SHIPPED_POLICIES / "nkust", folder)
    settings = folder / "institution.yaml"
    text = settings.read_text(encoding="utf-8")
    assert old in text
    settings.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def line_of(folder: Path, text: str) -> int:
    lines = (folder / "institution.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_the_centers_unit_is_the_policys_so_moving_it_moves_who_may_act(tmp_path: Path) -> None:
    policy_publish_shipped("nkust", reaudit=False)
    nkust = Institution.objects.get(code="nkust")
    old_staff, _ = user_create("old-unit-staff")
    new_staff, _ = user_create("new-unit-staff")
    role_assign(old_staff, Role.UNIT_STAFF, nkust.pk, unit="通識教育中心")
    role_assign(new_staff, Role.UNIT_STAFF, nkust.pk, unit=NEW_UNIT)
    assert selectors.is_center_staff(old_staff, nkust.pk)
    assert not selectors.is_center_staff(new_staff, nkust.pk)

    folder = nkust_copy(tmp_path, "owner: {unit: 通識教育中心,", f"owner: {{unit: {NEW_UNIT},")
    policy_publish(files_of_folder(folder), reaudit=False)

    assert selectors.center_unit(nkust) == NEW_UNIT
    assert selectors.is_center_staff(new_staff, nkust.pk)
    assert not selectors.is_center_staff(old_staff, nkust.pk)
    assert runs_micro_credits(new_staff) and not runs_micro_credits(old_staff)
    offering = services.offering_create(nkust, term="114-1", title="感知美學：攝影", hours=Decimal(3))
    assert selectors.offering_get_for_staff(new_staff, offering.pk) == offering
    with pytest.raises(PermissionDenied):
        selectors.offering_get_for_staff(old_staff, offering.pk)


def test_policy_check_and_policy_publish_refuse_a_bad_workflow_setting_at_its_line(tmp_path: Path) -> None:
    policy_publish_shipped("nkust", reaudit=False)
    folder = nkust_copy(tmp_path, "seats_per_module: 5", "seats_per_module: 0")
    where = f"{line_of(folder, 'seats_per_module: 0')} $.workflows.micro_credits.modules.seats_per_module"

    code, out, err = run("policy", "check", str(folder))
    assert code == 2 and out == ""
    assert f"{folder / 'institution.yaml'}:{where}: must be ≥ 1" in err

    code, out, err = run("policy", "publish", str(folder))
    assert code == 2
    assert f"institution.yaml:{where}: must be ≥ 1" in err
    assert PolicyVersion.objects.filter(institution__code="nkust").count() == 1


def test_a_workflow_setting_naming_no_requirement_is_refused_by_check_and_publish(tmp_path: Path) -> None:
    policy_publish_shipped("nkust", reaudit=False)
    folder = nkust_copy(tmp_path, "requirement: ge-micro-credits-imported", "requirement: ge-micro-credit-imports")
    where = f"{line_of(folder, 'ge-micro-credit-imports')} $.workflows.micro_credits.certification.requirement"
    for command in ("check", "publish"):
        code, _, err = run("policy", command, str(folder))
        assert code == 2, command
        assert f"institution.yaml:{where}: no requirement has id 'ge-micro-credit-imports'" in err, command
    assert PolicyVersion.objects.filter(institution__code="nkust").count() == 1


def test_an_unknown_workflow_setting_is_refused(tmp_path: Path) -> None:
    folder = nkust_copy(tmp_path, "    grading: pass-fail\n", "    grading: pass-fail\n    seats: 5\n")
    code, _, err = run("policy", "check", str(folder))
    assert code == 2
    assert f"institution.yaml:{line_of(folder, 'seats: 5')} $.workflows.micro_credits.seats: unknown field" in err
