"""Publishing a policy folder: validated first, old versions kept, students re-audited, republishing is a no-op."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from menkan.cli import main
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.web.audits.models import AuditResult, PolicyVersion

from .conftest import World

pytestmark = pytest.mark.django_db


def requirement(nodes: list[dict], requirement_id: str) -> dict:  # type: ignore[type-arg]
    for node in nodes:
        if node["id"] == requirement_id:
            return node
        found = requirement(node["children"], requirement_id) if node["children"] else None
        if found:
            return found
    return {}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_publishing_a_changed_folder_makes_a_new_current_version_and_re_audits(
    world: World,
    tmp_path: Path,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    graduation = folder / "graduation.yaml"
    graduation.write_text(graduation.read_text(encoding="utf-8").replace("min: 132", "min: 130"), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        code, out, err = run("policy", "publish", str(folder), "--note", "132 → 130")
    assert code == 0, err
    assert out.startswith("ntut: version 2 is current")
    versions = list(PolicyVersion.objects.filter(institution=world.institution).order_by("version"))
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[1].note == "132 → 130"
    stored = AuditResult.objects.get(student=world.own)
    assert stored.policy_version == versions[1]
    assert requirement(stored.document["requirements"], "graduation.credits")["required"] == 130
    code, _, _ = run("policy", "publish", str(folder))
    assert code == 0
    assert PolicyVersion.objects.filter(institution=world.institution).count() == 2  # same files: no new version


def test_a_broken_folder_is_refused_and_nothing_changes(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "ntut"
    shutil.copytree(SHIPPED_POLICIES / "ntut", folder)
    (folder / "graduation.yaml").write_text("schema: menkan.policy/1\nid: [broken\n", encoding="utf-8")
    code, _, err = run("policy", "publish", str(folder))
    assert code == 2
    assert "graduation.yaml:3 $: not valid YAML" in err
    assert PolicyVersion.objects.filter(institution=world.institution).count() == 1
