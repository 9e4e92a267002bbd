"""Reads for micro-programs: the programs of an institution (policy + catalogue), the calendar, who may see and
review which applications, review queues, and a student's progress on every program (what-if, ranked)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from menkan.engine import ReviewStep, Term, Tiered, latest_study_term, tiered_parts, walk
from menkan.engine import Student as EngineStudent
from menkan.web.accounts.api import Role, RoleAssignment, User, is_registrar
from menkan.web.audits.api import audit_as_of, policy_current, policy_set_of, runtime_of
from menkan.web.programs.catalogue import catalogue_of
from menkan.web.programs.models import Application, IssuedCertificate, ProgramTerm, RegistrationException
from menkan.web.records.api import Institution, Student, student_document, students_visible_to
from menkan.web.records.api import term_current as records_term_current

PREFIX = "micro-program."


# --------------------------------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class Program:
    """One micro-program: its policy node (the conditions the audit checks) and its catalogue entry."""

    code: str
    full_id: str
    title: dict[str, str]
    node: Tiered | None
    entry: dict[str, Any]
    review: list[dict[str, str]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return str(self.entry.get("host", ""))

    @property
    def contact(self) -> str:
        return str(self.entry.get("contact", ""))


def program_parts(program: Program) -> list[str]:
    """The requirement ids a judgement on the program may name: the program, then its tiers, rules and credits."""
    parts = tiered_parts(program.node) if program.node is not None else []
    return [program.full_id, *(f"{program.full_id}.{part}" for part in parts)]


def _review_steps(node: Tiered) -> list[dict[str, str]]:
    """What the policy leaves to the reviewers' judgement (its `review_steps`), as {"zh-TW", "en"} texts."""
    return [_localized(item) for item in getattr(node, "review_steps", None) or []]


def _localized(item: Any) -> dict[str, str]:
    for value in (item, getattr(item, "text", None), getattr(item, "title", None)):
        if isinstance(value, dict):
            return {"zh-TW": str(value.get("zh-TW", "")), "en": str(value.get("en", ""))}
        if value is not None and hasattr(value, "zh_tw"):
            return {"zh-TW": value.zh_tw, "en": value.en}
    return {"zh-TW": str(item), "en": str(item)}


def registration_code(program: Program) -> str:
    """The code registrations use for the program (the policy may name it; by default the program's code)."""
    return str(getattr(program.node, "program_code", None) or program.code)


_PROGRAMS: dict[tuple[str, str | None], dict[str, Program]] = {}


def programs_of(institution: Institution) -> dict[str, Program]:
    """Program code -> Program: the tiered requirements `micro-program.<CODE>` of the institution's current
    policies, and the programs of its catalogue that the policies do not (yet) hold, in code order."""
    version = policy_current(institution)
    # keyed by the files' checksum: the same policy files give the same programs (a version's pk may be reused)
    key = (institution.code, version.checksum if version is not None else None)
    cached = _PROGRAMS.get(key)
    if cached is not None:
        return cached
    nodes: dict[str, tuple[str, Tiered]] = {}
    if version is not None:
        for policy in policy_set_of(version).policies:
            for full_id, node in walk(policy.requirements):
                if isinstance(node, Tiered) and full_id.startswith(PREFIX):
                    nodes[full_id[len(PREFIX) :]] = (full_id, node)
    catalogue = catalogue_of(institution.code)
    programs = {}
    for code in sorted(set(nodes) | set(catalogue)):
        entry = catalogue.get(code, {})
        found = nodes.get(code)
        if found is None:  # in the catalogue, not (yet) in the policies: shown without conditions
            programs[code] = Program(code, PREFIX + code, {"zh-TW": entry.get("name", code), "en": code}, None, entry)
            continue
        full_id, tiered = found
        programs[code] = Program(code, full_id, tiered.title.as_dict(), tiered, entry, _review_steps(tiered))
    _PROGRAMS[key] = programs
    return programs


def institution_has_programs(institution: Institution) -> bool:
    """Does the institution run micro-programs (its policies or its catalogue hold any)? Else no program pages."""
    return bool(programs_of(institution))


def program_get(institution: Institution, code: str) -> Program | None:
    return programs_of(institution).get(code)


# --------------------------------------------------------------------------------------------------- calendar


def terms_of(institution: Institution) -> QuerySet[ProgramTerm]:
    return ProgramTerm.objects.filter(institution=institution).order_by("semester_starts")


def term_current(institution: Institution, today: date) -> ProgramTerm | None:
    """The term under way on `today`: the latest that has started."""
    return terms_of(institution).filter(semester_starts__lte=today).order_by("-semester_starts").first()


