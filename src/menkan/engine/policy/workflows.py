"""Typed settings of the portal's workflows (institution.yaml `workflows`), validated by the policy loader.

Each workflow an institution runs has its section; a section that is absent means the institution does not run
that workflow. The apps read these models (`policy_set.institution.workflows.micro_credits.owner.unit`), never a
free dictionary, so a setting the loader accepts is one the apps understand and `policy check` and
`policy publish` refuse the same files.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from menkan.engine.policy.fees import Fees
from menkan.engine.policy.models import Identifier, Localized, Model
from menkan.engine.terms import Term

NoticeRecipient = Literal["student", "mentor", "department-head"]


class Contact(Model):
    """Whom to ask: a unit, a person and a telephone extension."""

    unit: str = Field(min_length=1)
    name: str | None = None
    extension: str | None = None


# --------------------------------------------------------------------------------------------- self-directed learning


class ItemOwner(Model):
    """The office owning an activity item of the records (registers its hours or certificates)."""

    item: Identifier = Field(description="the activity item of the student records (`activities[].item`)")
    requirement: str = Field(min_length=1, description="the requirement the item's hours count toward")
    office: str = Field(min_length=1, description="the unit of the role assignments whose staff register the item")
    contact: Contact
    how: Localized


class MoocCourse(Model):
    title: str = Field(min_length=1)
    hours: int = Field(ge=0)
    audience: str | None = None


class Moocs(Model):
    """The MOOCs certified for an item's hours: the office owning `item` keeps the list."""

    platform: str | None = None
    item: Identifier
    from_term: Term | None = None
    courses: list[MoocCourse] = Field(default_factory=list)


class LicenseSubsidy(Model):
    fraction: Decimal = Field(gt=0, le=1)
    covers: Localized
    max_ntd: int = Field(ge=0)
    times_per_student: int = Field(ge=1)
    cites: str | None = None


class LicenseSchedule(Model):
    term: Term
    list_changes_close: dt.date
    applications_open: dt.date
    review: str


class LicenseTitle(Model):
    title: str = Field(min_length=1)
    level: str = Field(min_length=1)


class NoticeAudience(Model):
    division: str | None = None
    study_year: int = Field(ge=1, description="seniors: students in this study year as of the notices' term")


class NoticeRound(Model):
    """One round of notices: in a semester week (`week`) or every month (`every`)."""

    week: int | None = Field(default=None, ge=1, le=22)
    every: Literal["month"] | None = None
    to: list[NoticeRecipient] = Field(min_length=1)
    paper_to: list[NoticeRecipient] = Field(default_factory=list)
    students: Literal["all", "not-passed"] = "all"
    passed: str | None = None
    not_passed: str | None = None
    mentor: str | None = None
    passed_once: bool = False

    @model_validator(mode="after")
    def _one_when(self) -> NoticeRound:
        if (self.week is None) == (self.every is None):
            raise ValueError("a notice round has either a `week` or `every: month`")
        return self


class MonthDay(Model):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class Notices(Model):
    """The notices the system sends about the self-learning items, and the items' deadline."""

    audience: NoticeAudience
    first_semester: list[NoticeRound] = Field(default_factory=list)
    second_semester: list[NoticeRound] = Field(default_factory=list)
    deadline: MonthDay = Field(description="day and month of the seniors' graduation year the items are due")


class SelfLearning(Model):
    """Self-directed learning: the offices owning its items, their contacts, MOOCs, certificates, notices."""

    requirement: str = Field(min_length=1, description="the overall requirement the items belong to")
    applies_to: Localized | None = None
    owners: list[ItemOwner] = Field(min_length=1)
    certificates_item: Identifier | None = Field(
        default=None, description="the owners' item whose office registers certificates rather than hours"
    )
    system_contact: Contact | None = None
    moocs: Moocs | None = None
    license_subsidy: LicenseSubsidy | None = None
    license_schedule: list[LicenseSchedule] = Field(default_factory=list)
    notices: Notices | None = None
    license_catalog: dict[str, LicenseTitle] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _items_owned(self) -> SelfLearning:
        items = {owner.item for owner in self.owners}
        if self.certificates_item is not None and self.certificates_item not in items:
            raise ValueError(f"certificates_item {self.certificates_item!r} is not an owner's item")
        if self.moocs is not None and self.moocs.item not in items:
            raise ValueError(f"moocs.item {self.moocs.item!r} is not an owner's item")
        return self


# ------------------------------------------------------------------------------------------------------ micro-credits


class Owner(Model):
    """The unit running a workflow: its staff (unit staff of this unit) may act."""

    unit: str = Field(min_length=1, description="the unit of the role assignments")
    en: str | None = Field(default=None, description="the unit's English name")


class Area(Model):
    id: Identifier
    name: Localized


class Modules(Model):
    seats_per_module: int = Field(ge=1)
    cites: str | None = None
    areas: list[Area] = Field(default_factory=list)


class NoShow(Model):
    applies_to: Literal["modular", "all"]
    penalty: Literal["barred-for-semester"]
    text: Localized
    cites: str | None = None


class Attendance(Model):
    steps: list[str] = Field(default_factory=list)
    announcement: str | None = None
    registration: str | None = None
    check_in_margin_minutes: int = Field(default=15, ge=0, description="self check-in window around a session")


class CertificationStep(Model):
    """After `hours` in all, `credits` in all: the imported course `code` is worth what this step adds to the
    previous one's credits."""

    hours: int = Field(gt=0)
    credits: int = Field(gt=0)
    code: str = Field(min_length=1)
    course: Localized


