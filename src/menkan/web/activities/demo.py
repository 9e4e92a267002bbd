"""Demo data of the activities app: NCUT office staff, an NCUT student who is short of something, offerings of
each office, a pending MOOC certificate and a pending licence subsidy application."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TextIO

from django.core.files.base import ContentFile
from django.db import transaction

from menkan.web.accounts.api import Role, User, role_assign, user_create
from menkan.web.activities import selectors, services
from menkan.web.activities.models import MoocCourse, MoocUpload, Offering, SubsidyApplication
from menkan.web.records.api import Institution, Student, calendar

STAFF = [
    ("ncut-academic", "教務處"),
    ("ncut-library", "圖書館"),
    ("ncut-student-affairs", "學務處"),
    ("ncut-art", "藝術中心"),
    ("ncut-rd", "研發處"),
]
STUDENT_USERNAME = "ncut-student"
STUDENT_ID = "NC11107002"  # the document's second summary: 精進 2 / 3, 社會接軌 16 + 5 / 24, no licence
# (office, item, title, days from the demo day, hours, capacity)
OFFERINGS = [
    ("教務處", "resilience", "抗壓講座：壓力與情緒管理", 10, 2, 120),
    ("教務處", "resilience", "抗壓講座：正向思考與挫折復原", 24, 2, 120),
    ("圖書館", "improvement", "電子資源線上教育訓練：Scopus", 7, 1, 1000),
    ("圖書館", "improvement", "電子資源線上教育訓練：Web of Science", 14, 2, 1000),
    ("圖書館", "improvement", "電子資源線上教育訓練：學位論文", 21, 1, 1000),
    ("學務處", "social", "淨灘志工", 12, 8, 40),
    ("學務處", "social", "社區課輔志工", 19, 8, 20),
    ("藝術中心", "aesthetics", "勤益藝廊展覽導覽", 9, 2, 60),
    ("藝術中心", "aesthetics", "書法工作坊", 16, 3, 25),
]
# A tiny valid PDF, standing for a scanned certificate or receipt.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _account(username: str, role: Role, institution: Institution, created: list[tuple[str, str, str]], **scope: str):
    user = User.objects.filter(username=username).first()
    if user is None:
        user, password = user_create(username, first_name=scope.get("unit", "") or username)
        created.append((username, role.value, password))
    role_assign(user, role, institution.pk, **scope)
    return user


def _demo_student(institution: Institution) -> Student | None:
    """The document's second student if free, else another NCUT student who has no account yet."""
    student = Student.objects.filter(institution=institution, student_id=STUDENT_ID).first()
    if student is not None and student.user_id is None:
        return student
    existing = Student.objects.filter(institution=institution, user__username=STUDENT_USERNAME).first()
    if existing is not None:
        return existing
    return Student.objects.filter(institution=institution, user__isnull=True, admission_term="111-1").first()


@transaction.atomic
def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    created: list[tuple[str, str, str]] = []
    institution = Institution.objects.filter(code="ncut").first()
    if institution is None:
        return created
    staff = {office: _account(name, Role.UNIT_STAFF, institution, created, unit=office) for name, office in STAFF}
    services.mooc_courses_seed(institution)
    services.licence_entries_seed(institution)
    today = calendar.today()
    for office, item, title, days, hours, capacity in OFFERINGS:
        day = today + dt.timedelta(days=days)
        Offering.objects.get_or_create(
            institution=institution,
            office=office,
            title=title,
            term=services.term_of(day, institution),  # the term of its date, as every offering's
            defaults={
                "item": item,
                "date": day,
                "hours": Decimal(hours),
                "capacity": capacity,
                "created_by": staff[office],
            },
        )
    student = _demo_student(institution)
    if student is None:
        return created
    user = _account(STUDENT_USERNAME, Role.STUDENT, institution, created)
    if student.user_id is None:
        student.user = user
        student.save(update_fields=["user"])
    # A course whose hours the student does not have yet: the first by title (幸福入門-正向心理學) is on the document's
    # second student's record since 112-2, and approving its certificate again counted it twice (issue 11).
    courses = MoocCourse.objects.filter(institution=institution, active=True).order_by("title")
    course = next((c for c in courses if selectors.mooc_hours_on_record(student, c.title) is None), None)
    if course is not None and not MoocUpload.objects.filter(student=student).exists():
        MoocUpload.objects.create(student=student, course=course, file=ContentFile(PDF, name="mooc-certificate.pdf"))
    codes = services.licence_codes_of(student)
    if codes and not SubsidyApplication.objects.filter(student=student).exists():
        code, entry = sorted(codes.items())[0]
        SubsidyApplication.objects.create(
            student=student,
            code=code,
            title=entry.title or code,
            exam_date=today - dt.timedelta(days=20),
            fee=3000,
            receipt=ContentFile(PDF, name="receipt.pdf"),
        )
    offices = ", ".join(office for _, office in STAFF)
    out.write(f"activities: NCUT offices {offices}; student {STUDENT_USERNAME} = {student.student_id}\n")
    return created