def window_open(institution: Institution, today: date) -> ProgramTerm | None:
    """The term whose registration window is open on `today`, if any."""
    return terms_of(institution).filter(registration_opens__lte=today, registration_closes__gte=today).first()


def window_next(institution: Institution, today: date) -> ProgramTerm | None:
    return terms_of(institution).filter(registration_opens__gt=today).order_by("registration_opens").first()


@dataclass(frozen=True)
class Deadline:
    """The latest point to register in a program for one student: the term (the policy's study semester, leave
    left out) and, when the policy says `by: add-drop` and the calendar has the term, its add/drop week's last day."""

    term: Term
    last_day: date | None
    text: dict[str, str]

    def passed(self, term: Term, today: date) -> bool:
        """Is a registration in `term` (the open window's), made on `today`, after the deadline?"""
        return term > self.term or (term == self.term and self.last_day is not None and today > self.last_day)


def engine_record(student: Student) -> EngineStudent:
    """The student's record as the engine reads it."""
    from menkan.engine import student_from_dict

    return student_from_dict(student_document(student), source=f"student {student.student_id}")


def registration_deadline(student: Student, program: Program | None = None) -> Deadline | None:
    """The program's latest point of registration for the student (e.g. "before the add/drop week of the second
    semester of study year 2"), from its policy (`registration_deadline`); without a program, that of the
    institution's first program that has one (the page's general sentence). None when the policy sets none."""
    candidates = [program] if program is not None else list(programs_of(student.institution).values())
    rule = next(
        (p.node.registration_deadline for p in candidates if p and p.node and p.node.registration_deadline), None
    )
    if rule is None:
        return None
    term = latest_study_term(engine_record(student), rule.study_year, rule.semester)
    last_day = None
    if rule.by == "add-drop":
        row = ProgramTerm.objects.filter(institution=student.institution, term=str(term)).first()
        last_day = row.add_drop_ends if row is not None else None
    return Deadline(term, last_day, rule.text.as_dict())


def application_week(term: ProgramTerm, today: date) -> int:
    """The week of the semester `today` falls in (week 1 starts on the semester's first day)."""
    return (today - term.semester_starts).days // 7 + 1


def application_weeks(institution: Institution) -> tuple[int, int] | None:
    """The weeks of a semester certificate applications are taken in (`workflows.micro_programs.application_weeks`
    of the institution's current policy); None where it takes none."""
    version = policy_current(institution)
    settings = policy_set_of(version).institution.workflows.micro_programs if version is not None else None
    if settings is None:
        return None
    return settings.application_weeks.first, settings.application_weeks.last


def application_weeks_dates(term: ProgramTerm, weeks: tuple[int, int]) -> tuple[date, date]:
    """First and last day of the application weeks (`weeks`: first and last) of a term."""
    first, last = weeks
    return term.semester_starts + timedelta(weeks=first - 1), term.semester_starts + timedelta(weeks=last, days=-1)


# --------------------------------------------------------------------------------------------------- who sees what


def _program_scopes(user: User, roles: tuple[Role, ...]) -> Q:
    scope = Q(pk__in=[])
    for institution_id, program in RoleAssignment.objects.filter(user=user, role__in=roles).values_list(
        "institution_id", "program"
    ):
        if program:
            scope |= Q(student__institution_id=institution_id, program=program)
    return scope


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Applications `user` may open: those of students they may see (the student, mentor, department staff,
    registrar), and those of the programs they review (program contact and head)."""
    if not user.is_authenticated:
        return Application.objects.none()
    scope = Q(student__in=students_visible_to(user)) | _program_scopes(user, (Role.PROGRAM_CONTACT, Role.PROGRAM_HEAD))
    return Application.objects.filter(scope).select_related("student__institution", "student__department")


def application_get_for(user: User, pk: int) -> Application:
    """One application, if `user` may open it (404 when there is none, 403 when it is not theirs)."""
    from django.core.exceptions import PermissionDenied

    application = get_object_or_404(Application.objects.select_related("student__institution"), pk=pk)
    if not applications_visible_to(user).filter(pk=pk).exists():
        raise PermissionDenied("not an application you may see")
    return application


def review_steps(institution: Institution | int) -> list[ReviewStep]:
    """The certificate review steps of the institution's current policy, in order
    (`workflows.micro_programs.review`); an application's `step` is a position in it, from 1. None where the
    institution takes no applications."""
    if isinstance(institution, int):
        institution = Institution.objects.get(pk=institution)
    version = policy_current(institution)
    settings = policy_set_of(version).institution.workflows.micro_programs if version is not None else None
    return list(settings.review) if settings is not None else []


def review_step(institution: Institution | int, number: int) -> ReviewStep | None:
    """Step `number` (from 1) of the institution's review, if there is one."""
    steps = review_steps(institution)
    return steps[number - 1] if 1 <= number <= len(steps) else None