class Certification(Model):
    form: Localized
    steps: list[CertificationStep] = Field(min_length=1)
    category: str = Field(min_length=1, description="the category of the imported course records")
    grade: str = Field(min_length=1, description="the grade of the imported course records (a pass mark)")
    requirement: str | None = Field(default=None, description="the requirement the imported courses count toward")
    max_counted_hours: int | None = None
    max_credits: int | None = None
    duplicate_titles: str | None = None
    across_semesters: bool = True
    within_study_period: bool = True
    submit_by: str | None = None
    credits_term: Literal["next-semester", "same-semester"] = "next-semester"
    current_semester_exception: str | None = None
    rejected_when: list[str] = Field(default_factory=list)
    cites: str | None = None

    @model_validator(mode="after")
    def _credits_grow(self) -> Certification:
        credits = [step.credits for step in self.steps]
        if credits != sorted(set(credits)):
            raise ValueError("each certification step must earn more credits in all than the one before")
        return self


class OffsetRecord(Model):
    """The course record an approved offset writes; `title` may name the chosen category as `{category}`."""

    code: str = Field(min_length=1)
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    grade: str = Field(min_length=1)


class Offset(Model):
    requires_credits: int = Field(ge=0)
    max_credits: int = Field(ge=0)
    record: OffsetRecord
    form: Localized
    attachments: list[str] = Field(default_factory=list)
    submit_to: str | None = None
    cites: str | None = None


class GenEdCategory(Model):
    tag: str = Field(min_length=1)
    name: Localized


class MicroCredits(Model):
    """Micro-credit courses: offerings, registration, attendance, certification and the gen-ed offset."""

    requirement: str = Field(min_length=1)
    item: Identifier = Field(description="the activity item of a micro-credit course")
    owner: Owner
    grading: Literal["pass-fail", "score"] = "pass-fail"
    cites: str | None = None
    modules: Modules
    no_show: NoShow | None = None
    attendance: Attendance = Field(default_factory=Attendance)
    certification: Certification
    offset: Offset | None = None
    gen_ed_categories: list[GenEdCategory] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------------- pass-rate report


class PassRateItem(Model):
    id: str = Field(min_length=1, description="a requirement's full id")
    label: Localized
    short: Localized | None = None


class PassRateAll(Model):
    label: Localized


class PassRates(Model):
    """The pass-rate report of seniors (`menkan report pass-rates`)."""

    senior_year: int = Field(default=4, ge=1)
    title: Localized | None = None
    items: list[PassRateItem] = Field(min_length=1)
    all: PassRateAll | None = None


# ------------------------------------------------------------------------------------------- micro-program review


class WeekRange(Model):
    first: int = Field(ge=1, le=22)
    last: int = Field(ge=1, le=22)

    @model_validator(mode="after")
    def _ordered(self) -> WeekRange:
        if self.first > self.last:
            raise ValueError(f"week {self.first} comes after week {self.last}")
        return self


#: the portal's roles that may review a certificate application, and the scopes each role's assignments carry
ReviewRole = Literal["program-contact", "program-head", "department-officer", "department-head", "registrar"]
ReviewScope = Literal["program", "department", "institution"]
REVIEW_SCOPES: dict[str, frozenset[str]] = {
    "program-contact": frozenset({"program"}),
    "program-head": frozenset({"program"}),
    "department-officer": frozenset({"department"}),
    "department-head": frozenset({"department"}),
    "registrar": frozenset({"institution"}),
}


class ReviewStep(Model):
    """One step of the certificate review: who acts, the holders of `role` whose assignment covers the
    application's `scope` (its program, the student's department, or the whole institution)."""

    id: Identifier
    title: Localized
    role: ReviewRole
    scope: ReviewScope
    judges: bool = Field(
        False,
        description="the step may record a judgement on a course (recognise or exclude, an exception of the record)",
    )
    cites: str | None = None

    @model_validator(mode="after")
    def _role_has_scope(self) -> ReviewStep:
        if self.scope not in REVIEW_SCOPES[self.role]:
            allowed = " or ".join(sorted(REVIEW_SCOPES[self.role]))
            raise ValueError(f"a {self.role}'s assignments have no {self.scope} scope (only {allowed})")
        return self


class MicroPrograms(Model):
    """Micro-program certificates: when applications are taken and the review steps, in order (the registration
    deadline is the policy's)."""

    application_weeks: WeekRange = Field(description="weeks of a semester certificate applications are taken in")
    review: list[ReviewStep] = Field(min_length=1, description="the certificate review steps, in order")
    cites: str | None = None

    @model_validator(mode="after")
    def _steps_unique(self) -> MicroPrograms:
        ids = [step.id for step in self.review]
        repeated = sorted({step for step in ids if ids.count(step) > 1})
        if repeated:
            raise ValueError(f"review step ids repeat: {', '.join(repeated)}")
        return self


# ------------------------------------------------------------------------------------------------------------- all


class Workflows(Model):
    """The workflow settings of an institution: a section per workflow it runs."""

    calendar: dict[Term, dt.date] = Field(
        default_factory=dict, description="first day of each term (`115-1: 2026-09-14`) where a term starts late"
    )
    self_learning: SelfLearning | None = None
    micro_credits: MicroCredits | None = None
    fees: Fees | None = None
    pass_rates: PassRates | None = None
    micro_programs: MicroPrograms | None = None
