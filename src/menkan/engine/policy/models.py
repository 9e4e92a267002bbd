"""The policy language: typed models of institution settings and requirement trees (a tagged union by `kind`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from menkan.engine.terms import Term

POLICY_SCHEMA = "menkan.policy/1"
INSTITUTION_SCHEMA = "menkan.institution/1"

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
Amount = Annotated[Decimal, Field(ge=0)]
Degree = Literal["bachelor", "master", "doctor", "associate"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Localized(Model):
    """A text in Traditional Chinese and English."""

    zh_tw: str = Field(alias="zh-TW", min_length=1)
    en: str = Field(min_length=1)

    def as_dict(self) -> dict[str, str]:
        return {"zh-TW": self.zh_tw, "en": self.en}


class TermRange(Model):
    """Terms from `from` to `to`, both inclusive; either end may be open."""

    start: Term | None = Field(default=None, alias="from")
    end: Term | None = Field(default=None, alias="to")

    def contains(self, term: Term) -> bool:
        return (self.start is None or self.start <= term) and (self.end is None or term <= self.end)


class Applicability(Model):
    """Who a policy, requirement or override applies to. Every given condition must hold."""

    division: list[str] | None = None
    degree: list[Degree] | None = None
    department: list[str] | None = None
    department_not: list[str] | None = None
    admitted: TermRange | None = None
    admitted_into_year: list[int] | None = None
    flags: list[str] | None = Field(default=None, description="the student has every one of these flags")
    flags_not: list[str] | None = Field(default=None, description="the student has none of these flags")


class Filter(Model):
    """Which course records match. Every given field must hold; a list field holds when any listed value does."""

    category: list[str] | None = None
    tags: list[str] | None = Field(default=None, description="the course has at least one of these tags")
    tags_all: list[str] | None = Field(default=None, description="the course has every one of these tags")
    level: list[Literal["undergraduate", "graduate"]] | None = None
    delivery: list[Literal["in-person", "remote"]] | None = None
    transfer: bool | None = None
    summer: bool | None = None
    codes: list[str] | None = None
    titles: list[str] | None = None
    offered_by: list[str] | None = None
    own_department: bool | None = Field(
        default=None, description="offered by the student's own department (true) or by another (false)"
    )


class Override(Model):
    """Parameters that change for the students `when` matches (later overrides win; `add_min` adds up)."""

    when: Applicability
    min: Amount | None = None
    add_min: Decimal | None = None
    max: Amount | None = None
    years: int | None = None
    extension_years: int | None = None
    final_year: int | None = None
    final_year_min: Amount | None = None
    include: Filter | None = None
    exclude: Filter | None = None


class Limit(Model):
    """A cap on how much of a credit total may come from courses matching `filter`."""

    id: Identifier
    title: Localized
    filter: Filter
    max: Amount | None = None
    max_fraction_of_min: Annotated[Decimal, Field(gt=0, le=1)] | None = None
    cites: str | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Limit:
        if (self.max is None) == (self.max_fraction_of_min is None):
            raise ValueError("give exactly one of `max` or `max_fraction_of_min`")
        return self


class Overflow(Model):
    """Credits beyond this requirement's minimum flow into another requirement (of the same exclusive group)."""

    into: str
    max: Amount | None = None


class CourseRef(Model):
    """One course of a list: by code, by title, or both; `alternatives` are equivalent courses."""

    code: str | None = None
    title: str | None = None
    credits: Amount | None = None
    alternatives: list[CourseRef] = Field(default_factory=list)
    online: bool = False

    @model_validator(mode="after")
    def _code_or_title(self) -> CourseRef:
        if self.code is None and self.title is None:
            raise ValueError("give a `code`, a `title`, or both")
        return self


class Merge(Model):
    """Hours of `item` count toward this requirement from `from_term` on, shown separately (`24 + 4 / 24`)."""

    item: str
    from_term: Term
    title: Localized | None = None


class CreditStep(Model):
    """Hours converted to credits: reaching `hours` earns `credits` in all."""

    hours: Amount
    credits: Amount


class Tier(Model):
    """One tier of a tiered program (基礎 / 核心 / 總整): its courses and the minimum number to take."""

    id: Identifier
    title: Localized
    min_courses: int = Field(default=1, ge=0)
    courses: list[CourseRef] = Field(min_length=1)


class OutsideRule(Model):
    """A minimum of credits from the given tiers that must come from outside the student's own department."""

    min: Amount
    tiers: list[str]
    test: Literal["offered-by", "category"] = "category"
    own_categories: list[str] = Field(default_factory=lambda: ["professional-required", "professional-elective"])
    title: Localized | None = None


