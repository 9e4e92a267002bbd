"""Incremental batch audits: a content hash kept with each stored result (the student's revision, the policy,
the term), students whose input is unchanged skipped and counted so, `--all`, chunks counted once however often
delivered, and the stored documents equal to what `menkan audit` prints for the same students."""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from menkan.cli import main
from menkan.engine import SHIPPED_POLICIES, Term, compile, latest_term, load_shipped, student_from_dict
from menkan.web import portal
from menkan.web.audits.models import AuditResult, BatchChunk, BatchRun
from menkan.web.audits.services import (
    audit_store,
    batch_audit_create,
    batch_audit_start,
    batch_chunk,
    compact_json,
    files_of_folder,
    policy_publish,
)
from menkan.web.records.models import CourseRecord, Institution, Student
from menkan.web.records.selectors import student_document
from menkan.web.records.services import exception_approve, exception_propose, exception_revoke, student_import_document

from .conftest import World
from .conftest import student_document as make_document

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "menkan" / "demo"


def _students(count: int, world: World) -> list[Student]:
    return [
        student_import_document(world.institution, make_document(f"B11234{index + 100:04d}", "340", "CE-112"))[0]
        for index in range(count)
    ]


def _stamps() -> dict[int, tuple[Any, str]]:
    return {
        pk: (at, digest) for pk, at, digest in AuditResult.objects.values_list("student", "computed_at", "input_hash")
    }


def _re_audited(before: dict[int, tuple[Any, str]]) -> set[int]:
    return {pk for pk, stamp in _stamps().items() if before.get(pk) != stamp}


def test_after_1_percent_of_the_records_changed_a_batch_audits_only_those(world: World) -> None:
    students = _students(100 - Student.objects.count(), world)
    first = batch_audit_start(chunk=30)
    total = Student.objects.count()
    assert total == 100 and (first.done, first.skipped, first.failed) == (total, 0, 0)
    assert all(len(digest) == 64 for _, digest in _stamps().values())
    # a term's grades for 1 % of the students, by a bulk update that sends no signal (an import outside the portal)
    before = _stamps()
    CourseRecord.objects.filter(student=students[11]).update(credits=Decimal("1"))
    second = batch_audit_start(chunk=30)
    assert (second.state, second.done, second.skipped, second.failed) == (BatchRun.State.DONE, total, total - 1, 0)
    assert second.audited == 1 and _re_audited(before) == {students[11].pk}
    # and through the ORM (the re-audit it schedules runs at commit; a test's transaction does not commit)
    before = _stamps()
    changed = CourseRecord.objects.filter(student=students[42]).first()
    assert changed is not None
    changed.grade = "40"
    changed.save()
    third = batch_audit_start(chunk=30)
    assert (third.audited, third.skipped) == (1, total - 1) and _re_audited(before) == {students[42].pk}
    # nothing changed since: nobody is audited
    fourth = batch_audit_start(chunk=30)
    assert (fourth.audited, fourth.skipped) == (0, total)


def test_a_student_without_a_stored_audit_is_audited(world: World) -> None:
    batch_audit_start()
    AuditResult.objects.filter(student=world.other).delete()
    run = batch_audit_start()
    assert (run.audited, run.skipped) == (1, Student.objects.count() - 1)
    assert AuditResult.objects.filter(student=world.other).exists()


def test_all_audits_everyone_again(world: World) -> None:
    batch_audit_start()
    before = _stamps()
    run = batch_audit_start(full=True)
    assert run.full and (run.audited, run.skipped) == (Student.objects.count(), 0)
    assert _re_audited(before) == set(before)  # computed again (the hashes are the same: nothing changed)
    assert {digest for _, digest in before.values()} == {digest for _, digest in _stamps().values()}


def test_menkan_batch_audit_says_how_many_were_unchanged_and_all_audits_everyone(world: World) -> None:
    batch_audit_start()
    CourseRecord.objects.filter(student=world.own).update(grade="30")
    out, err = io.StringIO(), io.StringIO()
    assert main(["batch-audit"], out=out, err=err) == 0
    total = Student.objects.count()
    assert f": 1 audited, 0 failed, {total} students ({total - 1} unchanged since their last audit" in out.getvalue()
    out = io.StringIO()
    assert main(["batch-audit", "--all"], out=out, err=err) == 0
    assert f": {total} audited, 0 failed, {total} students in" in out.getvalue()
    assert BatchRun.objects.latest("pk").full


def test_an_exception_decided_or_revoked_re_audits_that_student(world: World) -> None:
    batch_audit_start()
    fields = {"kind": "exclude", "requirement": "graduation.credits.common-required.school-common"}
    fields |= {"course": "1404006", "reason": "重複修習"}
    proposed = exception_propose(world.users["department-officer"], world.own, fields)
    before = _stamps()
    run = batch_audit_start()
    assert run.audited == 0  # a proposal is not part of the record the audit reads
    exception_approve(world.users["department-head"], proposed.pk)
    run = batch_audit_start()
    assert run.audited == 1 and _re_audited(before) == {world.own.pk}
    before = _stamps()
    exception_revoke(world.users["department-head"], proposed.pk, "錯誤")
    run = batch_audit_start()
    assert run.audited == 1 and _re_audited(before) == {world.own.pk}


def test_publishing_a_policy_re_audits_that_institutions_students_only(world: World) -> None:
    batch_audit_start()
    before = _stamps()
    files = files_of_folder(SHIPPED_POLICIES / "ntut")
    first = sorted(files)[0]
    files[first] += "\n# republished\n"
    version = policy_publish(files, note="test", reaudit=False)
    run = batch_audit_start()
    ntut = set(Student.objects.filter(institution=world.institution).values_list("pk", flat=True))
    assert run.audited == len(ntut) and _re_audited(before) == ntut
    assert set(AuditResult.objects.filter(student__in=ntut).values_list("policy_version", flat=True)) == {version.pk}
    assert world.foreign.pk not in ntut


