"""Policy drafts: uploaded policy files validated, their impact previewed over the stored students, then published."""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from menkan.engine import INSTITUTION_FILE, InputError, InputProblem, Runtime, Student
from menkan.foresight.impact import Failure, impact_report
from menkan.web.audits.models import PolicyDraft, PolicyVersion
from menkan.web.audits.services.audit_store import audit_as_of
from menkan.web.audits.services.batch import collector_paused
from menkan.web.audits.services.policy_versions import (
    checksum_of,
    compiled,
    policy_current,
    policy_publish,
    runtime_of,
)
from menkan.web.dispatch import task_delay
from menkan.web.records.api import Institution, UploadRefused, engine_inputs, term_current, upload_check
from menkan.web.records.api import Student as StoredStudent

log = logging.getLogger("menkan.audits")

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one institution's policy files, all together (shipped: 0.4 MB at most)
POLICY_SUFFIXES = (".yaml", ".yml")
CHUNK = 500  # students read from the database at a time
PROGRESS_EVERY = 200  # students between two progress writes


class PolicyFilesRefused(ValueError):
    """Uploaded policy files that cannot be kept: every reason, located (file, line, path), in the user's language."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyFilesRefused(
            [_("%(name)s: not UTF-8 text (byte %(at)d).") % {"name": name, "at": exc.start}]
        ) from None


def _zip_members(name: str, upload: IO[bytes]) -> dict[str, str]:
    """The YAML files of a .zip of the policy folder, by their path inside it (the folder itself left out)."""
    with zipfile.ZipFile(upload) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(POLICY_SUFFIXES)]
        if sum(m.file_size for m in members) > MAX_UPLOAD_BYTES:
            raise PolicyFilesRefused([_("%(name)s: its policy files are too large.") % {"name": name}])
        paths = {m.filename: PurePosixPath(m.filename) for m in members}
        for path in paths.values():
            if path.is_absolute() or ".." in path.parts:
                raise PolicyFilesRefused(
                    [_("%(name)s: %(path)s is outside the folder.") % {"name": name, "path": path}]
                )
        # the folder a registrar zips is usually inside the archive (<code>/institution.yaml): its files count from it
        roots = {path.parent for path in paths.values() if path.name == INSTITUTION_FILE}
        root = min(roots, key=lambda p: len(p.parts)) if roots else PurePosixPath(".")
        found = {}
        for member in members:
            path = paths[member.filename]
            if root != PurePosixPath(".") and root not in path.parents:
                continue
            relative = str(path.relative_to(root)) if root != PurePosixPath(".") else str(path)
            found[relative] = _text(f"{name}/{member.filename}", archive.read(member))
        return found


def policy_files_read(uploads: Sequence[tuple[str, IO[bytes]]]) -> dict[str, str]:
    """The policy files of an upload (several .yaml files, or a .zip of the folder), by relative path.

    Each file's content is checked (a .zip must be one, YAML must be text); PolicyFilesRefused says why not."""
    if not uploads:
        raise PolicyFilesRefused([_("Choose the policy files (.yaml) or a .zip of the policy folder.")])
    files: dict[str, str] = {}
    problems: list[str] = []
    for name, upload in uploads:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        try:
            kind = upload_check(upload, base, ("yaml", "zip"), max_bytes=MAX_UPLOAD_BYTES)
            found = _zip_members(base, upload) if kind == "zip" else {base: _text(base, upload.read())}
        except UploadRefused as exc:
            problems.append(f"{base}: {exc}")
            continue
        except zipfile.BadZipFile:
            problems.append(_("%(name)s: not a readable .zip file.") % {"name": base})
            continue
        except PolicyFilesRefused as exc:
            problems.extend(exc.messages)
            continue
        for relative, text in found.items():
            if relative in files:
                problems.append(_("%(path)s was uploaded twice.") % {"path": relative})
            files[relative] = text
    if not problems and INSTITUTION_FILE not in files:
        problems.append(
            _("There is no %(file)s among the files: upload the whole policy folder.") % {"file": INSTITUTION_FILE}
        )
    if problems:
        raise PolicyFilesRefused(problems)
    return dict(sorted(files.items()))


def _relative(item: InputProblem, folder: Path) -> InputProblem:
    """The problem located in the uploaded file (its path in the folder), not in the temporary copy."""
    if item.source is None:
        return item
    try:
        return replace(item, source=str(Path(item.source).resolve().relative_to(folder.resolve())))
    except ValueError:
        return item


def policy_files_compile(files: dict[str, str], institution: Institution, lang: str = "en") -> Runtime:
    """The files validated and compiled (once per process for the same files): every problem located in the
    file, line and path it is at, and files of another institution than `institution`, raise PolicyFilesRefused.
    Nothing is written but a temporary copy, removed on return."""
    with tempfile.TemporaryDirectory(prefix="menkan-policy-") as staging:
        folder = Path(staging)
        for relative, text in files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            runtime = compiled(checksum_of(files), lambda: folder)
        except InputError as exc:
            raise PolicyFilesRefused([_relative(item, folder).render(lang) for item in exc.problems]) from None
    code = runtime.policy_set.institution.id
    if code != institution.code:
        raise PolicyFilesRefused(
            [
                _("%(file)s: these are the policies of %(theirs)s, not of %(ours)s.")
                % {"file": INSTITUTION_FILE, "theirs": code, "ours": institution.code}
            ]
        )
    return runtime


