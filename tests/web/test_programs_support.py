"""Shared set-up for the programs app's tests (no tests here): a policy with micro-programs, a term calendar
around today, the worked example's courses (a 土木系 student earning 綠建築, AVM), applications at a step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from menkan.engine.policy.loader import SHIPPED_POLICIES, load_shipped, walk
from menkan.engine.policy.models import Tiered
from menkan.web.accounts.models import Role, User
from menkan.web.accounts.services import role_assign, user_create
from menkan.web.audits.services import files_of_folder, policy_publish
from menkan.web.programs.models import Application, ProgramTerm
from menkan.web.programs.selectors import PREFIX
from menkan.web.records.models import CourseRecord, Institution, Student
from menkan.web.records.services import student_programs_save

TEST_POLICY = Path(__file__).parent / "programs_policy" / "micro-programs-test.yaml"
TERM = "113-1"  # the term of the calendar around today (the world's students were admitted in 112-1)


def shipped_has_programs() -> bool:
    """Do the shipped NTUT policies hold micro-programs (`micro-program.<CODE>`, tiered) yet?"""
    return any(
        isinstance(node, Tiered) and full_id.startswith(PREFIX)
        for policy in load_shipped("ntut").policies
        for full_id, node in walk(policy.requirements)
    )


def publish_programs() -> None:
    """Make NTUT's current policy one with micro-programs: the shipped one when it has them (the 49 generated
    programs), else the shipped files plus this app's small test policy (AVM and AV2)."""
    files = files_of_folder(SHIPPED_POLICIES / "ntut")
    if not shipped_has_programs():
        files["micro-programs-test.yaml"] = TEST_POLICY.read_text(encoding="utf-8")
    policy_publish(files, reaudit=False)


def term(world: Any, name: str, opens: date, *, days: int = 18, starts: date | None = None) -> ProgramTerm:
    """A term of the world's institution: add/drop week ends 13 days after it starts, the window runs `days`."""
    from menkan.web.programs.services import program_term_save

    starts = starts or opens
    return program_term_save(
        world.institution,
        name,
        semester_starts=starts,
        add_drop_ends=starts + timedelta(days=13),
        registration_opens=opens,
        registration_closes=opens + timedelta(days=days),
    )


def calendar(institution: Institution, today: date | None = None, *, window: bool = True) -> ProgramTerm:
    """Term 113-1 with today in week 14 (applications open) and, if `window`, its registration window open."""
    today = today or timezone.localdate()
    starts = today - timedelta(weeks=13)
    opens = today - timedelta(days=3) if window else today + timedelta(days=30)
    term, _ = ProgramTerm.objects.update_or_create(
        institution=institution,
        term=TERM,
        defaults={
            "semester_starts": starts,
            "add_drop_ends": starts + timedelta(days=13),
            "registration_opens": opens,
            "registration_closes": opens + timedelta(days=18),
        },
    )
    return term


def course(code: str, title: str, credits: float, term: str, category: str, grade: str = "85") -> dict[str, Any]:
    return {"code": code, "title": title, "credits": credits, "term": term, "category": category, "grade": grade}


def worked_example(term: str = "112-2") -> list[dict[str, Any]]:
    """The document's example: a 土木系 student's 綠建築 (AVM) courses — a foundation course of their own
    department, core and capstone courses of 建築系 (cross-domain for them): 11 credits, 6 cross-domain."""
    return [
        course("3401007", "測量學(一)", 2, term, "professional-required"),
        course("3901416", "綠建築概論", 2, term, "free"),
        course("3903423", "建築節能設計", 2, term, "free"),
        course("3902416", "環境分析與實作", 2, term, "free"),
        course("3403007", "工程管理", 3, term, "professional-elective"),
    ]


def add_courses(student: Student, courses: list[dict[str, Any]]) -> None:
    for c in courses:
        CourseRecord.objects.update_or_create(
            student=student,
            code=c["code"],
            term=c["term"],
            defaults={"title": c["title"], "credits": c["credits"], "grade": c["grade"], "category": c["category"]},
        )


def register(student: Student, program: str, term: str = TERM) -> None:
    """A registration put straight into the student's record (the one store; the service's own tests use it)."""
    entries = [*(student.standing or {}).get("programs", []), {"program": program, "registered_term": term}]
    student_programs_save(student, entries)


def application(student: Student, program: str, *, step: int = 1, state: str = "review") -> Application:
    """An application placed directly at a step (the workflow's own tests go through the services)."""
    return Application.objects.create(
        student=student, program=program, term=TERM, step=step, state=state, audit={"requirements": []}
    )


def staff(username: str, role: Role, institution: Institution, **scope: Any) -> User:
    user, _ = user_create(username)
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])
    role_assign(user, role, institution.pk, **scope)
    return user


@dataclass
class Reviewers:
    contact: User
    head: User
    officer: User
    dept_head: User

    def of(self, step: int) -> User:
        return [self.contact, self.head, self.officer, self.dept_head][step - 1]