class RequirementBase(Model):
    id: Identifier
    title: Localized
    short_title: Localized | None = Field(
        default=None, description="how other requirements name this one (e.g. `4 (納入社會接軌)`); default: `title`"
    )
    cites: str = Field(min_length=1, description="the article or document this requirement implements")
    applies_to: Applicability | None = None
    effective: TermRange | None = None
    advisory: bool = Field(default=False, description="shown, but does not decide the parent's status")
    note: Localized | None = None
    overrides: list[Override] = Field(default_factory=list)

    override_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _overrides_fit(self) -> RequirementBase:
        allowed = type(self).override_fields
        for index, override in enumerate(self.overrides):
            given = {name for name in Override.model_fields if name != "when" and getattr(override, name) is not None}
            stray = given - allowed
            if stray:
                fields = ", ".join(sorted(stray))
                raise ValueError(f"overrides[{index}]: `{fields}` cannot be overridden on kind {self.kind_name}")
        return self

    @property
    def kind_name(self) -> str:
        return str(getattr(self, "kind", "?"))


class GroupTotal(Model):
    """A minimum on the sum of what the group's credit requirements count (no credit counted twice)."""

    min: Amount
    unit: Literal["credits"] = "credits"


class AllOf(RequirementBase):
    """Met when every (non-advisory) child is met. `exclusive`: a course counts in at most one credit child."""

    kind: Literal["all"]
    children: list[Requirement] = Field(min_length=1)
    exclusive: bool = False
    total: GroupTotal | None = None
    override_fields = frozenset()


class AnyOf(RequirementBase):
    """Met when at least `min_met` children are met (one of several alternatives; choose N of them)."""

    kind: Literal["any"]
    children: list[Requirement] = Field(min_length=1)
    min_met: int = Field(default=1, ge=1)


class Credits(RequirementBase):
    """A credit (or course-count) total over the courses that match `include` and not `exclude`."""

    kind: Literal["credits"]
    unit: Literal["credits", "courses"] = "credits"
    min: Amount
    include: Filter | None = None
    exclude: Filter | None = None
    max: Amount | None = Field(default=None, description="counted at most this much")
    limits: list[Limit] = Field(default_factory=list)
    overflow: Overflow | None = None
    override_fields = frozenset({"min", "add_min", "max", "include", "exclude"})


class Courses(RequirementBase):
    """A list of courses to pass: all of them, or `min` of them (choose N of a list)."""

    kind: Literal["courses"]
    courses: list[CourseRef] = Field(min_length=1)
    min: int | None = Field(default=None, ge=0)
    override_fields = frozenset({"min"})


class Hours(RequirementBase):
    """An hour threshold over activities of the given `items`, with merges, caps and credit conversion."""

    kind: Literal["hours"]
    items: list[str] = Field(min_length=1)
    min: Amount
    merges: list[Merge] = Field(default_factory=list)
    distinct_titles: bool = Field(default=False, description="an activity title counts once")
    max_counted: Amount | None = None
    credit_steps: list[CreditStep] = Field(default_factory=list)
    shown_in: str | None = Field(default=None, description="id of the requirement this item is merged into")
    override_fields = frozenset({"min"})


class Certificates(RequirementBase):
    """A number of certificates from a list (by code); the list may depend on the student's department."""

    kind: Literal["certificates"]
    min: int = Field(default=1, ge=0)
    codes: list[str] = Field(default_factory=list)
    codes_by_department: dict[str, list[str]] = Field(default_factory=dict)
    levels: list[str] | None = None
    override_fields = frozenset({"min"})


class Average(RequirementBase):
    """A minimum average: cumulative, graduation grade, or every semester."""

    kind: Literal["average"]
    scope: Literal["cumulative", "graduation", "every-semester"] = "cumulative"
    min: Decimal
    override_fields = frozenset({"min"})


class Tiered(RequirementBase):
    """A tiered program (micro-program): per-tier minimum courses, a credit minimum, credits from outside."""

    kind: Literal["tiered"]
    tiers: list[Tier] = Field(min_length=1)
    min_credits: Amount
    outside: OutsideRule | None = None
    eligibility: Applicability | None = None
    exclusive_with: list[str] = Field(default_factory=list)
    registration: Literal["required", "optional"] = "optional"
    override_fields = frozenset()


class Ethics(RequirementBase):
    """A passing ethics (conduct) grade in every enrolled semester."""

    kind: Literal["ethics"]