def step_judges(application: Application) -> bool:
    """Does the application's current step record judgements on courses (the policy's `judges`)?"""
    step = review_step(application.student.institution_id, application.step)
    return step is not None and step.judges


def _step_scope(step: ReviewStep, number: int, assignment: RoleAssignment) -> Q | None:
    """The applications waiting at step `number` that `assignment` covers, by the step's scope."""
    if step.scope == "program" and assignment.program:
        return Q(step=number, student__institution_id=assignment.institution_id, program=assignment.program)
    if step.scope == "department" and assignment.department_id:
        return Q(step=number, student__department_id=assignment.department_id)
    if step.scope == "institution":
        return Q(step=number, student__institution_id=assignment.institution_id)
    return None


def may_review(user: User, application: Application, step: int) -> bool:
    """Does `user` hold the role of `step` (of the policy's review steps) over this application, in the step's
    scope (its program, its student's department, or the institution)?"""
    if not user.is_authenticated:
        return False
    found = review_step(application.student.institution, step)
    if found is None:
        return False
    assignments = RoleAssignment.objects.filter(
        user=user, role=found.role, institution_id=application.student.institution_id
    )
    if found.scope == "program":
        return assignments.filter(program=application.program).exists()
    if found.scope == "department":
        department = application.student.department_id
        return department is not None and assignments.filter(department_id=department).exists()
    return assignments.exists()


def review_queue(user: User) -> QuerySet[Application]:
    """The applications waiting at a step `user` reviews, by the policy's review steps: e.g. program contact and
    head their programs' applications, department officer and head their department's students'."""
    scope = Q(pk__in=[])
    steps_of: dict[int, list[ReviewStep]] = {}
    for assignment in RoleAssignment.objects.filter(user=user):
        if assignment.institution_id not in steps_of:
            steps_of[assignment.institution_id] = review_steps(assignment.institution_id)
        for number, step in enumerate(steps_of[assignment.institution_id], start=1):
            covered = _step_scope(step, number, assignment) if step.role == assignment.role else None
            if covered is not None:
                scope |= covered
    return (
        Application.objects.filter(scope, state=Application.State.REVIEW)
        .select_related("student__institution", "student__department")
        .order_by("submitted_at", "pk")
    )


def is_reviewer(user: User) -> bool:
    """Does `user` hold a role acting at some review step of their institution's policy?"""
    if not user.is_authenticated:
        return False
    for institution_id, role in RoleAssignment.objects.filter(user=user).values_list("institution_id", "role"):
        if any(step.role == role for step in review_steps(institution_id)):
            return True
    return False


@dataclass(frozen=True)
class RegistrationEntry:
    """One registration of the student's record (`programs`): the one store of registrations."""

    program: str
    registered_term: str
    withdrawn_term: str = ""
    exception: dict[str, str] | None = None

    @property
    def active(self) -> bool:
        return not self.withdrawn_term

    def as_record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"program": self.program, "registered_term": self.registered_term}
        if self.withdrawn_term:
            entry["withdrawn_term"] = self.withdrawn_term
        if self.exception:
            entry["exception"] = self.exception
        return entry


def registrations_of(student: Student) -> list[RegistrationEntry]:
    """The student's registrations, as their record holds them (imports and the portal write the same block)."""
    return [
        RegistrationEntry(
            program=str(entry["program"]),
            registered_term=str(entry["registered_term"]),
            withdrawn_term=str(entry.get("withdrawn_term") or ""),
            exception=entry.get("exception"),
        )
        for entry in (student.standing or {}).get("programs", [])
    ]


def live_registration(student: Student, program: str) -> RegistrationEntry | None:
    return next((r for r in registrations_of(student) if r.program == program and r.active), None)


def may_grant_exception(user: User, institution: Institution, program: str) -> bool:
    """The registrar, or the program's contact or head, may allow a registration the rules refuse."""
    if not user.is_authenticated:
        return False
    if is_registrar(user, institution.pk):
        return True
    return RoleAssignment.objects.filter(
        user=user, institution=institution, role__in=(Role.PROGRAM_CONTACT, Role.PROGRAM_HEAD), program=program
    ).exists()


