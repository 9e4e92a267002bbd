"""Writes of audits: publishing policy versions, auditing students and storing results, batch runs."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from menkan.engine import InputError, PolicySet, audit, load_policy_dir
from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.engine.result import AuditResult as EngineResult
from menkan.engine.result import RequirementResult
from menkan.web.audits.models import AuditResult, BatchRun, PolicyVersion, RequirementStatus
from menkan.web.records.models import Institution, Student
from menkan.web.records.selectors import engine_students
from menkan.web.records.services import institution_sync

log = logging.getLogger("menkan.audits")


def _policy_root() -> Path:
    return Path(settings.VAR_DIR) / "policies"


def _folder_of(version: PolicyVersion) -> Path:
    """The version's files on disk (written once from the database, which stays the source of truth)."""
    folder = _policy_root() / version.institution.code / f"v{version.version}-{version.checksum[:12]}"
    if not folder.exists():
        staging = folder.with_name(folder.name + ".tmp")
        for relative, text in version.files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        staging.rename(folder)
    return folder


_POLICY_SETS: dict[int, PolicySet] = {}
_SETS_BY_CHECKSUM: dict[str, PolicySet] = {}


def policy_set_of(version: PolicyVersion) -> PolicySet:
    """The loaded policies of a version (loaded once per process)."""
    cached = _POLICY_SETS.get(version.pk)
    if cached is None or cached.institution.id != version.institution.code:
        cached = _SETS_BY_CHECKSUM.get(version.checksum) or load_policy_dir(_folder_of(version))
        _POLICY_SETS[version.pk] = _SETS_BY_CHECKSUM[version.checksum] = cached
    return cached


