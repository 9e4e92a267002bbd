"""Demo data of micro-credits: the NKUST Center staff and student accounts, 114-1 offerings with sessions and
seats, sign-ups and some attendance (idempotent: existing rows are left alone)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TextIO

from django.core.files.base import ContentFile
from django.db import transaction

from menkan.web.accounts.api import Role, User, role_assign, user_create
from menkan.web.microcredits import services
from menkan.web.microcredits.models import Enrollment, Offering
from menkan.web.microcredits.selectors import center_unit
from menkan.web.records.api import Institution, Student

TERM = "114-1"
# (title, module area or "" for a plain micro-credit course, sessions as (month, day, start hour, hours))
OFFERINGS = [
    ("感知美學：街頭攝影", "perceptual-aesthetics", [(10, 4, 9, 3), (10, 11, 9, 3), (10, 18, 9, 3)]),
    ("雲端跨域：AWS 雲端入門", "cloud-cross-border", [(10, 7, 13, 3), (10, 14, 13, 3)]),
    ("生命感知：桌遊與溝通", "life-perception", [(11, 1, 9, 3), (11, 8, 9, 3)]),
    ("在地實踐：旗津社區走讀", "local-practice", [(11, 15, 9, 6)]),
    ("數位科技微學程：生成式 AI 應用", "digital-technology", [(11, 20, 18, 3), (11, 27, 18, 3)]),
    ("通識講座：永續發展與生活", "", [(9, 30, 13, 3)]),
]


def _account(username: str, first_name: str) -> tuple[User, str | None]:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None
    user, password = user_create(username, first_name=first_name)
    return user, password


@transaction.atomic
def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    created: list[tuple[str, str, str]] = []
    nkust = Institution.objects.filter(code="nkust").first()
    if nkust is None:
        return created
    staff, password = _account("nkust-center", "通識教育中心")
    unit = center_unit(nkust)
    if unit is None:  # no published policy with micro-credits
        return created
    role_assign(staff, Role.UNIT_STAFF, nkust.pk, unit=unit)
    if password:
        created.append(("nkust-center", "unit-staff", password))
    students = list(Student.objects.filter(institution=nkust).order_by("student_id")[:6])
    if not students:
        return created
    me = Student.objects.filter(institution=nkust, user__username="nkust-student").first() or next(
        (s for s in students if s.user_id is None), students[0]
    )
    user, password = _account("nkust-student", me.name or me.student_id)
    role_assign(user, Role.STUDENT, nkust.pk)
    if me.user_id is None:
        me.user = user
        me.save(update_fields=["user"])
    if password:
        created.append(("nkust-student", "student", password))

    # `menkan demo` re-imports the demo cohort on every run, which replaces the students' activities: put back
    # those of the courses passed here (grading again writes the same activity).
    for passed in Enrollment.objects.filter(offering__institution=nkust, result="pass", activity__isnull=True):
        services.enrollment_grade(passed, "pass", staff)
    made = []
    for title, area, sessions in OFFERINGS:
        if Offering.objects.filter(institution=nkust, term=TERM, title=title).exists():
            continue
        hours = sum((Decimal(h) for *_, h in sessions), Decimal(0))
        offering = services.offering_create(nkust, term=TERM, title=title, hours=hours, area=area)
        for month, day, start, length in sessions:
            services.session_create(
                offering,
                day=datetime.date(2025, month, day),
                starts=datetime.time(start),
                ends=datetime.time(start + length),
                hours=Decimal(length),
            )
        made.append(offering)
    if not made:
        return created
    by_title = {o.title: o for o in made}
    # The demo student holds a seat in the photography module and attended its first session; four others fill
    # the AWS module's seats (one seat left); the talk was attended, handed in and passed.
    photo = by_title.get(OFFERINGS[0][0])
    if photo is not None:
        seat = services.enrollment_create(photo, me, photo.sessions.values_list("pk", flat=True))
        first = photo.sessions.order_by("date").first()
        if first is not None:
            services.attendance_mark(first, seat, "in", staff)
            services.attendance_mark(first, seat, "out", staff)
    aws = by_title.get(OFFERINGS[1][0])
    if aws is not None:
        for other in students[:5]:
            if other != me and not Enrollment.objects.filter(offering=aws, student=other).exists():
                services.enrollment_create(aws, other, aws.sessions.values_list("pk", flat=True))
    talk = by_title.get(OFFERINGS[-1][0])
    if talk is not None:
        place = services.enrollment_create(talk, me)
        for session in talk.sessions.all():
            services.attendance_mark(session, place, "in", staff)
            services.attendance_mark(session, place, "out", staff)
        services.work_submit(place, ContentFile(b"demo worksheet", name="worksheet.txt"))
        services.enrollment_grade(place, "pass", staff)
    out.write(f"microcredits: {len(made)} NKUST offerings in {TERM} (Center staff: nkust-center)\n")
    return created
