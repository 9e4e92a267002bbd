"""Import of exceptions (CSV/XLSX): each row validated as a proposal is, a file with one bad row refused with its
row and column and nothing written, a good file applied once (a second import changes nothing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from menkan.web.records.codec import student_document
from menkan.web.records.models import RecordException

from .conftest import World
from .test_imports import csv_bytes, problems, run, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = ["學號", "類型", "要求", "課號", "認定為", "理由"]
GOOD = [
    HEADER,
    ["B112340001", "exclude", "graduation.credits.common-required.school-common", "1404006", "", "重複修習"],
    ["B112590001", "waive", "graduation.credits.common-required.school-common", "", "", "轉學生"],
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_a_csv_with_one_bad_row_is_refused_and_nothing_written(world: World) -> None:
    bad = [*GOOD, ["B112340001", "recognise", "graduation.nope", "NOPE1", "cross-domain", "x"]]
    report = run(world, "exceptions", csv_bytes(bad))
    assert not report.ok and not report.applied
    assert problems(report) == [(4, "要求"), (4, "課號")]
    reasons = [p.reason for p in report.problems]
    assert 'no requirement "graduation.nope"' in reasons[0] and 'no course "NOPE1"' in reasons[1]
    assert not RecordException.objects.exists()
    assert RecordException.history.model.objects.count() == 0  # type: ignore[attr-defined]


def test_a_good_file_is_applied_once_as_approved_by_the_importer(world: World) -> None:
    report = run(world, "exceptions", xlsx_file(GOOD), filename="exceptions.xlsx")
    assert report.ok and report.applied and report.created == 2, report.problems
    assert set(RecordException.objects.values_list("status", flat=True)) == {"approved"}
    (entry,) = student_document(world.own)["exceptions"]
    assert entry["course"] == "1404006" and entry["approved_by"] == "registrar"
    again = run(world, "exceptions", csv_bytes(GOOD))
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert RecordException.objects.count() == 2


def test_only_the_registrar_imports_exceptions(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    for role in ("unit-staff", "department-officer"):
        with pytest.raises(PermissionDenied):
            run(world, "exceptions", csv_bytes(GOOD), role=role)
    assert not RecordException.objects.exists()


def test_the_export_reimports_unchanged(world: World) -> None:
    from menkan.web.records.imports import records_export

    run(world, "exceptions", csv_bytes(GOOD))
    exported = records_export(kind="exceptions", user=world.users["registrar"], institution=world.institution)
    again = run(world, "exceptions", exported, filename="exceptions.xlsx")
    assert again.ok and again.unchanged == 2 and again.created == again.updated == 0, again.problems
