"""The student fee page: the document's cases (NTHU graduate credit fees, in-service schedule, NYCU extension 9 vs 10
credits) with their bill lines, credits and explanations in both languages; the term selector; who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign
from menkan.web.audits.services import policy_publish_shipped
from menkan.web.records.models import Institution, Student
from menkan.web.records.services import student_import_document

from .conftest import World, _user, course

pytestmark = pytest.mark.django_db

TERM = "114-1"


def passed(count: int, term: str = "113-1", credits: int = 3, prefix: str = "P") -> list[dict[str, Any]]:
    """Courses passed before the term (as in tests/test_fees.py)."""
    return [course(f"{prefix}{term}{i}", f"課程{prefix}{i}", credits, term, "85") for i in range(count)]


def now(code: str, credits: int = 3, grade: str | None = None) -> dict[str, Any]:
    return course(code, f"本學期{code}", credits, TERM, grade)


def nthu_document(student_id: str, *courses: dict[str, Any], **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"研究生{student_id[-3:]}",
        "institution": "nthu",
        "department": "CS",
        "division": "graduate",
        "degree": "master",
        "admission_term": "113-1",
        "courses": list(courses),
    }
    document.update(fields)
    return document


def nycu_document(student_id: str, credits: list[int], status: str = "extension") -> dict[str, Any]:
    return {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"延修生{student_id[-3:]}",
        "institution": "nycu",
        "department": "CS",
        "degree": "bachelor",
        "admission_term": "109-1",
        "courses": [course(f"X{i}", f"課程{i}", c, TERM, None) for i, c in enumerate(credits)],
        "enrollment": [{"term": TERM, "status": status}],
    }


# The document's cases (tests/test_fees.py builds the same records for the engine).
NTHU_CASES: dict[str, tuple[Any, ...]] = {
    "below": (*passed(5), now("C1"), now("LANG1", 2), now("PE1", 1)),
    "crossing": (*passed(7), now("C1"), now("C2"), now("C3")),
    "past": (*passed(9), now("C1"), now("C2")),
    "again": (
        *passed(6),
        course("F1", "品質管理", 3, "113-2", "65"),
        course("W1", "統計學習", 3, "113-2", "W"),
        now("C1"),
        now("C2"),
        now("C3"),
    ),
    "withdrawn": (*passed(2), now("C1"), now("W2", grade="W")),
}


@dataclass
class FeeWorld:
    nthu: Institution
    nycu: Institution
    students: dict[str, Student]
    users: dict[str, User]

    def client(self, who: str, language: str = "zh-hant") -> Client:
        client = Client()
        client.force_login(self.users[who])
        if language != "zh-hant":
            client.post("/i18n/setlang/", {"language": language, "next": "/"})
        return client


@pytest.fixture
def fees_world(db: Any) -> FeeWorld:
    return build_fees_world()


def build_fees_world() -> FeeWorld:
    """NTHU students in each of the document's cases, two NYCU students in an extended period, and their users."""
    policy_publish_shipped("nthu", reaudit=False)
    policy_publish_shipped("nycu", reaudit=False)
    nthu = Institution.objects.get(code="nthu")
    nycu = Institution.objects.get(code="nycu")
    students: dict[str, Student] = {}
    for index, (case, courses) in enumerate(NTHU_CASES.items()):
        students[case], _ = student_import_document(nthu, nthu_document(f"11306200{index}", *courses))
    students["in-service"], _ = student_import_document(
        nthu,
        nthu_document("113764009", *passed(9), now("E1"), now("E2"), department="EMBA", flags=["in-service"]),
    )
    students["nycu-9"], _ = student_import_document(nycu, nycu_document("0810009", [3, 3, 2, 1]))
    students["nycu-10"], _ = student_import_document(nycu, nycu_document("0810010", [3, 3, 3, 1]))
    users = {name: _user(name) for name in ("student", "other-student", "nthu-registrar", "nycu-registrar", "mentor")}
    for name, case in (("student", "crossing"), ("other-student", "below")):
        students[case].user = users[name]
        students[case].save(update_fields=["user"])
        role_assign(users[name], Role.STUDENT, nthu.pk)
    role_assign(users["nthu-registrar"], Role.REGISTRAR, nthu.pk)
    role_assign(users["nycu-registrar"], Role.REGISTRAR, nycu.pk)
    return FeeWorld(nthu, nycu, students, users)