def test_a_new_term_re_audits_everyone(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    batch_audit_start()
    current = audit_store.term_current(world.institution)
    monkeypatch.setattr(audit_store, "term_current", lambda institution: Term(current.year + 1, current.semester))
    run = batch_audit_start()
    assert (run.audited, run.skipped) == (Student.objects.count(), 0)


def test_the_hash_covers_what_the_audit_reads() -> None:
    class Version:
        pk, checksum = 1, "abc"

    digest = audit_store.input_hash(Version(), Term(114, "1"), 7)  # type: ignore[arg-type]
    assert len(digest) == 64 and digest == audit_store.input_hash(Version(), Term(114, "1"), 7)  # type: ignore[arg-type]
    assert audit_store.input_hash(Version(), Term(114, "1"), 8) != digest  # type: ignore[arg-type]  # the revision
    assert audit_store.input_hash(Version(), Term(114, "2"), 7) != digest  # type: ignore[arg-type]
    other = type("Other", (), {"pk": 2, "checksum": "abc"})
    assert audit_store.input_hash(other(), Term(114, "1"), 7) != digest  # type: ignore[arg-type]
    changed = type("Changed", (), {"pk": 1, "checksum": "abd"})
    assert audit_store.input_hash(changed(), Term(114, "1"), 7) != digest  # type: ignore[arg-type]


# --- a chunk delivered twice (its worker lost after the commit) ------------------------------------------------


def test_a_chunk_delivered_twice_is_counted_once(world: World) -> None:
    _students(4, world)
    run, chunks = batch_audit_create(chunk=3, full=True)
    for pks in chunks:
        batch_chunk(run.pk, pks, True)
    batch_chunk(run.pk, chunks[0], True)  # delivered again
    run.refresh_from_db()
    total = Student.objects.count()
    assert (run.state, run.done, run.failed, run.total) == (BatchRun.State.DONE, total, 0, total)
    assert BatchChunk.objects.filter(run=run).count() == len(chunks)
    assert AuditResult.objects.count() == total


def test_a_chunk_that_failed_and_is_delivered_again_is_not_counted_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, chunks = batch_audit_create(full=True)

    def broken(chunk: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("menkan.web.audits.services.batch.students_audit_store", broken)
    batch_chunk(run.pk, chunks[0], True)
    batch_chunk(run.pk, chunks[0], True)
    run.refresh_from_db()
    assert (run.done, run.failed, len(run.errors)) == (0, Student.objects.count(), 1)


# --- the stored documents equal the CLI's ----------------------------------------------------------------------


def test_the_stored_document_of_a_batch_equals_the_cli_audit_of_the_same_students(db: Any, tmp_path: Path) -> None:
    from menkan.web.audits.services import policy_publish_shipped

    lines: dict[str, str] = {}
    for code in ("ntut", "nycu", "ncut", "nkust", "nthu"):
        policy_publish_shipped(code, reaudit=False)
        institution = Institution.objects.get(code=code)
        for line in (DEMO / f"{code}.jsonl").read_text(encoding="utf-8").splitlines():
            document = json.loads(line)
            student_import_document(institution, document)
            lines[document["student_id"]] = line
    assert len(lines) == 89
    run = batch_audit_start(full=True)
    assert run.failed == 0 and run.done == len(lines)
    stored = AuditResult.objects.select_related("student")
    by_as_of: dict[str, list[AuditResult]] = {}
    for result in stored:
        by_as_of.setdefault(result.as_of, []).append(result)
    compared = 0
    for as_of, results in by_as_of.items():
        source = tmp_path / f"{as_of}.jsonl"
        # the records as the portal exports them (`menkan.student/1`): the same as the demo files, but for the
        # ids the database gives certificates and activities
        exported = (json.dumps(student_document(r.student), ensure_ascii=False) + "\n" for r in results)
        source.write_text("".join(exported), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        assert main(["audit", str(source), "--format", "json", "--as-of", as_of], out=out, err=err) == 0, err.getvalue()
        printed = {json.loads(line)["student_id"]: line for line in out.getvalue().splitlines()}
        for result in results:
            cli = printed[result.student.student_id]
            assert result.document == json.loads(cli)
            with connection.cursor() as cursor:  # the text as stored, on either database
                cursor.execute("SELECT document FROM audits_auditresult WHERE id = %s", [result.pk])
                assert cursor.fetchone()[0] == compact_json(json.loads(cli))
            compared += 1
    assert compared == len(lines)


def test_stored_json_is_the_standard_librarys_byte_for_byte_on_the_bench_cohort() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import cohort
    finally:
        sys.path.remove(str(ROOT / "bench"))
    import random

    policy_set = load_shipped("ntut")
    runtime = compile(policy_set)
    rng = random.Random(15)
    standards, catalog = cohort.load_standards(), cohort.load_catalog()
    for index in range(25):
        document = cohort.make_student(index, policy_set, standards, catalog, rng, overlap=index % 4 == 0)
        record = student_from_dict(document)
        value = runtime.audit(record, as_of=latest_term(record)).as_dict()
        assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert compact_json({1: "a"}) == '{"1":"a"}'  # what orjson refuses goes through the standard library


def test_portal_batch_audit_passes_all_through(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert portal.batch_audit(None, out, err, full=True) == 0
    assert BatchRun.objects.latest("pk").full
