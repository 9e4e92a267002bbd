"""Scheduled notices of the NCUT self-learning thresholds: the calendar, who gets what, once only (also when two runs
race on PostgreSQL), skipped and failed sends, the CLI and the Celery task."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections

from menkan.cli import main
from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign, user_create, user_password_change
from menkan.web.audits.services import policy_publish_shipped, students_audit
from menkan.web.notices import selectors
from menkan.web.notices.models import NoticeLog, NoticeSchedule
from menkan.web.notices.services import notices_send_due, schedule_seed, student_contact_set
from menkan.web.notices.tasks import notices_send_due_task
from menkan.web.records.models import Institution, SchoolClass, Student
from menkan.web.records.services import student_import_document

from .conftest import PASSWORD

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
WEEK_8, WEEK_16 = date(2025, 10, 31), date(2025, 12, 26)
MARCH = date(2026, 3, 1)

PASSING = {
    "activities": [
        {"item": "resilience", "hours": 3, "term": "113-1", "title": "醫務心理學", "unit": "教務處"},
        {"item": "improvement", "hours": 3, "term": "112-1", "title": "電子資源線上教育訓練", "unit": "圖書館"},
        {"item": "social", "hours": 24, "term": "113-1", "title": "淨灘志工", "unit": "學務處"},
    ],
    "certificates": [{"code": "TS-B-SOFTWARE", "title": "電腦軟體設計 乙級技術士", "term": "113-2", "level": "乙"}],
}
SHORT = {"activities": [{"item": "improvement", "hours": 2, "term": "113-1", "title": "Scopus", "unit": "圖書館"}]}


def ncut_document(student_id: str, department: str, class_code: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"學生{student_id[-3:]}",
        "institution": "ncut",
        "department": department,
        "division": "day-bachelor",
        "degree": "bachelor",
        "admission_term": "111-1",
        "admitted_into_year": 1,
        "class_code": class_code,
        "enrollment": [{"term": "114-1", "status": "enrolled"}],  # audits as of 114-1
        **extra,
    }


@dataclass
class Ncut:
    institution: Institution
    students: dict[str, Student]
    users: dict[str, User]
    first: NoticeSchedule
    second: NoticeSchedule


def build_ncut() -> Ncut:
    """NCUT seniors in two classes of two departments (passed, not passed, one without an address), a night-division
    senior and a junior (neither concerned), two mentors, two heads, and the 114 schedules."""
    policy_publish_shipped("ncut", reaudit=False)
    ncut = Institution.objects.get(code="ncut")
    documents = {
        "passed": ncut_document("NC11107001", "資工", "資工四甲", **PASSING),
        "short": ncut_document("NC11107002", "資工", "資工四甲", **SHORT),
        "ee": ncut_document("NC11109001", "電機", "電機四甲", **SHORT),
        "no-mail": ncut_document("NC11109002", "電機", "電機四甲"),
        "night": ncut_document("NN11107001", "資工", "資工四甲", division="night-bachelor"),
        "junior": ncut_document("NC11207001", "資工", "資工三甲", admission_term="112-1"),
    }
    students = {name: student_import_document(ncut, doc)[0] for name, doc in documents.items()}
    students_audit(list(students.values()))
    for name, student in students.items():
        if name != "no-mail":
            student_contact_set(student, f"{student.student_id.lower()}@student.ncut.edu.tw")
    users = {}
    for username in ("mentor-cs", "mentor-ee", "head-cs", "head-ee", "registrar"):
        users[username], _ = user_create(username, email=f"{username}@ncut.edu.tw")
        user_password_change(users[username], PASSWORD)
    classes = {c.code: c for c in SchoolClass.objects.filter(institution=ncut)}
    SchoolClass.objects.filter(pk=classes["資工四甲"].pk).update(mentor=users["mentor-cs"])
    role_assign(users["mentor-ee"], Role.MENTOR, ncut.pk, school_class=classes["電機四甲"])
    role_assign(users["head-cs"], Role.DEPARTMENT_HEAD, ncut.pk, department=students["passed"].department)
    role_assign(users["head-ee"], Role.DEPARTMENT_HEAD, ncut.pk, department=students["ee"].department)
    role_assign(users["registrar"], Role.REGISTRAR, ncut.pk)
    first = schedule_seed(ncut, "114-1", semester_start=date(2025, 9, 8))
    second = schedule_seed(ncut, "114-2", semester_start=date(2026, 2, 23), monthly_day=1)
    return Ncut(ncut, students, users, first, second)


@pytest.fixture
def ncut(db: Any, settings: Any) -> Ncut:
    settings.EMAIL_BACKEND = LOCMEM
    return build_ncut()


def test_a_student_back_from_a_year_of_leave_is_not_a_senior_yet(ncut: Ncut) -> None:
    # The study year is the engine's (menkan.engine.study_year): leave semesters do not advance it.
    spec = selectors.notice_spec(ncut.institution)
    assert spec is not None
    student = ncut.students["short"]
    assert selectors.is_senior(student, "114-1", spec)
    student.standing = {
        "enrollment": [{"term": t, "status": "leave", "reason": "personal"} for t in ("112-1", "112-2")]
    }
    assert not selectors.is_senior(student, "114-1", spec)
    assert selectors.is_senior(student, "115-1", spec)


def _mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def _addresses() -> set[str]:
    return {address for m in mail.outbox for address in m.to}


# --- the calendar ----------------------------------------------------------------------------------------------


def test_schedules_follow_the_documents_calendar(ncut: Ncut) -> None:
    first = [(n.key, n.due, n.to_heads) for n in selectors.schedule_notices(ncut.first)]
    assert first == [
        ("ncut:114-1:week-8", WEEK_8, False),  # 第8週(114年10月31日): mentors and students
        ("ncut:114-1:week-16", WEEK_16, True),  # 第16週(114年12月26日前): department heads too
    ]
    second = [(n.key, n.due, n.only_not_passed) for n in selectors.schedule_notices(ncut.second)]
    assert second == [
        ("ncut:114-2:month-2026-03", date(2026, 3, 1), True),
        ("ncut:114-2:month-2026-04", date(2026, 4, 1), True),
        ("ncut:114-2:month-2026-05", date(2026, 5, 1), True),
    ]
    assert ncut.first.deadline == ncut.second.deadline == date(2026, 6, 1)  # 115年6月1日


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2025, 10, 30), None),
        (WEEK_8, "ncut:114-1:week-8"),
        (date(2025, 11, 4), "ncut:114-1:week-8"),  # a missed day catches up
        (WEEK_16, "ncut:114-1:week-16"),
        (date(2026, 1, 20), "ncut:114-1:week-16"),
        (MARCH, None),  # the second semester's reminders have begun
        (date(2026, 6, 1), None),  # the deadline has passed
    ],
)
def test_the_notice_due_on_a_day(ncut: Ncut, today: date, due: str | None) -> None:
    notice = selectors.notice_due(ncut.first, today)
    assert (notice.key if notice else None) == due


def test_an_inactive_schedule_has_nothing_due(ncut: Ncut) -> None:
    ncut.first.active = False
    assert selectors.notice_due(ncut.first, WEEK_8) is None


def test_the_second_semester_schedule_has_its_monthly_reminders_due(ncut: Ncut) -> None:
    assert selectors.notice_due(ncut.second, date(2026, 2, 28)) is None
    assert selectors.notice_due(ncut.second, date(2026, 4, 15)).key == "ncut:114-2:month-2026-04"  # type: ignore[union-attr]
    assert selectors.notice_due(ncut.second, date(2026, 6, 1)) is None


# --- who gets what ---------------------------------------------------------------------------------------------


def test_week_8_goes_to_every_senior_and_each_mentor_with_their_class_only(ncut: Ncut) -> None:
    report = notices_send_due(WEEK_8)
    s = ncut.students
    assert _addresses() == {
        "nc11107001@student.ncut.edu.tw",
        "nc11107002@student.ncut.edu.tw",
        "nc11109001@student.ncut.edu.tw",
        "mentor-cs@ncut.edu.tw",
        "mentor-ee@ncut.edu.tw",
    }  # no department head at week 8 (the document: 導師及學生); the senior without an address is skipped
    assert report.counts == {"sent": 5, "skipped": 1}
    cs = _mails_to("mentor-cs@ncut.edu.tw")[0]
    assert "NC11107001" in cs.body and "NC11107002" in cs.body
    assert "NC11109001" not in cs.body and "NC11109002" not in cs.body and "NN11107001" not in cs.body
    ee = _mails_to("mentor-ee@ncut.edu.tw")[0]
    assert "NC11109001" in ee.body and "NC11109002" in ee.body and "NC11107001" not in ee.body
    (name, pdf, kind) = cs.attachments[0]
    assert kind == "application/pdf" and pdf.startswith(b"%PDF") and name.endswith(".pdf")
    own = _mails_to("nc11107002@student.ncut.edu.tw")[0]
    assert "未通過" in own.subject and "2 / 3" in own.body and "分機" not in own.subject
    assert "115年6月1日" in own.body and "1 June 2026" in own.body  # the deadline, in both languages
    assert "2223" in own.body  # the library's contact, for the item short of hours
    assert "通過" in _mails_to("nc11107001@student.ncut.edu.tw")[0].subject
    logged = NoticeLog.objects.filter(notice_key="ncut:114-1:week-8")
    assert {entry.recipient for entry in logged} == {
        "student:NC11107001",
        "student:NC11107002",
        "student:NC11109001",
        "student:NC11109002",
        "mentor:mentor-cs",
        "mentor:mentor-ee",
    }
    skipped = logged.get(student=s["no-mail"])
    assert (skipped.status, skipped.error, skipped.email) == ("skipped", "no e-mail address", "")


def test_week_16_also_goes_to_department_heads_with_their_department_only(ncut: Ncut) -> None:
    notices_send_due(WEEK_16)
    head_cs = _mails_to("head-cs@ncut.edu.tw")
    head_ee = _mails_to("head-ee@ncut.edu.tw")
    assert len(head_cs) == len(head_ee) == 1
    assert "NC11107001" in head_cs[0].body and "NC11107002" in head_cs[0].body
    assert "NC11109001" not in head_cs[0].body
    assert "NC11109001" in head_ee[0].body and "NC11107001" not in head_ee[0].body
    assert "2 seniors, 1 passed, 1 not passed, 50.00%" in head_cs[0].body  # the department's counts
    passed = _mails_to("nc11107001@student.ncut.edu.tw")[0]
    assert "This is the last notice you will receive." in passed.body  # 日後不重複發放


def test_second_semester_reminders_go_to_those_not_passed_and_their_mentors(ncut: Ncut) -> None:
    notices_send_due(MARCH)
    addresses = _addresses()
    assert "nc11107001@student.ncut.edu.tw" not in addresses  # passed: no reminder
    assert {"nc11107002@student.ncut.edu.tw", "nc11109001@student.ncut.edu.tw"} <= addresses
    assert {"mentor-cs@ncut.edu.tw", "mentor-ee@ncut.edu.tw", "head-cs@ncut.edu.tw"} <= addresses
    reminder = _mails_to("nc11107002@student.ncut.edu.tw")[0]
    assert "115年6月1日" in reminder.body and "115年3月" in reminder.subject
    assert NoticeLog.objects.filter(notice_key="ncut:114-2:month-2026-03", student=ncut.students["passed"]).count() == 0


def test_a_class_with_every_senior_passed_gets_no_reminder(ncut: Ncut) -> None:
    for name in ("ee", "no-mail"):
        Student.objects.filter(pk=ncut.students[name].pk).update(school_class=None)
    Student.objects.filter(pk=ncut.students["short"].pk).delete()
    notices_send_due(MARCH)
    assert not _mails_to("mentor-cs@ncut.edu.tw")  # only a passed senior left in 資工四甲
    assert not _mails_to("head-cs@ncut.edu.tw")


def test_students_the_requirement_does_not_apply_to_get_nothing(ncut: Ncut) -> None:
    for today in (WEEK_8, WEEK_16, MARCH):
        notices_send_due(today)
    for name in ("night", "junior"):
        student = ncut.students[name]
        assert not NoticeLog.objects.filter(student=student).exists()
        assert not _mails_to(f"{student.student_id.lower()}@student.ncut.edu.tw")
        assert student.student_id not in " ".join(m.body for m in mail.outbox)
    # without the division filter of the audience, the requirement itself decides: it does not apply to a
    # night-division student (their audit leaves it out), so they are still nobody's senior here
    spec = replace(selectors.notice_spec(ncut.institution), division=None)  # type: ignore[arg-type]
    seniors = selectors.seniors_status(ncut.institution, "114-1", spec)
    assert ncut.students["night"].pk not in {s.student.pk for s in seniors}
    assert ncut.students["passed"].pk in {s.student.pk for s in seniors}


# --- once only -------------------------------------------------------------------------------------------------


def test_the_notice_job_run_twice_on_the_same_day_sends_each_notice_once(ncut: Ncut) -> None:
    first = notices_send_due(WEEK_16)
    sent = len(mail.outbox)
    assert sent == first.counts["sent"] == 7  # 3 seniors with an address, 2 mentors, 2 heads
    second = notices_send_due(WEEK_16)
    assert len(mail.outbox) == sent
    assert second.counts == {"already": 7, "skipped": 1}  # the one without an address is tried again
    assert NoticeLog.objects.filter(notice_key="ncut:114-1:week-16").count() == 8
    later = notices_send_due(date(2025, 12, 29))  # the days after: still nothing new
    assert len(mail.outbox) == sent and later.counts.get("sent", 0) == 0


def test_a_skipped_student_gets_the_notice_once_they_have_an_address(ncut: Ncut) -> None:
    notices_send_due(WEEK_8)
    student_contact_set(ncut.students["no-mail"], "nc11109002@student.ncut.edu.tw")
    report = notices_send_due(date(2025, 11, 3))
    assert report.counts == {"already": 5, "sent": 1}
    entry = NoticeLog.objects.get(notice_key="ncut:114-1:week-8", student=ncut.students["no-mail"])
    assert (entry.status, entry.attempts, entry.email) == ("sent", 2, "nc11109002@student.ncut.edu.tw")


class _Broken(Exception):
    pass


def test_a_failed_send_is_logged_and_tried_again_by_the_next_run(ncut: Ncut, monkeypatch: Any) -> None:
    from django.core.mail import EmailMessage

    original = EmailMessage.send

    def refuse(self: EmailMessage, fail_silently: bool = False) -> int:
        raise _Broken("mail server unreachable")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    report = notices_send_due(WEEK_8)
    assert report.counts == {"failed": 5, "skipped": 1}
    entry = NoticeLog.objects.get(notice_key="ncut:114-1:week-8", recipient="mentor:mentor-cs")
    assert entry.status == "failed" and "mail server unreachable" in entry.error and entry.sent_at is None
    monkeypatch.setattr(EmailMessage, "send", original)
    assert notices_send_due(WEEK_8).counts == {"sent": 5, "skipped": 1}
    entry.refresh_from_db()
    assert (entry.status, entry.error, entry.attempts) == ("sent", "", 2)
    assert notices_send_due(WEEK_8).counts == {"already": 5, "skipped": 1}


def test_a_dry_run_sends_and_writes_nothing(ncut: Ncut) -> None:
    report = notices_send_due(WEEK_8, dry_run=True)
    assert report.counts == {"would-send": 5, "would-skip": 1}
    assert not mail.outbox and not NoticeLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_notice_once(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs truly concurrent transactions (PostgreSQL): SQLite runs one writer at a time")
    settings.EMAIL_BACKEND = LOCMEM
    build_ncut()
    mail.outbox = []
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            notices_send_due(WEEK_16)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    recipients = [address for m in mail.outbox for address in m.to]
    assert len(recipients) == len(set(recipients)) == 7
    assert NoticeLog.objects.filter(status="sent").count() == 7


# --- the CLI and the task ------------------------------------------------------------------------------------------


def test_the_cli_sends_the_due_notices_and_says_so(ncut: Ncut) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["notices", "send", "--date", "2025-10-31", "--dry-run"], out, err) == 0
    assert "dry run: 5 would-send, 1 would-skip" in out.getvalue() and not mail.outbox
    out = io.StringIO()
    assert main(["notices", "send", "--date", "2025-10-31", "--institution", "ncut"], out, err) == 0
    assert "ncut:114-1:week-8  mentor:mentor-cs" in out.getvalue()
    assert "notices: 5 sent, 1 skipped" in out.getvalue() and len(mail.outbox) == 5
    assert main(["notices", "send", "--date", "31/10/2025"], out, err) == 2
    assert main(["notices", "send", "--institution", "nowhere"], out, err) == 2
    assert "no institution 'nowhere'" in err.getvalue()


def test_the_celery_task_runs_the_job(ncut: Ncut) -> None:
    result = notices_send_due_task.delay(today="2025-10-31")
    assert result.get() == {"sent": 5, "skipped": 1}
    assert notices_send_due_task.delay(today="2025-10-31").get() == {"already": 5, "skipped": 1}


def test_the_beat_schedule_runs_the_job_daily(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["notices-send-due"]
    assert entry["task"] == notices_send_due_task.name
