"""The registrar's policy publish page (issue 14 item 1): upload the files, see their impact over the stored
students, confirm; bad uploads are refused with located messages and nothing kept; only the registrar gets in."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from menkan.engine import SHIPPED_POLICIES
from menkan.web.audits.models import PolicyDraft, PolicyVersion
from menkan.web.audits.services import files_of_folder, policy_publish
from menkan.web.records.models import Institution
from menkan.web.records.services import student_import_document
from test_policy_impact import CHANGED, STUDENTS, assert_expected_changes, elective_document, lowered_folder

from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(world: World) -> World:
    for student_id, department, credits in STUDENTS:
        student_import_document(world.institution, elective_document(student_id, department, credits))
    return world


def _uploads(folder: Path) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(path.name, path.read_bytes()) for path in sorted(folder.glob("*.yaml"))]


def _zip(folder: Path) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.glob("*.yaml")):
            archive.write(path, f"{folder.name}/{path.name}")
    return SimpleUploadedFile("ntut.zip", buffer.getvalue())


def _current(code: str = "ntut") -> PolicyVersion:
    return PolicyVersion.objects.get(institution__code=code, is_current=True)


def _upload(client: Client, files: list[SimpleUploadedFile], capture: Any, institution: str = "ntut") -> Any:
    with capture(execute=True):
        return client.post(reverse("audits:policy-index"), {"institution": institution, "files": files, "note": "PE 9"})


def test_the_registrar_previews_the_lowered_minimum_then_publishes_exactly_those_files(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = cohort.client("registrar")
    before = _current()
    folder = lowered_folder(tmp_path)
    response = _upload(client, _uploads(folder), django_capture_on_commit_callbacks)
    draft = PolicyDraft.objects.get()
    assert response.status_code == 302 and response.url == reverse("audits:policy-draft", kwargs={"pk": draft.pk})
    assert draft.state == PolicyDraft.State.READY and draft.base_version == before
    assert draft.files == files_of_folder(folder)
    # the world's own and other students (no electives) and the unchanged ones are compared too, and not listed
    assert draft.report["totals"] == {"audited": 7, "changed": 3, "failed": 0}
    assert_expected_changes(draft.report["students"])
    assert _current() == before, "nothing is published before the confirmation"

    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for student_id in CHANGED:
        assert f'data-student="{student_id}"' in page
    assert 'data-student="B112340007"' not in page and 'data-student="B112590011"' not in page
    assert 'data-requirement="graduation.credits.professional-elective"' in page
    assert 'id="policy-publish"' in page

    response = client.post(reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}), {"checksum": "0" * 64})
    assert response.status_code == 302 and _current() == before, "a confirmation naming other files is refused"
    response = client.post(
        reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}), {"checksum": draft.checksum}
    )
    assert response.status_code == 302
    published = _current()
    assert published.version == before.version + 1 and published.files == draft.files
    assert published.published_by == cohort.users["registrar"] and published.note == "PE 9"
    draft.refresh_from_db()
    assert draft.state == PolicyDraft.State.PUBLISHED and draft.published_version == published
    again = client.post(reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}), {"checksum": draft.checksum})
    assert again.status_code == 302 and PolicyVersion.objects.filter(institution__code="ntut").count() == 2


def test_a_zip_of_the_folder_is_read_from_inside_its_folder(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    folder = lowered_folder(tmp_path)
    response = _upload(cohort.client("registrar"), [_zip(folder)], django_capture_on_commit_callbacks)
    assert response.status_code == 302
    draft = PolicyDraft.objects.get()
    assert draft.files == files_of_folder(folder)
    assert set(draft.report["totals"].items()) >= {("changed", 3)}


def test_a_preview_made_before_another_version_was_published_cannot_be_confirmed(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = cohort.client("registrar")
    _upload(client, _uploads(lowered_folder(tmp_path)), django_capture_on_commit_callbacks)
    draft = PolicyDraft.objects.get()
    # someone publishes another version in the meantime (the CLI, or another registrar)
    other = files_of_folder(SHIPPED_POLICIES / "ntut")
    other["graduation.yaml"] = other["graduation.yaml"].replace("min: 132", "min: 131", 1)
    meanwhile = policy_publish(other, note="meanwhile", reaudit=False)
    page = client.get(reverse("audits:policy-draft", kwargs={"pk": draft.pk}), HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="policy-stale"' in page.content.decode() and 'id="policy-publish"' not in page.content.decode()
    response = client.post(
        reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}),
        {"checksum": draft.checksum},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "was published after this preview" in response.content.decode()
    assert _current() == meanwhile
    draft.refresh_from_db()
    assert draft.state == PolicyDraft.State.READY


def _refused(response: Any) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="policy-errors"' in page
    return page


def test_broken_yaml_is_refused_with_its_file_and_line_and_nothing_is_kept(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    folder = lowered_folder(tmp_path)
    (folder / "graduation.yaml").write_text("schema: menkan.policy/1\nid: x\n  bad: [\n", encoding="utf-8")
    client = cohort.client("registrar")
    client.cookies["django_language"] = "en"
    before = _current()
    page = _refused(_upload(client, _uploads(folder), django_capture_on_commit_callbacks))
    assert "graduation.yaml:3 $: not valid YAML" in page
    assert str(tmp_path) not in page and "menkan-policy-" not in page, "located in the uploaded file, not a copy"
    assert not PolicyDraft.objects.exists() and _current() == before


def test_another_institutions_files_are_refused_and_nothing_is_kept(
    cohort: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = cohort.client("registrar")
    client.cookies["django_language"] = "en"
    page = _refused(_upload(client, _uploads(SHIPPED_POLICIES / "nycu"), django_capture_on_commit_callbacks))
    assert "institution.yaml: these are the policies of nycu, not of ntut." in page
    # nor may the registrar of ntut upload for nycu
    response = _upload(client, _uploads(SHIPPED_POLICIES / "nycu"), django_capture_on_commit_callbacks, "nycu")
    assert response.status_code == 403
    assert not PolicyDraft.objects.exists()
    assert PolicyVersion.objects.filter(institution__code="nycu").count() == 1


def test_uploads_that_are_not_a_policy_folder_are_refused(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = cohort.client("registrar")
    client.cookies["django_language"] = "en"
    only_policy = [SimpleUploadedFile("graduation.yaml", (SHIPPED_POLICIES / "ntut" / "graduation.yaml").read_bytes())]
    page = _refused(_upload(client, only_policy, django_capture_on_commit_callbacks))
    assert "There is no institution.yaml among the files" in page
    page = _refused(
        _upload(
            client, [SimpleUploadedFile("graduation.yaml", b"\x89PNG\r\n\x1a\n")], django_capture_on_commit_callbacks
        )
    )
    assert "graduation.yaml" in page and "not a real YAML file" in page
    page = _refused(_upload(client, [], django_capture_on_commit_callbacks))
    assert "Choose the policy files" in page
    assert not PolicyDraft.objects.exists()


@pytest.mark.parametrize("role", ["student", "department-officer", "department-head", "mentor", "unit-staff"])
def test_only_the_registrar_reaches_the_page_and_its_endpoints(
    cohort: World, tmp_path: Path, role: str, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(cohort.client("registrar"), _uploads(lowered_folder(tmp_path)), django_capture_on_commit_callbacks)
    draft = PolicyDraft.objects.get()
    before = _current()
    client = cohort.client(role)
    assert client.get(reverse("audits:policy-index")).status_code == 403
    assert _upload(client, _uploads(tmp_path / "ntut"), django_capture_on_commit_callbacks).status_code == 403
    for name in ("audits:policy-draft", "audits:policy-draft-progress"):
        assert client.get(reverse(name, kwargs={"pk": draft.pk})).status_code == 403
    publish = client.post(reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}), {"checksum": draft.checksum})
    assert publish.status_code == 403
    assert PolicyDraft.objects.count() == 1 and _current() == before
    # another institution's registrar is not told the draft exists
    foreign = cohort.client("foreign-registrar")
    assert foreign.get(reverse("audits:policy-draft", kwargs={"pk": draft.pk})).status_code == 404
    response = foreign.post(
        reverse("audits:policy-draft-publish", kwargs={"pk": draft.pk}), {"checksum": draft.checksum}
    )
    assert response.status_code == 404 and _current() == before


def test_the_page_is_in_the_registrars_navigation_in_both_languages(cohort: World) -> None:
    client = cohort.client("registrar")
    url = reverse("audits:policy-index")
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert f'href="{url}"' in zh and "發布規章" in zh and "檢查檔案並預覽影響" in zh
    client.cookies["django_language"] = "en"
    en = client.get(url).content.decode()
    assert "Publish policies" in en and "Check the files and preview their impact" in en
    student_page = cohort.client("student").get(reverse("home"), follow=True).content.decode()
    assert f'href="{url}"' not in student_page
    assert Institution.objects.filter(code="ntut").exists()


def test_the_progress_fragment_polls_while_running_and_reloads_the_page_when_ready(cohort: World) -> None:
    current = _current()
    draft = PolicyDraft.objects.create(
        institution=cohort.institution, files=current.files, checksum=current.checksum, base_version=current, total=40
    )
    PolicyDraft.objects.filter(pk=draft.pk).update(done=12)
    client = cohort.client("registrar")
    url = reverse("audits:policy-draft-progress", kwargs={"pk": draft.pk})
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in running.content.decode() and "HX-Refresh" not in running
    assert 'value="12"' in running.content.decode() and 'max="40"' in running.content.decode()
    page = client.get(reverse("audits:policy-draft", kwargs={"pk": draft.pk})).content.decode()
    assert 'id="policy-publish"' not in page, "no confirmation before the preview is ready"
    PolicyDraft.objects.filter(pk=draft.pk).update(state=PolicyDraft.State.READY)
    ready = client.get(url, HTTP_HX_REQUEST="true")
    assert ready["HX-Refresh"] == "true" and "hx-trigger" not in ready.content.decode()


def test_the_preview_applies_approved_exceptions_as_the_batch_does(
    cohort: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """8 elective credits change nothing (short of 9 and of 11), but with 2 credits granted by an approved
    exception the student has 10: short of 11 now, enough for 9: listed. A proposed one is not applied."""
    from menkan.web.records.models import RecordException

    granted, _ = student_import_document(cohort.institution, elective_document("B112340008", "340", 8))
    proposed, _ = student_import_document(cohort.institution, elective_document("B112340108", "340", 8))
    for student, status in ((granted, RecordException.Status.APPROVED), (proposed, RecordException.Status.PROPOSED)):
        RecordException.objects.create(
            student=student,
            kind=RecordException.Kind.CREDIT,
            requirement="graduation.credits.professional-elective",
            credits=2,
            category="professional-elective",
            title="校外實習抵免",
            reason="internship",
            status=status,
            decided_by=cohort.users["department-head"],
            decided_at=timezone.now(),
        )
    _upload(cohort.client("registrar"), _uploads(lowered_folder(tmp_path)), django_capture_on_commit_callbacks)
    report = PolicyDraft.objects.get().report
    assert report["failures"] == [] and report["totals"]["audited"] == 9
    students = {s["student_id"]: s for s in report["students"]}
    assert set(students) == {*CHANGED, "B112340008"}
    elective = {c["id"]: c for c in students["B112340008"]["changes"]}["graduation.credits.professional-elective"]
    assert (elective["old"]["status"], elective["old"]["earned"]) == ("not-met", 10)
    assert (elective["new"]["status"], elective["new"]["earned"], elective["new"]["required"]) == ("met", 10, 9)
