"""Demo data of the notices: NCUT's 114 schedules (nothing is sent), notice addresses for NCUT's demo students,
and an NCUT mentor and department head with e-mail addresses."""

from __future__ import annotations

from datetime import date
from typing import TextIO

# 114-1: week 8 is the week of 114年10月31日 (a Friday) in the document, so week 1 began on Monday 2025-09-08.
# 114-2: the document gives no date; the second semester is taken to start on Monday 2026-02-23, with the
# monthly reminders on the 1st of each month (3/1, 4/1, 5/1) before the deadline 115年6月1日.
SCHEDULES = (("114-1", date(2025, 9, 8), None), ("114-2", date(2026, 2, 23), 1))
# Students have no account in the demo: their address is derived from the student id, the form NCUT's student
# mail uses (an assumption of the demo; real addresses are imported or come with the students' accounts).
STUDENT_MAIL_DOMAIN = "student.ncut.edu.tw"
STAFF_MAIL_DOMAIN = "ncut.edu.tw"


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    from django.db.models import Count

    from menkan.web.accounts.api import Role, User, role_assign, user_create
    from menkan.web.notices.models import StudentContact
    from menkan.web.notices.services import NoticeSetupError, schedule_seed
    from menkan.web.records.api import Institution, SchoolClass, Student

    ncut = Institution.objects.filter(code="ncut").first()
    if ncut is None:
        return []
    created: list[tuple[str, str, str]] = []
    for term, start, monthly_day in SCHEDULES:
        try:
            schedule_seed(ncut, term, semester_start=start, monthly_day=monthly_day)
        except NoticeSetupError as exc:
            out.write(f"notices: {exc}\n")
            return created
    lacking = Student.objects.filter(institution=ncut, notice_contact__isnull=True).exclude(user__email__gt="")
    StudentContact.objects.bulk_create(
        [StudentContact(student=s, email=f"{s.student_id}@{STUDENT_MAIL_DOMAIN}".lower()) for s in lacking],
        ignore_conflicts=True,
    )
    # the class with the most students (the demo seniors' largest class) gets the demo mentor
    school_class = (
        SchoolClass.objects.filter(institution=ncut)
        .annotate(size=Count("students"))
        .order_by("-size", "code")
        .select_related("department")
        .first()
    )
    if school_class is None:
        return created
    for username, role, scope in (
        ("ncut-mentor", Role.MENTOR, {"school_class": school_class}),
        ("ncut-dept-head", Role.DEPARTMENT_HEAD, {"department": school_class.department}),
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            user, password = user_create(username, email=f"{username}@{STAFF_MAIL_DOMAIN}", first_name=role.label)
            created.append((username, str(role), password))
        elif not user.email:
            user.email = f"{username}@{STAFF_MAIL_DOMAIN}"
            user.save(update_fields=["email"])
        role_assign(user, role, ncut.pk, **scope)
        if role == Role.MENTOR and school_class.mentor_id is None:
            SchoolClass.objects.filter(pk=school_class.pk).update(mentor=user)
    # mentors of other NCUT classes (if any) need an address to receive their lists
    for mentor in User.objects.filter(mentored_classes__institution=ncut, email="").distinct():
        mentor.email = f"{mentor.username}@{STAFF_MAIL_DOMAIN}"
        mentor.save(update_fields=["email"])
    out.write(
        f"notices: NCUT schedules 114-1 and 114-2 ready (nothing sent); mentor of {school_class.code}: ncut-mentor\n"
    )
    return created
