"""NKUST micro-credits end to end: offerings and seats, attendance and hours, the no-show ban, grading into the
record, the student's page, certification with its credit import into the next term, and the gen-ed offset."""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign, user_create, user_password_change
from menkan.web.audits.services import files_of_folder, policy_publish, policy_publish_shipped, student_audit
from menkan.web.microcredits import selectors, services
from menkan.web.microcredits.models import Attendance, Ban, Enrollment, Offering, Review, Session
from menkan.web.microcredits.selectors import requirement_nodes, term_current
from menkan.web.microcredits.services import MicroCreditError
from menkan.web.records.models import Activity, CourseRecord, Institution, Student
from menkan.web.records.services import student_import_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Reasons are matched in English (the portal's default language is zh-TW)."""
    with translation.override("en"):
        yield


def audit_for_display(student: Student) -> dict[str, Any]:
    """The student's audit now (in these tests transactions never commit, so no scheduled re-audit runs)."""
    stored = student_audit(student)
    assert stored is not None
    return stored.document


GEN_ED = [
    {"code": f"GE{n}", "title": f"通識{n}", "credits": 2, "term": "111-1", "grade": "80", "category": "gen-ed",
     "tags": [f"ge:{tag}"]}
    for n, tag in enumerate(["humanities", "social", "natural", "technology", "life"], start=1)
]  # fmt: skip


def account(username: str) -> User:
    user, _ = user_create(username)
    user_password_change(user, "correct-Horse-battery-9")
    return user


def nkust_student(student_id: str, **extra: Any) -> Student:
    document = {
        "schema": "menkan.student/1",
        "student_id": student_id,
        "name": f"學生{student_id[-3:]}",
        "institution": "nkust",
        "department": "CSIE",
        "admission_term": "111-1",
        "courses": [],
        **extra,
    }
    student, _ = student_import_document(Institution.objects.get(code="nkust"), document)
    return student


class Nkust:
    def __init__(self) -> None:
        policy_publish_shipped("nkust", reaudit=False)
        self.institution = Institution.objects.get(code="nkust")
        self.staff = account("center")
        role_assign(self.staff, Role.UNIT_STAFF, self.institution.pk, unit="通識教育中心")
        self.student = nkust_student("N11100001")
        self.user = account("nstudent")
        role_assign(self.user, Role.STUDENT, self.institution.pk)
        self.student.user = self.user
        self.student.save(update_fields=["user"])

    def client(self, user: User) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client


@pytest.fixture
def nk(db: Any) -> Nkust:
    return Nkust()


def modular(nk: Nkust, title: str = "感知美學：攝影", term: str = "114-1", sessions: int = 2) -> Offering:
    offering = services.offering_create(
        nk.institution, term=term, title=title, hours=Decimal(3 * sessions), area="perceptual-aesthetics"
    )
    for n in range(sessions):
        services.session_create(
            offering,
            day=datetime.date(2025, 10, 1 + n),
            starts=datetime.time(13),
            ends=datetime.time(16),
            hours=Decimal(3),
        )
    return offering


def all_sessions(offering: Offering) -> list[int]:
    return list(offering.sessions.values_list("pk", flat=True))


def at(session: Session, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment of the session's day in the portal's time zone."""
    return datetime.datetime.combine(session.date, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def during(session: Session) -> datetime.datetime:
    return at(session, session.starts.hour, 30)


def test_a_modular_course_has_five_seats_and_needs_every_session_confirmed(nk: Nkust) -> None:
    offering = modular(nk)
    assert offering.seats == 5
    with pytest.raises(MicroCreditError, match="every session"):
        services.enrollment_create(offering, nk.student, all_sessions(offering)[:1])
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    with pytest.raises(MicroCreditError, match="already"):
        services.enrollment_create(offering, nk.student, all_sessions(offering))
    others = [nkust_student(f"N1110010{n}") for n in range(5)]
    for other in others[:4]:
        services.enrollment_create(offering, other, all_sessions(offering))
    with pytest.raises(MicroCreditError, match="No seats left"):
        services.enrollment_create(offering, others[4], all_sessions(offering))
    offering.refresh_from_db()
    assert offering.taken == 5
    assert offering.enrollments.count() == 5


def test_the_signup_page_lists_each_session_with_a_checkbox(nk: Nkust) -> None:
    offering = modular(nk)
    client = nk.client(nk.user)
    page = client.get(reverse("microcredits:offering-detail", kwargs={"pk": offering.pk})).content.decode()
    for pk in all_sessions(offering):
        assert f'name="session" value="{pk}"' in page
    url = reverse("microcredits:offering-signup", kwargs={"pk": offering.pk})
    client.post(url, {"session": all_sessions(offering)[:1]})
    assert not Enrollment.objects.filter(student=nk.student).exists()
    client.post(url, {"session": all_sessions(offering)})
    assert Enrollment.objects.filter(student=nk.student, offering=offering).exists()


def test_hours_come_from_sessions_signed_in_and_out_and_a_pass_writes_the_activity(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    first, second = offering.sessions.all()
    # staff scan the id at the door; the student signs out with the session's code
    services.attendance_enter(first, "N11100001", "in", nk.staff)
    services.attendance_check_in(first, nk.student, first.code.lower(), "out", now=during(first))
    services.attendance_check_in(second, nk.student, second.code, "in", now=during(second))
    with pytest.raises(MicroCreditError, match="Wrong"):
        services.attendance_check_in(second, nk.student, "NOPE", "out", now=during(second))
    assert enrollment.hours_attended() == 3  # the second session has no sign-out
    with pytest.raises(MicroCreditError, match="hours attended"):
        services.enrollment_grade(enrollment, "pass", nk.staff)
    services.attendance_enter(second, "N11100001", "out", nk.staff)
    assert enrollment.hours_attended() == 6
    with pytest.raises(MicroCreditError, match="work"):
        services.enrollment_grade(enrollment, "pass", nk.staff)
    services.work_submit(enrollment, SimpleUploadedFile("worksheet.pdf", b"%PDF-1.4 done"))
    services.enrollment_grade(enrollment, "pass", nk.staff)
    activity = Activity.objects.get(student=nk.student, item="ge-micro")
    assert (activity.title, activity.hours, activity.term, activity.passed) == ("感知美學：攝影", 6, "114-1", True)
    assert activity.unit == "通識教育中心"
    node = requirement_nodes(audit_for_display(nk.student))["ge-micro-credits"]
    assert node["details"]["hours_counted"] == 6


def test_work_is_handed_in_through_the_page_by_the_student_only(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    url = reverse("microcredits:work-submit", kwargs={"pk": enrollment.pk})
    stranger = account("stranger")
    assert nk.client(stranger).post(url, {"work": SimpleUploadedFile("w.txt", b"x")}).status_code == 403
    nk.client(nk.user).post(url, {"work": SimpleUploadedFile("w.txt", b"my work")})
    enrollment.refresh_from_db()
    assert enrollment.work_submitted_at is not None


def test_a_failed_course_is_on_the_record_and_does_not_count(nk: Nkust) -> None:
    offering = modular(nk)
    enrollment = services.enrollment_create(offering, nk.student, all_sessions(offering))
    services.enrollment_grade(enrollment, "fail", nk.staff)
    assert not Activity.objects.get(student=nk.student).passed
    node = requirement_nodes(audit_for_display(nk.student))["ge-micro-credits"]
    assert node["details"]["hours_counted"] == 0
    assert [n["reason"] for n in node["not_applied"]] == ["failed"]


def test_an_absent_seat_holder_is_barred_for_the_semester_until_staff_lift_it(nk: Nkust) -> None:
    offering = modular(nk)
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    present = nkust_student("N11100200")
    services.enrollment_create(offering, present, all_sessions(offering))
    first = offering.sessions.first()
    assert first is not None
    services.attendance_enter(first, "N11100200", "in", nk.staff)
    bans = services.session_close(first, nk.staff)
    assert [ban.student for ban in bans] == [nk.student]
    # any micro-credit course of that term is refused, with the reason; another term is not
    plain = services.offering_create(nk.institution, term="114-1", title="在地實踐講座", hours=Decimal(3))
    with pytest.raises(MicroCreditError, match="no-show"):
        services.enrollment_create(plain, nk.student)
    later = services.offering_create(nk.institution, term="114-2", title="在地實踐講座", hours=Decimal(3))
    services.enrollment_create(later, nk.student)
    # the ban is shown on the student's page and at sign-up
    client = nk.client(nk.user)
    page = client.get(
        reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"})
    ).content.decode()
    assert 'data-ban="active"' in page
    assert "感知美學：攝影" in page
    response = client.post(reverse("microcredits:offering-signup", kwargs={"pk": plain.pk}), follow=True)
    assert "no-show" in response.content.decode()
    assert not Enrollment.objects.filter(student=nk.student, offering=plain).exists()
    # lifting needs a reason, which is kept with who and when
    ban = Ban.objects.get(student=nk.student)
    staff = nk.client(nk.staff)
    lift = reverse("microcredits:ban-lift", kwargs={"pk": ban.pk})
    staff.post(lift, {"reason": ""})
    ban.refresh_from_db()
    assert ban.active
    staff.post(lift, {"reason": "病假，附診斷證明"})
    ban.refresh_from_db()
    assert (ban.active, ban.lifted_by, ban.lift_reason) == (False, nk.staff, "病假，附診斷證明")
    services.enrollment_create(plain, nk.student)
    page = client.get(
        reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"})
    ).content.decode()
    assert 'data-ban="lifted"' in page and "病假，附診斷證明" in page


def test_a_plain_course_absence_bars_nobody(nk: Nkust) -> None:
    plain = services.offering_create(nk.institution, term="114-1", title="講座", hours=Decimal(2))
    session = services.session_create(
        plain, day=datetime.date(2025, 10, 1), starts=datetime.time(9), ends=datetime.time(11), hours=Decimal(2)
    )
    services.enrollment_create(plain, nk.student)
    assert services.session_close(session, nk.staff) == []


def test_the_student_page_shows_hours_counted_ignored_and_why_and_credits(nk: Nkust) -> None:
    student = nkust_student(
        "N11100300",
        activities=[
            {"item": "ge-micro", "hours": 20, "term": "112-1", "title": "課程A", "unit": "通識教育中心"},
            {"item": "ge-micro", "hours": 20, "term": "112-2", "title": "課程B", "unit": "通識教育中心"},
            {"item": "ge-micro", "hours": 6, "term": "113-1", "title": "課程A", "unit": "通識教育中心"},
        ],
    )
    user = account("n300")
    student.user = user
    student.save(update_fields=["user"])
    page = (
        nk.client(user)
        .get(reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100300"}))
        .content.decode()
    )
    assert '<strong id="hours-counted">36' in page
    assert '<strong id="hours-ignored">10' in page  # 4 over the cap + 6 of a duplicate title
    assert '<strong id="credits-earned">2' in page
    assert "超過上限" in page or "over" in page.lower()
    assert "重複" in page or "duplicate" in page.lower()


def certify(nk: Nkust, term: str, hours: int = 18, titles: tuple[str, ...] = ("課程A",)) -> Any:
    for title in titles:
        Activity.objects.create(
            student=nk.student, item="ge-micro", hours=hours, term=term, title=title, unit="通識教育中心"
        )
    ids = list(Activity.objects.filter(student=nk.student).values_list("pk", flat=True))
    return services.certification_file(nk.student, term, ids, True)


def test_a_certification_filed_in_113_1_puts_the_credits_on_the_113_2_record(nk: Nkust) -> None:
    certification = certify(nk, "113-1", 18, ("課程A", "課程B"))
    staff = nk.client(nk.staff)
    assert "課程A" in staff.get(reverse("microcredits:review-list")).content.decode()
    staff.post(reverse("microcredits:certification-review", kwargs={"pk": certification.pk}), {"decision": "approve"})
    certification.refresh_from_db()
    assert certification.status == Review.APPROVED
    assert certification.imported_term == "113-2"
    courses = CourseRecord.objects.filter(student=nk.student, category="micro-credit").order_by("code")
    assert [(c.code, c.term, c.credits, c.grade) for c in courses] == [
        ("GEMC1", "113-2", 1, "P"),
        ("GEMC2", "113-2", 1, "P"),
    ]
    node = requirement_nodes(audit_for_display(nk.student))["ge-micro-credits-imported"]
    assert node["status"] == "met"
    assert [item["ref"] for item in node["applied"]] == ["GEMC1@113-2", "GEMC2@113-2"]
    student_audit(nk.student)
    page = (
        nk.client(nk.user)
        .get(reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"}))
        .content.decode()
    )
    assert "GEMC1@113-2" in page


def test_one_step_then_the_second_later_and_nothing_twice(nk: Nkust) -> None:
    first = certify(nk, "112-1", 18)
    services.certification_approve(first, nk.staff)
    assert list(CourseRecord.objects.filter(student=nk.student).values_list("code", "term")) == [("GEMC1", "112-2")]
    again = services.certification_file(nk.student, "112-2", [Activity.objects.get().pk], True)
    refused = services.certification_approve(again, nk.staff)
    assert refused.status == Review.REFUSED
    assert "on the record already" in refused.reason
    second = certify(nk, "113-1", 18, ("課程B",))
    services.certification_approve(second, nk.staff)
    assert sorted(CourseRecord.objects.filter(student=nk.student).values_list("code", "term")) == [
        ("GEMC1", "112-2"),
        ("GEMC2", "113-2"),
    ]


def test_a_current_semester_exception_needs_a_reason_and_imports_into_the_filing_term(nk: Nkust) -> None:
    certification = certify(nk, "113-1", 18)
    with pytest.raises(MicroCreditError, match="reason"):
        services.certification_approve(certification, nk.staff, exception=True)
    services.certification_approve(certification, nk.staff, exception=True, exception_reason="下學期校外實習")
    course = CourseRecord.objects.get(student=nk.student)
    assert (course.code, course.term) == ("GEMC1", "113-1")
    certification.refresh_from_db()
    assert certification.current_term_exception and certification.exception_reason == "下學期校外實習"


def test_incomplete_forms_and_uncompleted_courses_are_refused_with_the_reason(nk: Nkust) -> None:
    Activity.objects.create(student=nk.student, item="ge-micro", hours=9, term="113-1", title="課程A")
    ids = list(Activity.objects.values_list("pk", flat=True))
    with pytest.raises(MicroCreditError, match="incomplete"):
        services.certification_file(nk.student, "113-1", [], True)
    with pytest.raises(MicroCreditError, match="incomplete"):
        services.certification_file(nk.student, "113-1", ids, False)
    certification = services.certification_file(nk.student, "113-1", ids, True)
    refused = services.certification_approve(certification, nk.staff)
    assert refused.status == Review.REFUSED and "18 hours" in refused.reason
    # a course listed that was later found failed is "not completed"
    more = certify(nk, "113-2", 18, ("課程B",))
    Activity.objects.filter(title="課程B").update(passed=False)
    refused = services.certification_approve(more, nk.staff)
    assert "課程B (113-2) was not completed" in refused.reason
    assert not CourseRecord.objects.filter(student=nk.student).exists()
    # staff may refuse by hand with a reason; the student sees it
    manual = certify(nk, "114-1", 18, ("課程C",))
    nk.client(nk.staff).post(
        reverse("microcredits:certification-review", kwargs={"pk": manual.pk}),
        {"decision": "refuse", "reason": "缺學習單"},
    )
    manual.refresh_from_db()
    assert (manual.status, manual.reason) == (Review.REFUSED, "缺學習單")


def test_the_certification_form_is_prefilled_from_the_passed_courses(nk: Nkust) -> None:
    Activity.objects.create(student=nk.student, item="ge-micro", hours=9, term="113-1", title="課程A")
    Activity.objects.create(student=nk.student, item="ge-micro", hours=9, term="113-1", title="不及格", passed=False)
    client = nk.client(nk.user)
    url = reverse("microcredits:certification-file", kwargs={"institution": "nkust", "student_id": "N11100001"})
    page = client.get(url).content.decode()
    assert "課程A" in page and "不及格" not in page
    client.post(url, {"activity": [Activity.objects.get(title="課程A").pk], "declare": "1"})
    assert nk.student.micro_certifications.get().lines.get().title == "課程A"


def test_the_offset_needs_two_credits_on_record_and_changes_the_audit_once_approved(nk: Nkust) -> None:
    nk.student.courses.all().delete()
    for course in GEN_ED[:4]:
        CourseRecord.objects.create(student=nk.student, **course)
    with pytest.raises(MicroCreditError, match="2 micro-credits"):
        services.offset_file(nk.student, "114-1", "ge:life", 2)
    certification = certify(nk, "113-1", 18, ("課程A", "課程B"))
    services.certification_approve(certification, nk.staff)
    before = requirement_nodes_all(nk.student)["general-education.total"]
    assert before["earned"] == 8
    client = nk.client(nk.user)
    url = reverse("microcredits:offset-file", kwargs={"institution": "nkust", "student_id": "N11100001"})
    response = client.post(url, {"category": "ge:life", "credits": "2"})
    application = nk.student.micro_offsets.get()
    assert response.status_code == 302 and response.url == reverse(
        "microcredits:offset-pdf", kwargs={"pk": application.pk}
    )
    pdf = client.get(response.url)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    with pytest.raises(MicroCreditError, match="pending or approved"):
        services.offset_file(nk.student, "114-1", "ge:life", 2)
    nk.client(nk.staff).post(
        reverse("microcredits:offset-review", kwargs={"pk": application.pk}), {"decision": "approve"}
    )
    application.refresh_from_db()
    assert application.status == Review.APPROVED
    record = application.course
    assert record is not None
    assert (record.code, record.category, record.grade, record.credits) == ("GEMC-OFFSET", "gen-ed", "P", 2)
    assert record.tags == ["ge-offset", "offset-for:ge:life"]
    after = requirement_nodes_all(nk.student)["general-education.total"]
    assert after["earned"] == 10
    assert (f"GEMC-OFFSET@{term_current(nk.institution)}", 2) in [
        (item["ref"], item["amount"]) for item in after["applied"]
    ]


def test_the_offset_pdf_attaches_the_transcript(nk: Nkust) -> None:
    from menkan.web.microcredits.models import OffsetApplication

    CourseRecord.objects.create(student=nk.student, **GEN_ED[0])
    application = OffsetApplication.objects.create(student=nk.student, term="114-1", category="ge:life", credits=2)
    from django.template.loader import render_to_string

    html = render_to_string(
        "microcredits/offset_pdf.html",
        {"application": application, "student": nk.student, "courses": nk.student.courses.all(), "micro": []},
    )
    assert 'id="transcript"' in html and "通識1" in html and "GE1" in html


def requirement_nodes_all(student: Student) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[node["id"]] = node
            visit(node.get("children") or [])

    visit((audit_for_display(student) or {})["requirements"])
    return found


def test_center_staff_act_only_for_their_institution(nk: Nkust) -> None:
    policy_publish_shipped("ntut", reaudit=False)
    ntut = Institution.objects.get(code="ntut")
    outsider = account("ntut-center")
    role_assign(outsider, Role.UNIT_STAFF, ntut.pk, unit="通識教育中心")
    offering = modular(nk)
    client = nk.client(outsider)
    assert client.get(reverse("microcredits:offering-detail", kwargs={"pk": offering.pk})).status_code == 403
    assert client.get(reverse("microcredits:offering-create", kwargs={"institution": "nkust"})).status_code == 403
    session = offering.sessions.first()
    assert session is not None
    assert (
        client.post(reverse("microcredits:session-attendance", kwargs={"pk": session.pk}), {"close": "1"}).status_code
        == 403
    )
    ours = nk.client(nk.staff)
    response = ours.post(
        reverse("microcredits:offering-create", kwargs={"institution": "nkust"}),
        {"term": "114-1", "title": "數位科技：AI", "hours": "9", "area": "digital-technology"},
    )
    created = Offering.objects.get(title="數位科技：AI")
    assert response.status_code == 302 and created.seats == 5
    # a student sees only their own micro-credits page
    other = nkust_student("N11100999")
    url = reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": other.student_id})
    assert nk.client(nk.user).get(url).status_code == 403  # a student may see nobody else


def test_staff_pages_run_the_course_sessions_attendance_and_grades(nk: Nkust) -> None:
    staff = nk.client(nk.staff)
    offering = modular(nk, sessions=1)
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    detail = reverse("microcredits:offering-detail", kwargs={"pk": offering.pk})
    staff.post(
        reverse("microcredits:session-create", kwargs={"pk": offering.pk}),
        {"date": "2025-10-20", "starts": "09:00", "ends": "12:00", "hours": "3"},
    )
    assert offering.sessions.count() == 2
    page = staff.get(detail).content.decode()
    assert 'id="roster"' in page and "N11100001" in page
    first, second = offering.sessions.order_by("date")
    url = reverse("microcredits:session-attendance", kwargs={"pk": first.pk})
    assert first.code in staff.get(url).content.decode()
    staff.post(url, {"ids": "N11100001\nN99999999", "action": "in"})
    staff.post(url, {"ids": "N11100001", "action": "out"})
    enrollment = Enrollment.objects.get(student=nk.student)
    assert enrollment.hours_attended() == 3
    staff.post(url, {"close": "1"})
    assert not Ban.objects.exists()  # present at the first session
    staff.post(reverse("microcredits:session-attendance", kwargs={"pk": second.pk}), {"close": "1"})
    assert Ban.objects.get().student == nk.student  # absent from the second (joined after sign-up)
    staff.post(reverse("microcredits:enrollment-grade", kwargs={"pk": enrollment.pk}), {"result": "pass"})
    enrollment.refresh_from_db()
    assert enrollment.result == ""  # not completed: 3 of 6 hours, no work
    staff.post(reverse("microcredits:enrollment-grade", kwargs={"pk": enrollment.pk}), {"result": "fail"})
    enrollment.refresh_from_db()
    assert enrollment.result == "fail"
    listing = staff.get(reverse("microcredits:offering-list")).content.decode()
    assert offering.title in listing and "1 / 5" in listing


def test_offerings_only_where_micro_credits_are_offered_and_in_a_known_area(nk: Nkust) -> None:
    policy_publish_shipped("ntut", reaudit=False)
    with pytest.raises(MicroCreditError, match="offers no micro-credit"):
        services.offering_create(Institution.objects.get(code="ntut"), term="114-1", title="x", hours=Decimal(3))
    with pytest.raises(MicroCreditError, match="module area"):
        services.offering_create(nk.institution, term="114-1", title="x", hours=Decimal(3), area="cooking")
    with pytest.raises(ValueError):
        services.offering_create(nk.institution, term="114-9", title="x", hours=Decimal(3))
    plain = services.offering_create(nk.institution, term="114-1", title="講座", hours=Decimal(3))
    assert plain.seats is None and not plain.modular


def test_one_ban_per_term_and_no_self_check_in_after_closing(nk: Nkust) -> None:
    offering = modular(nk)
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    first, second = offering.sessions.all()
    assert len(services.session_close(first, nk.staff)) == 1
    assert services.session_close(second, nk.staff) == []  # barred already
    assert services.session_close(first, nk.staff) == []  # closing twice records nothing
    with pytest.raises(MicroCreditError, match="closed"):
        services.attendance_check_in(first, nk.student, first.code, "in", now=during(first))
    assert Ban.objects.count() == 1


def test_only_center_staff_get_the_micro_credit_links_in_the_navigation(nk: Nkust) -> None:
    """Another office's unit staff would get 403 on the reviews: the navigation does not offer them."""
    other = account("library")
    role_assign(other, Role.UNIT_STAFF, nk.institution.pk, unit="圖書館")
    reviews = reverse("microcredits:review-list")
    assert nk.client(other).get(reviews).status_code == 403
    home = nk.client(other).get(reverse("records:student-list")).content.decode()
    assert f'href="{reviews}"' not in home and f'href="{reverse("microcredits:offering-list")}"' not in home
    center = nk.client(nk.staff).get(reviews).content.decode()
    assert f'href="{reviews}"' in center
    student = nk.client(nk.user).get(reverse("microcredits:offering-list")).content.decode()
    assert f'href="{reverse("microcredits:offering-list")}"' in student and f'href="{reviews}"' not in student


def test_offset_applications_show_the_categorys_name_not_its_tag(nk: Nkust) -> None:
    from menkan.web.microcredits.models import OffsetApplication

    OffsetApplication.objects.create(student=nk.student, term="114-1", category="ge:life", credits=2)
    student_page = reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"})
    english = nk.client(nk.user).get(student_page).content.decode()
    assert "Life and Care" in english and "ge:life" not in english
    with translation.override("zh-hant"):
        reviews = nk.client(nk.staff).get(reverse("microcredits:review-list"), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "生命關懷" in reviews.content.decode() and "ge:life" not in reviews.content.decode()


def test_the_check_in_code_works_only_within_the_sessions_window_and_once(nk: Nkust) -> None:
    """Sessions run 13:00-16:00 (Asia/Taipei); NKUST's margin is 15 minutes (institution.yaml attendance)."""
    offering = modular(nk)
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    first, second = offering.sessions.all()
    assert services.check_in_window(first) == (at(first, 12, 45), at(first, 16, 15))
    for too_early_or_late in (at(first, 12, 44), at(first, 16, 16), at(first, 13) + datetime.timedelta(days=365)):
        with pytest.raises(MicroCreditError, match="only from 2025-10-01 12:45 to 2025-10-01 16:15"):
            services.attendance_check_in(first, nk.student, first.code, "in", now=too_early_or_late)
    assert not Attendance.objects.exists()
    services.attendance_check_in(first, nk.student, first.code, "in", now=at(first, 12, 45))  # the boundaries count
    with pytest.raises(services.AlreadyRecorded, match="already at 12:45: nothing was changed"):
        services.attendance_check_in(first, nk.student, first.code, "in", now=at(first, 13, 5))
    services.attendance_check_in(first, nk.student, first.code, "out", now=at(first, 16, 15))
    with pytest.raises(services.AlreadyRecorded, match="signed out of this session already at 16:15"):
        services.attendance_check_in(first, nk.student, first.code, "out", now=at(first, 16, 15))
    mark = Attendance.objects.get(session=first)
    assert (timezone.localtime(mark.signed_in_at).time(), timezone.localtime(mark.signed_out_at).time()) == (
        datetime.time(12, 45),
        datetime.time(16, 15),
    )
    assert not Attendance.objects.filter(session=second).exists()


def test_the_check_in_margin_is_the_institutions_and_the_refusal_is_translated(nk: Nkust) -> None:
    from menkan.web.microcredits import selectors

    offering = modular(nk)
    services.enrollment_create(offering, nk.student, all_sessions(offering))
    first = offering.sessions.first()
    assert first is not None
    settings = selectors.micro_settings(nk.institution)
    assert settings is not None and settings.attendance.check_in_margin_minutes == 15
    with translation.override("zh-hant"), pytest.raises(MicroCreditError) as refused:
        services.attendance_check_in(first, nk.student, first.code, "in", now=at(first, 17))
    assert "此堂課的簽到碼僅於 2025-10-01 12:45 至 2025-10-01 16:15 之間有效" in str(refused.value)
    client = nk.client(nk.user)
    url = reverse("microcredits:session-check-in", kwargs={"pk": first.pk})
    page = client.post(url, {"code": first.code, "action": "in"}, follow=True).content.decode()
    assert "accepted only from 2025-10-01 12:45" in page  # a year after the session: refused
    assert not Attendance.objects.exists()


def test_the_attendance_page_says_its_closing_sentence_once(nk: Nkust) -> None:
    """Issue 11: the zh-TW catalogue had the sentence three times over."""
    offering = modular(nk)
    session = offering.sessions.first()
    assert session is not None
    url = reverse("microcredits:session-attendance", kwargs={"pk": session.pk})
    page = nk.client(nk.staff).get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert page.count("結算後，未簽到者記為缺席") == 1


def test_the_offset_pdfs_title_is_said_once_in_each_language(nk: Nkust) -> None:
    """Issue 11: the zh-TW PDF was titled 學分抵免申請表 學分抵免申請表."""
    import re

    from django.template.loader import render_to_string

    from menkan.web.microcredits.models import OffsetApplication

    application = OffsetApplication.objects.create(student=nk.student, term="114-1", category="ge:life", credits=2)
    name = services.offset_form_name(nk.institution)
    context = {"application": application, "student": nk.student, "courses": [], "micro": [], "form_name": name}
    context["form_name_zh"] = name["zh-TW"]
    titles = {}
    for language in ("zh-hant", "en"):
        with translation.override(language):
            html = render_to_string("microcredits/offset_pdf.html", context)
        found = re.search(r'<h1 id="form-title">(.*?)</h1>', html)
        assert found is not None
        titles[language] = found.group(1)
    assert titles == {
        "zh-hant": "學分抵免申請表",
        "en": "Credit Transfer Application Form (學分抵免申請表)",
    }


def test_an_offset_beside_one_micro_credit_is_flagged_refused_and_explained(nk: Nkust) -> None:
    """Issue 11: the offset needs both micro-credit courses (2 credits) on the record; with one the audit does not
    count an offset record, the review list flags the application and approving it is refused."""
    imported = [
        CourseRecord.objects.create(
            student=nk.student, code=f"GEMC{n}", title=f"通識微學分課程({n})", credits=1, term="113-2", grade="P",
            category="micro-credit",
        )
        for n in (1, 2)
    ]  # fmt: skip
    application = services.offset_file(nk.student, "114-1", "ge:life", 2)
    imported[1].delete()  # corrected by the registrar after the filing: one credit left
    reviews = nk.client(nk.staff).get(reverse("microcredits:review-list")).content.decode()
    assert f'data-offset-problem="{application.pk}"' in reviews
    assert "1 of the 2 micro-credits the offset needs are on the record" in reviews
    with pytest.raises(MicroCreditError, match="1 of the 2 micro-credits"):
        services.offset_approve(application, nk.staff)
    application.refresh_from_db()
    assert application.status == Review.SUBMITTED and application.course is None
    # an offset record entered anyway (the registrar's import) is not counted, and the student's page says why
    CourseRecord.objects.create(
        student=nk.student, code="GEMC-OFFSET", title="通識微學分抵免", credits=2, term="114-1", grade="P",
        category="gen-ed", tags=["ge-offset"],
    )  # fmt: skip
    total = requirement_nodes_all(nk.student)["general-education.total"]
    assert [n["reason"] for n in total["not_applied"]] == ["condition-not-met"]
    page_url = reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"})
    with translation.override("zh-hant"):
        page = nk.client(nk.user).get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'id="offset-not-counted"' in page
    assert "「通識微學分抵免」須紀錄上有通識微學分課程 2 學分始得計入；目前僅有 1 學分，故不予計入。" in page


def test_the_micro_credit_page_speaks_zh_tw_only(nk: Nkust) -> None:
    """Issue 11: "Matters Needing Attention 2, 3, 5" (the requirement's citation) was English in the zh-TW page."""
    import re

    services.offering_create(nk.institution, term="114-1", title="講座", hours=Decimal(3))
    url = reverse("microcredits:student", kwargs={"institution": "nkust", "student_id": "N11100001"})
    with translation.override("zh-hant"):
        html = nk.client(nk.user).get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "NKUST 通識微學分（注意事項 2、3、5）" in html
    main = re.sub(r"<[^>]+>", " ", html[html.index("<main") :])
    english = set(re.findall(r"[A-Za-z]{3,}", main)) - {"NKUST", "PDF"}  # the institution's code, a file type
    assert not english, english


def test_too_few_hours_names_the_policys_first_credit_step(nk: Nkust, tmp_path: Path) -> None:
    """The hours of the first credit are the policy's (`credit_steps` of the hours requirement), not a figure of the
    app: with 12 h → 1 credit, 9 hours are "fewer than 12"."""
    folder = tmp_path / "nkust"
    shutil.copytree(SHIPPED_POLICIES / "nkust", folder)
    rules = folder / "micro-credits.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "      - {hours: 18, credits: 1}\n" in text
    rules.write_text(text.replace("      - {hours: 18, credits: 1}\n", "      - {hours: 12, credits: 1}\n"), "utf-8")
    policy_publish(files_of_folder(folder), reaudit=False)
    Activity.objects.create(student=nk.student, item="ge-micro", hours=9, term="113-1", title="課程A")
    certification = services.certification_file(nk.student, "113-1", [Activity.objects.get().pk], True)
    refused = services.certification_approve(certification, nk.staff)
    assert refused.status == Review.REFUSED
    assert "Fewer than 12 hours counted" in refused.reason and "18" not in refused.reason


def test_the_imported_courses_grade_and_credits_are_the_policys(nk: Nkust, tmp_path: Path) -> None:
    """The imported course takes the certification's `grade` and the credits its step adds (here one step of 2
    credits at 18 h, graded 通過), not 1 credit and "P" written in the app."""
    folder = tmp_path / "nkust"
    shutil.copytree(SHIPPED_POLICIES / "nkust", folder)
    settings, rules = folder / "institution.yaml", folder / "micro-credits.yaml"
    text = settings.read_text(encoding="utf-8")
    first = "        - {hours: 18, credits: 1, code: GEMC1,"
    second = text[text.index("        - {hours: 36, credits: 2, code: GEMC2,") :].split("\n", 1)[0] + "\n"
    assert first in text and "      grade: P\n" in text
    text = text.replace(first, "        - {hours: 18, credits: 2, code: GEMC1,").replace(second, "")
    settings.write_text(text.replace("      grade: P\n", "      grade: 通過\n"), encoding="utf-8")
    hours = rules.read_text(encoding="utf-8")
    rules.write_text(hours.replace("      - {hours: 18, credits: 1}\n", "      - {hours: 18, credits: 2}\n"), "utf-8")
    policy_publish(files_of_folder(folder), reaudit=False)

    services.certification_approve(certify(nk, "113-1", 18), nk.staff)
    course = CourseRecord.objects.get(student=nk.student)
    assert (course.code, course.credits, course.grade, course.term) == ("GEMC1", 2, "通過", "113-2")
    assert selectors.micro_credits_on_record(nk.student) == 2


def test_an_offset_in_no_category_of_the_policy_names_how_many_it_has(nk: Nkust, tmp_path: Path) -> None:
    """The offset's categories are the policy's: with three of them the refusal says three, not NKUST's five."""
    folder = tmp_path / "nkust"
    shutil.copytree(SHIPPED_POLICIES / "nkust", folder)
    settings = folder / "institution.yaml"
    text = settings.read_text(encoding="utf-8")
    dropped = [
        line for line in text.splitlines(keepends=True) if 'tag: "ge:technology"' in line or 'tag: "ge:life"' in line
    ]
    assert len(dropped) == 2
    for line in dropped:
        text = text.replace(line, "", 1)
    settings.write_text(text, encoding="utf-8")
    policy_publish(files_of_folder(folder), reaudit=False)
    services.certification_approve(certify(nk, "113-1", 18, ("課程A", "課程B")), nk.staff)
    with pytest.raises(MicroCreditError, match="Choose one of the 3 gen-ed categories"):
        services.offset_file(nk.student, "114-1", "ge:life", 2)
    assert services.offset_file(nk.student, "114-1", "ge:social", 2).credits == 2
