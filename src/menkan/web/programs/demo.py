"""Demo data for micro-programs: NTUT's term calendar, a few demo students registered in programs, and a 土木系
student who completed 綠建築 (AVM, the document's worked example) with an application waiting at the program
contact's step, so the demo's `program-contact` account finds it in its queue. Idempotent."""

from __future__ import annotations

from datetime import date
from typing import Any, TextIO

from django.db import transaction

from menkan.web.programs import services
from menkan.web.programs.models import Application, ProgramTerm
from menkan.web.programs.selectors import registrations_of
from menkan.web.records.api import Institution, Student, student_import_document

# term: (semester starts, add/drop week ends, registration opens, registration closes). 114-1's window is the
# document's (9/8–9/26); the others follow NTUT's pattern: registration during the first three weeks.
CALENDAR: dict[str, tuple[date, date, date, date]] = {
    "113-1": (date(2024, 9, 9), date(2024, 9, 22), date(2024, 9, 9), date(2024, 9, 27)),
    "113-2": (date(2025, 2, 17), date(2025, 3, 2), date(2025, 2, 17), date(2025, 3, 7)),
    "114-1": (date(2025, 9, 8), date(2025, 9, 21), date(2025, 9, 8), date(2025, 9, 26)),
    "114-2": (date(2026, 2, 23), date(2026, 3, 8), date(2026, 2, 23), date(2026, 3, 13)),
    "115-1": (date(2026, 9, 14), date(2026, 9, 27), date(2026, 9, 14), date(2026, 10, 2)),
    "115-2": (date(2027, 2, 22), date(2027, 3, 7), date(2027, 2, 22), date(2027, 3, 12)),
}
# demo students registered in a program they could take (their best prospects), in 113-1's window
REGISTERED = {"B112590002": "AV2", "B112390006": "AZ9", "B112370005": "AVE"}
EXAMPLE_ID = "B112340099"
IN_113_1_WINDOW = date(2024, 9, 10)
IN_114_1_WEEK_15 = date(2025, 12, 15)


def _course(code: str, title: str, credits: int, term: str, category: str) -> dict[str, Any]:
    return {"code": code, "title": title, "credits": credits, "term": term, "grade": "85", "category": category}


def _example_document(first: Student) -> dict[str, Any]:
    """A 土木系 student of the first demo student's class with the worked example's 綠建築 courses."""
    return {
        "schema": "menkan.student/1",
        "student_id": EXAMPLE_ID,
        "name": "王綠建",
        "institution": "ntut",
        "department": "340",
        "admission_term": "112-1",
        **({"class_code": first.school_class.code} if first.school_class else {}),
        "courses": [
            _course("3401007", "測量學(一)", 2, "112-2", "professional-required"),
            _course("3901416", "綠建築概論", 2, "113-1", "free"),
            _course("3903423", "建築節能設計", 2, "113-2", "free"),
            _course("3902416", "環境分析與實作", 2, "114-1", "free"),
            _course("3403007", "工程管理", 3, "114-1", "professional-elective"),
        ],
    }


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    ntut = Institution.objects.filter(code="ntut").first()
    if ntut is None:
        return []
    for term, (starts, add_drop, opens, closes) in CALENDAR.items():
        if not ProgramTerm.objects.filter(institution=ntut, term=term).exists():
            services.program_term_save(
                ntut, term, semester_starts=starts, add_drop_ends=add_drop, registration_opens=opens,
                registration_closes=closes,
            )  # fmt: skip
    first = Student.objects.filter(institution=ntut).select_related("school_class").order_by("pk").first()
    if first is None:
        return []
    with transaction.atomic():
        example = Student.objects.filter(institution=ntut, student_id=EXAMPLE_ID).first()
        if example is None:
            example, _ = student_import_document(ntut, _example_document(first))
        wanted = {**REGISTERED, EXAMPLE_ID: "AVM"}
        # registrations live in the student's record only (the demo cohort's own `programs` blocks included); the
        # demo registers the others through the portal's service, into the same record
        for student in Student.objects.filter(institution=ntut, student_id__in=wanted):
            if not registrations_of(student):
                try:
                    services.registration_create(student, wanted[student.student_id], user=None, today=IN_113_1_WINDOW)
                except services.ProgramError as exc:
                    out.write(f"programs demo: {student.student_id} not registered: {exc}\n")
        if not Application.objects.filter(student=example, program="AVM").exists():
            try:
                services.application_submit(example, "AVM", user=example.user, today=IN_114_1_WEEK_15)
            except services.ProgramError as exc:
                out.write(f"programs demo: no AVM application for {EXAMPLE_ID}: {exc}\n")
    waiting = Application.objects.filter(state="review", step=1, program="AVM").count()
    out.write(f"programs demo: {len(CALENDAR)} terms, {waiting} AVM application(s) at the program contact's step\n")
    return []