def files_of_folder(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.yaml"))}


def _checksum(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@transaction.atomic
def policy_publish(files: dict[str, str], *, user: Any = None, note: str = "", reaudit: bool = True) -> PolicyVersion:
    """Validate a policy folder's files and make them the institution's current version (the old one is kept).

    Raises InputError (with every problem located) and changes nothing if the files do not validate.
    Publishing the same files again changes nothing. Students are re-audited after the commit.
    """
    staging = _policy_root() / ".staging" / _checksum(files)
    if not staging.exists():
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    checksum = _checksum(files)
    policy_set = _SETS_BY_CHECKSUM.get(checksum)
    if policy_set is None:
        policy_set = _SETS_BY_CHECKSUM[checksum] = load_policy_dir(staging)
    institution = institution_sync(policy_set)
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
        transaction.on_commit(lambda: batch_audit_start(institution=institution))
    return version


def policy_publish_shipped(code: str, *, reaudit: bool = True) -> PolicyVersion:
    return policy_publish(files_of_folder(SHIPPED_POLICIES / code), note="shipped with menkan", reaudit=reaudit)


def policy_current(institution: Institution) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(institution=institution, is_current=True).first()


def _summary_rows(student: Student, result: EngineResult) -> list[RequirementStatus]:
    rows = []

    def add(node: RequirementResult, depth: int) -> None:
        rows.append(
            RequirementStatus(
                student=student,
                requirement_id=node.id,
                status=node.status,
                unit=node.unit,
                earned=_bounded(node.earned),
                required=_bounded(node.required),
                advisory=node.advisory,
            )
        )
        if depth < 1:
            for child in node.children:
                add(child, depth + 1)

    for requirement in result.requirements:
        add(requirement, 0)
    return rows


def _bounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def students_audit(students: Sequence[Student]) -> list[tuple[Student, str]]:
    """Audit students against their institution's current policies and store the results (one write per
    table for the whole batch). Returns the failures: (student, reason) — bad records do not stop the rest."""
    versions: dict[int, PolicyVersion | None] = {}
    results: list[AuditResult] = []
    rows: list[RequirementStatus] = []
    failures: list[tuple[Student, str]] = []
    audited: list[int] = []
    for student, record in _engine_students_safe(students, failures):
        if student.institution_id not in versions:
            versions[student.institution_id] = policy_current(student.institution)
        version = versions[student.institution_id]
        if version is None:
            failures.append((student, "no published policy"))
            continue
        try:
            result = audit(record, policy_set_of(version))
        except InputError as exc:
            failures.append((student, exc.first_line))
            continue
        audited.append(student.pk)
        results.append(
            AuditResult(
                student=student,
                policy_version=version,
                as_of=str(result.as_of),
                status=result.status,
                document=result.as_dict(),
            )
        )
        rows.extend(_summary_rows(student, result))
    with transaction.atomic():
        AuditResult.objects.bulk_create(
            results,
            update_conflicts=True,
            unique_fields=["student"],
            update_fields=["policy_version", "as_of", "status", "document", "computed_at"],
        )
        RequirementStatus.objects.filter(student_id__in=audited).delete()
        RequirementStatus.objects.bulk_create(rows, batch_size=2000)
    return failures


def _engine_students_safe(students: Sequence[Student], failures: list[tuple[Student, str]]) -> Iterable[Any]:
    try:
        yield from engine_students(students)
    except InputError:
        # one bad record: fall back to one at a time so the others are still audited
        for student in students:
            try:
                yield from engine_students([student])
            except InputError as exc:
                failures.append((student, exc.first_line))


def student_audit(student: Student) -> AuditResult | None:
    """Audit one student now and return the stored result (None if it could not be audited)."""
    student = Student.objects.select_related("institution", "department", "school_class").get(pk=student.pk)
    failures = students_audit([student])
    if failures:
        log.warning("audit of %s failed: %s", student.student_id, failures[0][1])
        return None
    return AuditResult.objects.get(student=student)


_pending = threading.local()


def audit_schedule(student_pk: int) -> None:
    """Re-audit this student once the current transaction commits (once, however many records changed).

    Every call registers a commit callback; the first to run audits everyone waiting, the rest find
    nothing to do. A rolled-back transaction discards its callbacks, and its students are audited at
    the next commit (auditing again is harmless).
    """
    waiting: set[int] = _pending.__dict__.setdefault("students", set())
    waiting.add(student_pk)
    transaction.on_commit(_flush_scheduled)


def _flush_scheduled() -> None:
    waiting: set[int] = _pending.__dict__.setdefault("students", set())
    if not waiting:
        return
    pks = sorted(waiting)
    waiting.clear()
    from menkan.web.audits.tasks import audit_students_task

    audit_students_task.delay(pks)


def batch_audit_create(
    *, institution: Institution | None = None, user: Any = None, chunk: int | None = None
) -> tuple[BatchRun, list[list[int]]]:
    """A new batch run over the whole student body (or one institution's), and its chunks of students."""
    students = Student.objects.order_by("pk")
    if institution is not None:
        students = students.filter(institution=institution)
    pks = list(students.values_list("pk", flat=True))
    run = BatchRun.objects.create(
        institution=institution,
        total=len(pks),
        state=BatchRun.State.RUNNING,
        started_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    size = chunk or settings.MENKAN_BATCH_CHUNK
    chunks = [pks[start : start + size] for start in range(0, len(pks), size)]
    if not pks:
        batch_finish(run.pk)
    return run, chunks


def batch_audit_start(*, institution: Institution | None = None, user: Any = None) -> BatchRun:
    """Re-audit the whole student body (or one institution's) in chunks, through Celery tasks."""
    from menkan.web.audits.tasks import batch_chunk_task

    run, chunks = batch_audit_create(institution=institution, user=user)
    for pks in chunks:
        batch_chunk_task.delay(run.pk, pks)
    run.refresh_from_db()
    return run


def batch_chunk(run_pk: int, pks: Sequence[int]) -> None:
    """Audit one chunk of a batch run and count it."""
    students = list(Student.objects.filter(pk__in=pks).select_related("institution", "department", "school_class"))
    failures = students_audit(students)
    errors = [f"{student.student_id}: {reason}" for student, reason in failures]
    BatchRun.objects.filter(pk=run_pk).update(
        done=F("done") + len(students) - len(failures), failed=F("failed") + len(failures)
    )
    if errors:
        with transaction.atomic():
            run = BatchRun.objects.select_for_update().get(pk=run_pk)
            run.errors = (run.errors + errors)[:200]
            run.save(update_fields=["errors"])
    run = BatchRun.objects.get(pk=run_pk)
    if run.done + run.failed >= run.total:
        batch_finish(run_pk)


def batch_finish(run_pk: int) -> None:
    BatchRun.objects.filter(pk=run_pk).exclude(state=BatchRun.State.DONE).update(
        state=BatchRun.State.DONE, finished_at=timezone.now()
    )


class PlannedCourseError(ValueError):
    """A planned course line that cannot be read (line number and reason)."""


def planned_courses_parse(text: str, term: str) -> list[dict[str, Any]]:
    """Planned courses from lines of `code, title, credits[, category]` (commas or tabs)."""
    courses = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace("\t", ",").split(",")]
        if len(parts) < 3:
            raise PlannedCourseError(f"line {number}: expected code, title, credits[, category]")
        try:
            credits = Decimal(parts[2])
        except ArithmeticError:
            raise PlannedCourseError(f"line {number}: credits {parts[2]!r} is not a number") from None
        if credits < 0:
            raise PlannedCourseError(f"line {number}: credits must be ≥ 0")
        course: dict[str, Any] = {"code": parts[0], "title": parts[1], "credits": float(credits), "term": term}
        if len(parts) > 3 and parts[3]:
            course["category"] = parts[3]
        courses.append(course)
    return courses


def what_if_audit(student: Student, *, planned: list[dict[str, Any]], programs: list[str]) -> EngineResult:
    """The audit as if the planned courses were taken (in progress) and the programs registered.

    Nothing is stored: the student's record is read, changed in memory, and audited.
    """
    from menkan.engine import student_from_dict
    from menkan.web.records.selectors import student_document

    version = policy_current(student.institution)
    if version is None:
        raise InputError([])
    document = student_document(student)
    document["courses"] = [*document.get("courses", []), *planned]
    registered = {entry["program"] for entry in document.get("programs", [])}
    term = planned[0]["term"] if planned else document["admission_term"]
    for program in programs:
        if program not in registered:
            document.setdefault("programs", []).append({"program": program, "registered_term": term})
    record = student_from_dict(document, source=f"what-if {student.student_id}")
    return audit(record, policy_set_of(version))