class SemesterCredits(RequirementBase):
    """A minimum of credits taken in every regular semester, lower in the final study year."""

    kind: Literal["semester-credits"]
    min: Amount
    final_year: int | None = None
    final_year_min: Amount | None = None
    override_fields = frozenset({"min", "final_year", "final_year_min"})


class StudyPeriod(RequirementBase):
    """The study period in years and how many years of extension may be granted."""

    kind: Literal["study-period"]
    years: int = Field(ge=1)
    extension_years: int = Field(default=0, ge=0)
    min_years: int | None = Field(default=None, ge=0)
    override_fields = frozenset({"years", "extension_years"})


class LeaveLimit(RequirementBase):
    """Cumulative leave of absence, in semesters, with reasons that do not count."""

    kind: Literal["leave-limit"]
    max_semesters: int = Field(ge=0)
    exempt_reasons: list[str] = Field(default_factory=list)


class Exams(RequirementBase):
    """Degree exams to pass (qualifying exam, thesis defense)."""

    kind: Literal["exams"]
    exams: list[Literal["qualifying", "defense"]] = Field(min_length=1)
    only_failures: bool = Field(
        default=False,
        description="met unless the latest attempt failed (an exam not yet taken is no risk): for expulsion checks",
    )


class Reference(RequirementBase):
    """Met when another requirement (by full id) is met; used to compose checks such as early graduation."""

    kind: Literal["ref"]
    ref: str


class RankTop(RequirementBase):
    """The student's latest rank is within the top fraction of the department (group/class)."""

    kind: Literal["rank"]
    top_fraction: Annotated[Decimal, Field(gt=0, le=1)]


class AdmissionYear(RequirementBase):
    """The student was admitted into at most the given study year (e.g. not as a junior transfer)."""

    kind: Literal["admission"]
    max_admitted_into_year: int = Field(ge=1)


Requirement = Annotated[
    AllOf
    | AnyOf
    | Credits
    | Courses
    | Hours
    | Certificates
    | Average
    | Tiered
    | Ethics
    | SemesterCredits
    | StudyPeriod
    | LeaveLimit
    | Exams
    | Reference
    | RankTop
    | AdmissionYear,
    Field(discriminator="kind"),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class LetterGrade(Model):
    letter: str
    min_score: Decimal = Field(ge=0, le=100)
    points: Decimal = Field(ge=0)


class Grading(Model):
    """How grades read: the pass mark by degree, the letter scale, pass/fail and withdrawal marks."""

    pass_score: Decimal = Decimal(60)
    pass_score_by_degree: dict[Degree, Decimal] = Field(default_factory=dict)
    letters: list[LetterGrade] = Field(default_factory=list)
    pass_marks: list[str] = Field(default_factory=lambda: ["P", "Pass", "通過"])
    fail_marks: list[str] = Field(default_factory=lambda: ["F", "Fail", "不通過"])
    withdrawn_marks: list[str] = Field(default_factory=lambda: ["W"])


class Identity(Model):
    """When two course records are the same course."""

    same_title: bool = Field(default=False, description="same title with a different code is the same course")
    equivalents: list[list[str]] = Field(default_factory=list, description="groups of codes that are one course")


class Repeats(Model):
    """A passed course taken again is not counted again, except courses matching `repeatable`."""

    repeatable: Filter | None = None


class Averages(Model):
    """How averages are computed (which records enter which average)."""

    measure: Literal["points", "score"] = "score"
    summer_in_semester_average: bool = False
    include_failed: bool = True
    exclude_below_degree_level: bool = True
    exclude_leave_terms: bool = True
    graduate_graduation_grade: Literal["average", "mean-with-defense"] = "average"
    places: int = Field(default=2, ge=0, le=6)


class Department(Model):
    id: str = Field(min_length=1)
    name: Localized
    college: str | None = None


class College(Model):
    id: str = Field(min_length=1)
    name: Localized


class Institution(Model):
    """Institution-wide settings shared by all of its policies."""

    schema_: Literal["menkan.institution/1"] = Field(alias="schema")
    id: Identifier
    name: Localized
    grading: Grading = Field(default_factory=Grading)
    identity: Identity = Field(default_factory=Identity)
    repeats: Repeats = Field(default_factory=Repeats)
    averages: Averages = Field(default_factory=Averages)
    colleges: list[College] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict, description="data for workflows (contacts, calendars)")


class Policy(Model):
    """One policy file: a titled set of requirement trees for the students it applies to."""

    schema_: Literal["menkan.policy/1"] = Field(alias="schema")
    id: Identifier
    institution: Identifier
    title: Localized
    cites: str | None = None
    applies_to: Applicability | None = None
    effective: TermRange | None = None
    requirements: list[Requirement] = Field(min_length=1)