def fee_url(student: Student, term: str | None = TERM) -> str:
    url = f"/fees/{student.institution.code}/{student.student_id}/"
    return f"{url}?term={term}" if term else url


def page(world: FeeWorld, case: str, who: str = "nthu-registrar", language: str = "zh-hant") -> str:
    student = world.students[case]
    if student.institution.code == "nycu" and who == "nthu-registrar":
        who = "nycu-registrar"
    response = world.client(who, language).get(fee_url(student))
    assert response.status_code == 200
    return response.content.decode()


def test_below_the_threshold_every_enrolled_credit_is_billed(fees_world: FeeWorld) -> None:
    html = page(fees_world, "below")
    assert '<strong id="threshold">24</strong>' in html
    assert "本學期前累計學分: <strong>15</strong>" in html
    assert '<strong id="billed-credits">6</strong>' in html and '<strong id="exempt-credits">0</strong>' in html
    assert '<th id="total">NT$ 10,800</th>' in html  # 6 × NT$ 1,800 (CS, admitted 113-1)
    assert 'data-course="C1@114-1" data-status="billed"' in html
    assert 'data-course="PE1@114-1" data-status="billed"' in html
    assert 'data-explanation="below-threshold"' in html
    assert "未達本系所最低畢業學分 24" in html
    # nothing failed or withdrawn before: the page says so under "why am I billed again?"
    assert "沒有重複收費" in html


def test_a_term_crossing_the_threshold_bills_only_the_credits_up_to_it(fees_world: FeeWorld) -> None:
    html = page(fees_world, "crossing")
    assert '<strong id="billed-credits">3</strong>' in html and '<strong id="exempt-credits">6</strong>' in html
    assert '<th id="total">NT$ 5,400</th>' in html
    assert 'data-course="C1@114-1" data-status="billed"' in html
    assert 'data-course="C2@114-1" data-status="exempt"' in html
    assert 'data-course="C3@114-1" data-status="exempt"' in html
    assert "為什麼我的學分費很少，或是零？" in html
    assert "只收其中 3 學分" in html and "這不是系統錯誤" in html
    english = page(fees_world, "crossing", language="en")
    assert "Why is my bill low, or zero?" in english
    assert "only 3 are billed and the other 6 are exempt" in english
    assert "只收其中" not in english  # the page follows the active language


def test_already_past_the_threshold_the_bill_is_zero_and_says_why(fees_world: FeeWorld) -> None:
    html = page(fees_world, "past", language="en")
    assert '<th id="total">NT$ 0</th>' in html
    assert '<strong id="exempt-credits">6</strong>' in html
    assert 'data-explanation="past-threshold"' in html
    assert "your credit fee is zero" in html and "This is not a system error." in html
    assert "學分費為零" in page(fees_world, "past")


def test_failed_and_withdrawn_credits_do_not_accumulate_so_the_student_is_billed_again(fees_world: FeeWorld) -> None:
    html = page(fees_world, "again")
    assert "本學期前累計學分: <strong>18</strong>" in html  # 24 attempted, 6 failed or withdrawn
    assert '<strong id="billed-credits">6</strong>' in html and '<strong id="exempt-credits">3</strong>' in html
    assert "為什麼我又要繳學分費？" in html
    assert 'data-explanation="not-accumulated"' in html
    assert "F1@113-2" in html and "W1@113-2" in html
    assert "不及格" in html and "停修 W" in html
    english = page(fees_world, "again", language="en")
    assert "Why am I billed again?" in english
    assert "even if you paid credit fees for those courses before" in english


def test_a_course_withdrawn_after_add_drop_is_billed_and_one_dropped_during_it_is_not(fees_world: FeeWorld) -> None:
    html = page(fees_world, "withdrawn")
    assert 'data-course="W2@114-1" data-status="billed"' in html
    assert '<th id="total">NT$ 10,800</th>' in html
    assert 'data-explanation="withdrawn-billed"' in html and "不退費" in html
    # Dropped during add/drop: the course leaves the record (the next import no longer has it): not billed.
    student = fees_world.students["withdrawn"]
    document = nthu_document(student.student_id, *passed(2), now("C1"))
    student_import_document(fees_world.nthu, document)
    html = page(fees_world, "withdrawn", language="en")
    assert "W2@114-1" not in html
    assert '<th id="total">NT$ 5,400</th>' in html
    assert "a course dropped during add/drop is not on your record and is not billed" in html