def policy_draft_create(
    institution: Institution, files: dict[str, str], *, user: Any = None, note: str = "", lang: str = "en"
) -> PolicyDraft:
    """Keep validated files as a draft of `institution` and start its impact preview (a task; run here, now,
    without a broker). PolicyFilesRefused, and nothing kept, if they do not validate or are another's."""
    policy_files_compile(files, institution, lang)
    draft = PolicyDraft.objects.create(
        institution=institution,
        files=files,
        checksum=checksum_of(files),
        note=note[:256],
        base_version=policy_current(institution),
        total=StoredStudent.objects.filter(institution=institution).count(),
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: task_delay("menkan.policy_impact", draft.pk))
    return draft


def _stored_students(pks: list[int], refused: list[Failure]) -> Iterator[Student]:
    """The engine records of these students, read CHUNK at a time as the batch reads them (approved exceptions
    included); a record that does not validate is added to `refused` instead."""
    for start in range(0, len(pks), CHUNK):
        for item in engine_inputs(pks[start : start + CHUNK]):
            try:
                record = item.record()
            except InputError as exc:
                refused.append(Failure(item.student_id, "record", exc.first_line))
                continue
            yield record


def policy_draft_preview(draft_pk: int) -> None:
    """Compute a draft's impact preview: every stored student of its institution audited under the version
    current at upload and under the draft's files, as the batch audits them (as of the same term, with their
    approved exceptions), and compared. Progress is written as it goes; the report is kept with the draft."""
    draft = PolicyDraft.objects.select_related("institution", "base_version").get(pk=draft_pk)
    try:
        new = policy_files_compile(draft.files, draft.institution)
        base = draft.base_version
        pks = list(
            StoredStudent.objects.filter(institution=draft.institution).order_by("pk").values_list("pk", flat=True)
        )
        PolicyDraft.objects.filter(pk=draft_pk).update(total=len(pks), done=0)
        refused: list[Failure] = []
        today = term_current(draft.institution)

        def progress(read: int) -> None:
            if read % PROGRESS_EVERY == 0:
                PolicyDraft.objects.filter(pk=draft_pk).update(done=read + len(refused))

        # Without a current version there is nothing to compare with: the new files are the first version.
        current = runtime_of(base) if base is not None else new
        with collector_paused():
            report = impact_report(
                current,
                new,
                _stored_students(pks if base is not None else [], refused),
                lambda record: audit_as_of(record, today),
                progress=progress,
            )
        for failure in refused:
            report.fail(failure)
        document = report.as_dict()
        document["as_of"] = str(today)
        PolicyDraft.objects.filter(pk=draft_pk).update(
            state=PolicyDraft.State.READY, report=document, done=len(pks), finished_at=timezone.now()
        )
    except Exception as exc:
        log.exception("impact preview of policy draft %s failed", draft_pk)
        PolicyDraft.objects.filter(pk=draft_pk).update(
            state=PolicyDraft.State.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )


class DraftRefused(ValueError):
    """A draft that cannot be published now, and why (translated)."""


@transaction.atomic
def policy_draft_publish(draft: PolicyDraft, *, user: Any = None, checksum: str = "") -> PolicyVersion:
    """Publish exactly the previewed files: only a ready draft, whose files are the ones the confirmation names
    (`checksum`), and only while the version current at the preview is still current (else DraftRefused: the
    preview is out of date). The students are re-audited after the commit, as with any publication."""
    locked = PolicyDraft.objects.select_for_update().select_related("institution").get(pk=draft.pk)
    if locked.state != PolicyDraft.State.READY:
        raise DraftRefused(
            _("This draft cannot be published (it is %(state)s).") % {"state": locked.get_state_display()}
        )
    if not checksum or checksum != locked.checksum or checksum_of(locked.files) != locked.checksum:
        raise DraftRefused(_("The confirmation does not name the previewed files: open the preview again."))
    current = PolicyVersion.objects.select_for_update().filter(institution=locked.institution, is_current=True).first()
    if (current.pk if current else None) != locked.base_version_id:
        raise DraftRefused(
            _(
                "Another version (%(version)s) was published after this preview: upload the files again to see "
                "their impact on it."
            )
            % {"version": f"v{current.version}" if current else "-"}
        )
    try:
        policy_files_compile(locked.files, locked.institution)
    except PolicyFilesRefused as exc:
        raise DraftRefused(" ".join(exc.messages)) from None
    version = policy_publish(locked.files, user=user, note=locked.note or _("published after an impact preview"))
    locked.state = PolicyDraft.State.PUBLISHED
    locked.published_version = version
    locked.save(update_fields=["state", "published_version"])
    return version