def exception_programs(user: User, institution: Institution) -> list[str]:
    """The program codes `user` may allow exceptions for in the institution."""
    codes = [code for code, p in programs_of(institution).items() if p.node is not None]
    return [code for code in codes if may_grant_exception(user, institution, code)]


def exceptions_visible_to(user: User) -> QuerySet[RegistrationException]:
    """Exceptions the registrar (their institutions) or program staff (their programs) may see."""
    if not user.is_authenticated:
        return RegistrationException.objects.none()
    scope = _program_scopes(user, (Role.PROGRAM_CONTACT, Role.PROGRAM_HEAD))
    for assignment in RoleAssignment.objects.filter(user=user, role=Role.REGISTRAR):
        scope |= Q(student__institution_id=assignment.institution_id)
    return RegistrationException.objects.filter(scope).select_related("student__institution", "granted_by")


def exceptions_open_of(student: Student) -> list[str]:
    """Programs the student has an unused exception for (they may register there after the latest point)."""
    return list(RegistrationException.objects.filter(student=student, used_term="").values_list("program", flat=True))


def exception_open(student: Student, program: str) -> RegistrationException | None:
    """An exception granted for the student and program and not used by a registration yet."""
    return RegistrationException.objects.filter(student=student, program=program, used_term="").first()


def certificate_by_code(code: str) -> IssuedCertificate:
    return get_object_or_404(IssuedCertificate, code=code)


# --------------------------------------------------------------------------------------------------- progress


@dataclass
class Progress:
    """How far a student is on one program, as if registered (the engine's outlook), with its catalogue entry."""

    program: Program
    outlook: Any  # menkan.engine.programs.ProgramOutlook

    @property
    def status(self) -> str:
        return str(self.outlook.status)

    @property
    def eligible(self) -> bool:
        return bool(self.outlook.eligible)

    @property
    def excluded_by(self) -> tuple[str, ...]:
        return tuple(self.outlook.excluded_by)

    @property
    def completable(self) -> bool:
        return self.eligible and not self.excluded_by

    @property
    def counts(self) -> bool:
        return bool(self.outlook.counts)

    @property
    def credits_left(self) -> Decimal:
        return Decimal(self.outlook.credits_left)

    @property
    def courses_left(self) -> int:
        return int(self.outlook.courses_left)

    @property
    def display(self) -> str:
        return str(self.outlook.result.display or "")

    @property
    def missing(self) -> dict[str, str]:
        children = [c for c in self.outlook.result.children if c.id in set(self.outlook.open)]
        if not self.eligible:
            return dict(self.outlook.result.missing)
        return {
            "zh-TW": "；".join(f"{c.title['zh-TW']}{c.missing['zh-TW']}" for c in children),
            "en": "; ".join(f"{c.title['en']}: {c.missing['en']}" for c in children),
        }


def program_nodes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Full id -> requirement node, for the micro-program nodes of an audit document."""
    found: dict[str, dict[str, Any]] = {}

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if str(node.get("id", "")).startswith(PREFIX) and node.get("kind") == "tiered":
                found[node["id"]] = node
            visit(node.get("children", []))

    visit(document.get("requirements", []))
    return found


def program_exceptions(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The exceptions applied to a program node of an audit document and its parts (each with its explanation)."""
    if not node:
        return []
    found = list(node.get("exceptions", []))
    for child in node.get("children", []):
        found.extend(program_exceptions(child))
    return found


@dataclass
class ProgressReport:
    rows: list[Progress]
    seconds: float  # engine time: the outlook over every program, for this one student

    @property
    def milliseconds(self) -> int:
        return round(self.seconds * 1000)


def student_progress(student: Student) -> ProgressReport:
    """The student's progress on every micro-program, as if registered in each (nothing is stored), ranked by
    the engine: those they can complete first, then met, then fewest credits and courses left."""
    from menkan.engine import program_outlook

    version = policy_current(student.institution)
    programs = {p.full_id: p for p in programs_of(student.institution).values() if p.node is not None}
    if version is None or not programs:
        return ProgressReport([], 0.0)
    record = engine_record(student)
    began = time.perf_counter()
    # as of the term the student's stored audit is as of (the institution's current term, within the record)
    as_of = audit_as_of(record, records_term_current(student.institution))
    outlooks = program_outlook(runtime_of(version), record, as_of=as_of, group=PREFIX.rstrip("."))
    seconds = time.perf_counter() - began
    rows = [Progress(programs[o.requirement_id], o) for o in outlooks if o.requirement_id in programs]
    return ProgressReport(rows, seconds)