def test_an_in_service_student_is_billed_on_the_program_schedule(fees_world: FeeWorld) -> None:
    html = page(fees_world, "in-service")
    assert 'data-schedule="emba"' in html
    assert 'data-line="items.basic"' in html and "NT$ 14,000" in html
    assert "6 × NT$ 8,500" in html and "NT$ 51,000" in html
    assert '<th id="total">NT$ 65,000</th>' in html  # no exemption past the minimum graduation credits
    assert 'id="threshold"' not in html
    assert 'data-explanation="program-schedule"' in html and "高階經營管理碩士在職專班" in html
    assert "不適用於你的收費標準" in html


@pytest.mark.parametrize(
    ("case", "total", "lines", "code", "zh", "en"),
    [
        ("nycu-9", "NT$ 24,900", ["basic.basic", "credit-fee"], "extension-basic", "未滿 10 學分", "fewer than 10"),
        ("nycu-10", "NT$ 30,500", ["full.full"], "extension-full", "全額學雜費", "10 or more"),
    ],
)
def test_nycu_extension_with_9_and_with_10_credits(
    fees_world: FeeWorld, case: str, total: str, lines: list[str], code: str, zh: str, en: str
) -> None:
    html = page(fees_world, case)
    assert f'<th id="total">{total}</th>' in html
    for line in lines:
        assert f'data-line="{line}"' in html
    assert f'data-explanation="{code}"' in html and zh in html
    assert en in page(fees_world, case, language="en")


def test_the_term_selector_lists_the_terms_the_student_has_enrolments_in(fees_world: FeeWorld) -> None:
    student = fees_world.students["crossing"]
    client = fees_world.client("student")
    html = client.get(fee_url(student, term=None)).content.decode()
    assert '<option value="114-1" selected>' in html  # the latest term by default
    assert '<option value="113-1" >' in html
    assert "113-2" not in html.split('id="term-form"')[1].split("</form>")[0]  # no enrolment in 113-2
    earlier = client.get(fee_url(student, term="113-1")).content.decode()
    assert '<option value="113-1" selected>' in earlier
    assert '<strong id="billed-credits">21</strong>' in earlier  # 7 courses of 113-1, nothing accumulated before
    assert client.get(fee_url(student, term="114-9")).status_code == 404


def test_a_student_sees_their_own_fee_page_and_not_another_students(fees_world: FeeWorld) -> None:
    client = fees_world.client("student")
    assert client.get(fee_url(fees_world.students["crossing"])).status_code == 200
    assert client.get(fee_url(fees_world.students["below"])).status_code == 403  # a student may see nobody else
    assert fees_world.client("nycu-registrar").get(fee_url(fees_world.students["below"])).status_code == 404
    assert fees_world.client("mentor").get(fee_url(fees_world.students["below"])).status_code == 404
    assert Client().get(fee_url(fees_world.students["below"])).status_code == 302  # to the login page


def test_the_navigation_and_the_student_home_link_to_the_fee_page(fees_world: FeeWorld) -> None:
    student = fees_world.students["crossing"]
    html = fees_world.client("student").get(f"/students/nthu/{student.student_id}/").content.decode()
    assert f'href="/fees/nthu/{student.student_id}/"' in html  # the student's own link in the navigation
    assert 'id="fee-link"' in html  # the link on the student home page


def test_an_institution_without_fee_schedules_says_so(world: World) -> None:
    response = world.client("student").get(f"/fees/ntut/{world.own.student_id}/")
    assert response.status_code == 200
    assert 'id="fee-problem"' in response.content.decode()
    home = world.client("student").get(f"/students/ntut/{world.own.student_id}/").content.decode()
    assert 'id="fee-link"' not in home
    assert f'href="/fees/ntut/{world.own.student_id}/"' not in home  # nor in the navigation
