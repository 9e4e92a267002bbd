"""Security of the notices: class lists show only the students the viewer may see, a student's mail holds nothing
of another student, and the log's page links carry the filters URL-encoded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from menkan.web.notices import services
from menkan.web.notices.services import notices_send_due
from menkan.web.records.models import SchoolClass

from .test_notices_pages import _client
from .test_notices_send import LOCMEM, WEEK_8, Ncut, build_ncut

pytestmark = pytest.mark.django_db


@pytest.fixture
def ncut(db: Any, settings: Any) -> Ncut:
    settings.EMAIL_BACKEND = LOCMEM
    return build_ncut()


def _mixed_class(ncut: Ncut) -> SchoolClass:
    """電機四甲 with a 資工 senior placed in it (a transfer, a double major): the class holds two departments."""
    ee_class = SchoolClass.objects.get(institution=ncut.institution, code="電機四甲")
    cs_senior = ncut.students["short"]  # NC11107002, department 資工
    cs_senior.school_class = ee_class
    cs_senior.save(update_fields=["school_class"])
    return ee_class


def test_a_department_head_sees_only_their_departments_seniors_in_a_mixed_class(ncut: Ncut) -> None:
    _mixed_class(ncut)
    url = reverse("notices:class-list", kwargs={"institution": "ncut", "code": "電機四甲"})
    page = _client(ncut.users["head-ee"]).get(url).content.decode()
    assert "NC11109001" in page  # 電機's own senior
    assert "NC11107002" not in page  # 資工's senior is not the 電機 head's to see


def test_the_class_pdf_of_a_mixed_class_holds_only_the_departments_seniors(ncut: Ncut, monkeypatch: Any) -> None:
    _mixed_class(ncut)
    printed: list[str] = []

    def capture(classes: Any, **kwargs: Any) -> bytes:
        printed.extend(s.student.student_id for _, seniors in classes for s in seniors)
        return b"%PDF-1.7"

    monkeypatch.setattr(services, "class_list_pdf", capture)
    url = reverse("notices:class-list-pdf", kwargs={"institution": "ncut", "code": "電機四甲"})
    assert _client(ncut.users["head-ee"]).get(url).status_code == 200
    assert "NC11109001" in printed and "NC11107002" not in printed


def test_the_mentor_of_a_mixed_class_still_sees_every_senior_of_it(ncut: Ncut) -> None:
    _mixed_class(ncut)
    url = reverse("notices:class-list", kwargs={"institution": "ncut", "code": "電機四甲"})
    page = _client(ncut.users["mentor-ee"]).get(url).content.decode()
    assert "NC11109001" in page and "NC11107002" in page


def test_a_students_mail_holds_nothing_of_another_student(ncut: Ncut) -> None:
    notices_send_due(WEEK_8)
    everyone = {s.student_id: s for s in ncut.students.values()}
    for student in ncut.students.values():
        address = f"{student.student_id.lower()}@student.ncut.edu.tw"
        for message in [m for m in mail.outbox if address in m.to]:
            assert message.to == [address]
            text = message.subject + message.body + "".join(str(a[1]) for a in message.attachments)
            assert not message.attachments
            others = {
                sid
                for sid, s in everyone.items()
                if sid != student.student_id and (sid in text or (s.name != student.name and s.name in text))
            }
            assert not others, f"{student.student_id}'s mail mentions {sorted(others)}"


def test_the_log_page_links_carry_the_filters_url_encoded(ncut: Ncut) -> None:
    registrar = _client(ncut.users["registrar"])
    response = registrar.get(reverse("notices:log"), {"q": "a&status=sent&x=<b>"})
    assert response.status_code == 200
    assert response.context["query"] == "q=a%26status%3Dsent%26x%3D%3Cb%3E"
