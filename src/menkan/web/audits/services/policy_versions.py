"""Policy versions: publishing an institution's policy files, the current version, its compiled runtime."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from menkan.engine import SHIPPED_POLICIES, PolicySet, Runtime, compile, load_policy_dir
from menkan.web.audits.models import PolicyVersion
from menkan.web.records.api import Institution, institution_sync


def _policy_root() -> Path:
    return Path(settings.VAR_DIR) / "policies"


def _folder_of(version: PolicyVersion) -> Path:
    """The version's files on disk (written once from the database, which stays the source of truth)."""
    folder = _policy_root() / version.institution.code / f"v{version.version}-{version.checksum[:12]}"
    if not folder.exists():
        # several worker processes may get here at once: each writes its own staging folder, one wins
        staging = folder.with_name(f"{folder.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        for relative, text in version.files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            if not folder.exists():
                raise
            shutil.rmtree(staging, ignore_errors=True)
    return folder


# The compiled policies of each version, once per process: by version and by the checksum of its files (a
# version published again, or a folder validated before it was published, is not loaded twice).
_RUNTIMES: dict[tuple[int, str], Runtime] = {}  # by (pk, checksum): a pk reused (tests roll back) is another version
_RUNTIMES_BY_CHECKSUM: dict[str, Runtime] = {}


def compiled(checksum: str, folder: Callable[[], Path]) -> Runtime:
    """The policies of the files with this checksum, compiled (loaded from `folder()` the first time only)."""
    runtime = _RUNTIMES_BY_CHECKSUM.get(checksum)
    if runtime is None:
        runtime = _RUNTIMES_BY_CHECKSUM[checksum] = compile(load_policy_dir(folder()))
    return runtime


def runtime_of(version: PolicyVersion) -> Runtime:
    """The version's policies compiled for auditing (loaded and compiled once per process): every audit the
    portal makes against this version goes through it, `runtime_of(version).audit(record, as_of=term)`."""
    key = (version.pk, version.checksum)
    cached = _RUNTIMES.get(key)
    if cached is None or cached.policy_set.institution.id != version.institution.code:
        cached = _RUNTIMES[key] = compiled(version.checksum, lambda: _folder_of(version))
    return cached


def policy_set_of(version: PolicyVersion) -> PolicySet:
    """The loaded policies of a version (loaded once per process)."""
    return runtime_of(version).policy_set


def policy_sets_warm() -> int:
    """Load every institution's current policies into this process (a worker does it once at start-up,
    so its first chunks do not pay for it). Returns how many were loaded."""
    versions = PolicyVersion.objects.filter(is_current=True).select_related("institution")
    return sum(1 for version in versions if policy_set_of(version) is not None)


def files_of_folder(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))}


def checksum_of(files: dict[str, str]) -> str:
    """The identity of a policy folder's files (relative path -> text): equal files, equal checksum."""
    return hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def policy_publish(files: dict[str, str], *, user: Any = None, note: str = "", reaudit: bool = True) -> PolicyVersion:
    """Validate a policy folder's files and make them the institution's current version (the old one is kept).

    Raises InputError (with every problem located) and changes nothing if the files do not validate.
    Publishing the same files again changes nothing. Students are re-audited after the commit.
    """
    staging = _policy_root() / ".staging" / checksum_of(files)
    if not staging.exists():
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    checksum = checksum_of(files)
    institution = institution_sync(compiled(checksum, lambda: staging).policy_set)
    current = PolicyVersion.objects.select_for_update().filter(institution=institution, is_current=True).first()
    if current is not None and current.checksum == checksum:
        return current
    last = PolicyVersion.objects.filter(institution=institution).order_by("-version").first()
    PolicyVersion.objects.filter(institution=institution, is_current=True).update(is_current=False)
    version = PolicyVersion.objects.create(
        institution=institution,
        version=(last.version + 1) if last else 1,
        files=files,
        checksum=checksum,
        is_current=True,
        note=note,
        published_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    if reaudit:
        # at call time: a batch run audits against the current versions, which this module keeps
        from menkan.web.audits.services.batch import batch_audit_start

        transaction.on_commit(lambda: batch_audit_start(institution=institution))
    return version


def policy_publish_shipped(code: str, *, reaudit: bool = True) -> PolicyVersion:
    return policy_publish(files_of_folder(SHIPPED_POLICIES / code), note="shipped with menkan", reaudit=reaudit)


def policy_current(institution: Institution) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(institution=institution, is_current=True).first()


def policy_set_current_of(institution: Institution) -> PolicySet | None:
    """The loaded policies of the institution's current version (None without one): what records reads."""
    version = policy_current(institution)
    return policy_set_of(version) if version is not None else None
