"""The notices' pages: the registrar's schedules (edit, create, send now) and log; the mentors' class lists and PDF;
everyone's own notices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from menkan.web.accounts.models import User
from menkan.web.notices.models import NoticeLog, NoticeSchedule
from menkan.web.notices.services import notices_send_due

from .test_notices_send import LOCMEM, WEEK_8, Ncut, build_ncut


@pytest.fixture
def ncut(db: Any, settings: Any) -> Ncut:
    settings.EMAIL_BACKEND = LOCMEM
    return build_ncut()


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_registrar_sees_the_schedules_and_their_dates(ncut: Ncut) -> None:
    page = _client(ncut.users["registrar"]).get(reverse("notices:schedule-list")).content.decode()
    assert "114-1" in page and "114-2" in page
    assert "2025-10-31" in page and "2025-12-26" in page and "2026-03-01" in page
    assert _client(ncut.users["mentor-cs"]).get(reverse("notices:schedule-list")).status_code == 403


def test_the_registrar_edits_a_schedule(ncut: Ncut) -> None:
    client = _client(ncut.users["registrar"])
    url = reverse("notices:schedule-edit", kwargs={"pk": ncut.first.pk})
    form = {
        "semester_start": "2025-09-15",
        "weeks": "7, 15",
        "weekday": "3",
        "head_weeks": "15",
        "deadline": "2026-06-01",
        "monthly_to_heads": "on",
        "active": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    ncut.first.refresh_from_db()
    assert (ncut.first.weeks, ncut.first.head_weeks, ncut.first.weekday) == ([7, 15], [15], 3)
    assert ncut.first.updated_by == ncut.users["registrar"]
    assert ncut.first.term == "114-1"  # not editable
    page = client.get(url).content.decode()
    assert "ncut:114-1:week-7" in page and "2025-10-30" in page  # Thursday of week 7
    refused = client.post(url, {**form, "weeks": "eight", "monthly_day": ""})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    ncut.first.refresh_from_db()
    assert ncut.first.weeks == [7, 15]


def test_the_registrar_creates_a_schedule_for_their_institution_only(ncut: Ncut) -> None:
    client = _client(ncut.users["registrar"])
    form = {
        "institution": str(ncut.institution.pk),
        "term": "115-1",
        "semester_start": "2026-09-14",
        "weeks": "8,16",
        "weekday": "4",
        "head_weeks": "16",
        "deadline": "2027-06-01",
        "active": "on",
    }
    assert client.post(reverse("notices:schedule-create"), form).status_code == 302
    created = NoticeSchedule.objects.get(term="115-1")
    assert (created.weeks, created.monthly_day, created.monthly_to_heads) == ([8, 16], None, False)
    ntut = build_other_institution()
    response = client.post(reverse("notices:schedule-create"), {**form, "institution": str(ntut.pk), "term": "115-2"})
    assert response.status_code == 403 and not NoticeSchedule.objects.filter(term="115-2").exists()


def build_other_institution() -> Any:
    from menkan.web.records.models import Institution

    return Institution.objects.create(code="elsewhere", name_zh="他校", name_en="Elsewhere")


def test_send_due_now_sends_what_is_due_today_once(ncut: Ncut) -> None:
    today = timezone.localdate()
    NoticeSchedule.objects.filter(pk=ncut.first.pk).update(
        semester_start=today, weeks=[1], weekday=today.weekday(), deadline=today + timedelta(days=30)
    )
    client = _client(ncut.users["registrar"])
    response = client.post(reverse("notices:send-due"), {"institution": "ncut"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("notices:log")
    assert len(mail.outbox) == 5 and "5 sent" in response.content.decode()
    client.post(reverse("notices:send-due"), {"institution": "ncut"})
    assert len(mail.outbox) == 5
    assert NoticeLog.objects.filter(notice_key="ncut:114-1:week-1").count() == 6
    assert (
        _client(ncut.users["mentor-cs"]).post(reverse("notices:send-due"), {"institution": "ncut"}).status_code == 403
    )
    assert client.get(reverse("notices:send-due")).status_code == 405


def test_the_log_is_filterable_and_people_see_their_own_notices(ncut: Ncut) -> None:
    notices_send_due(WEEK_8)
    registrar = _client(ncut.users["registrar"])
    page = registrar.get(reverse("notices:log")).content.decode()
    assert "student:NC11107001" in page and "mentor:mentor-cs" in page and "mentor:mentor-ee" in page
    skipped = registrar.get(reverse("notices:log"), {"status": "skipped"}).content.decode()
    assert "student:NC11109002" in skipped and "student:NC11107001" not in skipped
    assert "沒有電子郵件地址" in skipped  # the reason "no e-mail address", in the page's language
    mentors = registrar.get(reverse("notices:log"), {"audience": "mentor", "notice": "week-8"}).content.decode()
    assert "mentor:mentor-cs" in mentors and "student:NC11107001" not in mentors
    own = _client(ncut.users["mentor-cs"]).get(reverse("notices:log")).content.decode()
    assert "mentor:mentor-cs" in own and "mentor:mentor-ee" not in own and "student:NC11107001" not in own
    student = ncut.students["passed"]
    student.user = ncut.users["head-ee"]  # any account will do: the student's own notices
    student.save(update_fields=["user"])
    mine = _client(ncut.users["head-ee"]).get(reverse("notices:log")).content.decode()
    assert "student:NC11107001" in mine and "student:NC11107002" not in mine


def test_a_mentor_sees_and_prints_their_class_list_only(ncut: Ncut) -> None:
    client = _client(ncut.users["mentor-cs"])
    url = reverse("notices:class-list", kwargs={"institution": "ncut", "code": "資工四甲"})
    page = client.get(url).content.decode()
    assert "NC11107001" in page and "NC11107002" in page and "NC11109001" not in page
    assert "NN11107001" not in page  # night division: the thresholds do not apply
    assert "未通過" in page and "2 / 3" in page
    pdf = client.get(reverse("notices:class-list-pdf", kwargs={"institution": "ncut", "code": "資工四甲"}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    other = reverse("notices:class-list", kwargs={"institution": "ncut", "code": "電機四甲"})
    assert client.get(other).status_code == 403
    assert client.get(reverse("notices:class-list", kwargs={"institution": "ncut", "code": "nope"})).status_code == 404
    index = client.get(reverse("notices:class-index")).content.decode()
    assert "資工四甲" in index and "電機四甲" not in index
    head = _client(ncut.users["head-ee"])
    assert head.get(other).status_code == 200 and head.get(url).status_code == 403


def test_the_admin_edits_schedules_and_shows_the_log_read_only(ncut: Ncut) -> None:
    notices_send_due(WEEK_8)
    admin = User.objects.create_superuser("root", "root@ncut.edu.tw", "x")
    admin.must_change_password = False
    admin.save(update_fields=["must_change_password"])
    client = _client(admin)
    schedule = client.get(reverse("admin:notices_noticeschedule_change", args=[ncut.first.pk]))
    assert schedule.status_code == 200 and "8, 16" in schedule.content.decode()
    log = client.get(reverse("admin:notices_noticelog_changelist"))
    assert log.status_code == 200 and "mentor:mentor-cs" in log.content.decode()
    assert client.get(reverse("admin:notices_noticelog_add")).status_code == 403


def test_a_classs_mentor_without_a_role_row_gets_the_class_list_links(ncut: Ncut) -> None:
    """mentor-cs is 資工四甲's mentor only through SchoolClass.mentor (as imported), with no mentor RoleAssignment."""
    page = _client(ncut.users["mentor-cs"]).get(reverse("notices:class-index")).content.decode()
    assert f'href="{reverse("notices:class-index")}"' in page and f'href="{reverse("notices:log")}"' in page


def test_the_log_gives_the_skipped_reason_in_the_pages_language(ncut: Ncut) -> None:
    notices_send_due(WEEK_8)
    registrar = _client(ncut.users["registrar"])
    chinese = registrar.get(reverse("notices:log"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "沒有電子郵件地址" in chinese and "no e-mail address" not in chinese
    english = registrar.get(reverse("notices:log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no e-mail address" in english
