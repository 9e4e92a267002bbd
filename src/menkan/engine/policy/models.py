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
    registered: list[str] | None = Field(
        default=None,
        description="the student holds an active registration (as of the audit term) in at least one of these programs",
    )


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
    extension_min: Amount | None = None
    include: Filter | None = None
    exclude: Filter | None = None


class OnRecord(Model):
    """A condition on the student's record: at least `min` credits of passed courses matching `filter` (as of the
    audit term; courses in progress do not count until they pass). `title` names what is needed, for the
    explanation."""

    min: Amount
    filter: Filter
    title: Localized
    cites: str | None = None


class Limit(Model):
    """A cap on how much of a credit total may come from courses matching `filter`; with `requires`, those courses
    count only when the student's record holds the condition (none of them counts otherwise)."""

    id: Identifier
    title: Localized
    filter: Filter
    max: Amount | None = None
    max_fraction_of_min: Annotated[Decimal, Field(gt=0, le=1)] | None = None
    requires: OnRecord | None = Field(
        default=None,
        description="the courses matching `filter` count only when this holds (otherwise: reason `condition-not-met`)",
    )
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


class TierExclusion(Model):
    """Courses (by title) that do not count in a tier for the students `when` matches."""

    when: Applicability
    titles: list[str] = Field(min_length=1)


class Tier(Model):
    """One tier of a tiered program (基礎 / 核心 / 總整): its courses and the minimum number to take."""

    id: Identifier
    title: Localized
    min_courses: int = Field(default=1, ge=0)
    courses: list[CourseRef] = Field(min_length=1)
    in_person: bool = Field(
        default=False, description="only in-person courses count toward `min_courses` (remote ones still earn credits)"
    )
    exclude: list[TierExclusion] = Field(default_factory=list)


class OutsideRule(Model):
    """A minimum over the courses placed in the given tiers: credits (or courses) that pass the rule's `test`.

    `test`: `category` (the record's category is not one of `own_categories`), `offered-by` (offered by another
    unit than the student's department), `own-list` (not on the department's list in the institution's
    `professional_courses`; same code, an equivalent code, or with `identity.same_title` the same title), `listed`
    (its title is one of `titles`), `any`. A rule with `when` applies only to the students it matches.
    """

    id: Identifier = "outside"
    min: Amount
    unit: Literal["credits", "courses"] = "credits"
    tiers: list[str] | None = Field(default=None, description="the tiers whose courses count; default: every tier")
    test: Literal["offered-by", "category", "own-list", "listed", "any"] = "category"
    own_categories: list[str] = Field(default_factory=lambda: ["professional-required", "professional-elective"])
    titles: list[str] | None = Field(default=None, description="the titles a `listed` test accepts")
    when: Applicability | None = None
    title: Localized | None = None

    @model_validator(mode="after")
    def _titles_for_listed(self) -> OutsideRule:
        if (self.test == "listed") != bool(self.titles):
            raise ValueError("give `titles` exactly when `test` is `listed`")
        return self


class ReviewStep(Model):
    """A check a person makes (the program contact, the department): listed with the result, never decided."""

    id: Identifier
    text: Localized


class RegistrationDeadline(Model):
    """The latest point to register in a program, as a semester of the student's study (e.g. year 2, semester 2).

    Study semesters leave leave semesters out; a student admitted past that point (a transfer student) has until
    the same semester of their first study year. `by: add-drop` means the last day is the end of that term's
    add/drop week (the portal's calendar knows it; the audit, which sees terms, compares terms). `late`: a
    registration after the deadline is `flag`ged (shown, the program not failed) or makes the registration
    `not-met`; a registration the record marks as allowed by exception is shown as such and counts either way."""

    study_year: int = Field(ge=1)
    semester: Literal[1, 2]
    by: Literal["term", "add-drop"] = "term"
    late: Literal["flag", "not-met"] = "flag"
    text: Localized = Field(description="the rule as the regulation words it (quoted when a registration is late)")
    cites: str


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
    outside: OutsideRule | list[OutsideRule] | None = None
    eligibility: Applicability | None = None
    exclusive_with: list[str] = Field(
        default_factory=list, description="programs (registration codes) of which a student may hold only one"
    )
    registration: Literal["required", "optional"] = "optional"
    registration_deadline: RegistrationDeadline | None = None
    program: str | None = Field(default=None, description="the code registrations use (default: the local `id`)")
    advisory_for: Applicability | None = Field(
        default=None, description="students for whom the program is shown but does not decide its parent"
    )
    review_steps: list[ReviewStep] = Field(default_factory=list)
    override_fields = frozenset()

    @property
    def outside_rules(self) -> list[OutsideRule]:
        if self.outside is None:
            return []
        return self.outside if isinstance(self.outside, list) else [self.outside]

    @property
    def program_code(self) -> str:
        return self.program or self.id

    @model_validator(mode="after")
    def _rules_fit(self) -> Tiered:
        tier_ids = [tier.id for tier in self.tiers]
        if len(set(tier_ids)) != len(tier_ids):
            raise ValueError("tier ids must be unique")
        rule_ids = [rule.id for rule in self.outside_rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError("outside rule ids must be unique")
        clash = set(rule_ids) & {*tier_ids, "credits", "exclusive", "registration"}
        if clash:
            raise ValueError(f"outside rule id(s) {', '.join(sorted(clash))} clash with a tier or a fixed child id")
        for rule in self.outside_rules:
            unknown = set(rule.tiers or ()) - set(tier_ids)
            if unknown:
                raise ValueError(f"outside rule `{rule.id}` names unknown tier(s) {', '.join(sorted(unknown))}")
        return self


class Ethics(RequirementBase):
    """A passing ethics (conduct) grade in every enrolled semester."""

    kind: Literal["ethics"]


class SemesterCredits(RequirementBase):
    """A minimum of credits taken in every regular semester, lower from the study year `final_year` on.

    Study years count enrolled semesters (a leave semester does not advance them: `menkan.engine.study`).
    `extension_min`: the minimum in semesters the enrollment record marks `extension` (an extended study period).
    """

    kind: Literal["semester-credits"]
    min: Amount
    final_year: int | None = Field(default=None, ge=1, description="the study year from which `final_year_min` holds")
    final_year_min: Amount | None = None
    extension_min: Amount | None = Field(
        default=None, description="the minimum in semesters marked `extension` in the enrollment record"
    )
    override_fields = frozenset({"min", "final_year", "final_year_min", "extension_min"})


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


class SemestersLeft(RequirementBase):
    """The audit term is at least `min_left` and at most `max_left` regular semesters before the end of the
    regular study period (that of the `study_period` requirement, for this student): e.g. graduating now would
    be early by one semester or one year. Semesters count as study years do (`menkan.engine.study`)."""

    kind: Literal["semesters-left"]
    study_period: str = Field(description="full id of the study-period requirement whose `years` is the period")
    min_left: int = Field(default=1, ge=0)
    max_left: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> SemestersLeft:
        if self.max_left is not None and self.max_left < self.min_left:
            raise ValueError("`max_left` is below `min_left`")
        return self


class FailedShare(RequirementBase):
    """In no study year have the failed credits reached `max_fraction` of the credits taken that year.

    Credits taken: the graded and pending courses matching `include` and not `exclude` (withdrawn ones and
    those taken while on leave are not taken); a year is the student's study year (`menkan.engine.study`).
    A year not over yet (the audit term is its first semester, or it has courses in progress) that reaches
    the fraction, or could with its pending courses, is `in-progress`.
    """

    kind: Literal["failed-share"]
    max_fraction: Annotated[Decimal, Field(gt=0, le=1)]
    include: Filter | None = None
    exclude: Filter | None = None


class PassedByStudyEnd(RequirementBase):
    """Every course matching `include` (and not `exclude`) that the student has taken is passed, by the end of
    the study period (the `study_period` requirement's `years` plus the extensions granted on the record).

    A course counts as passed when any attempt passed; before the study period ends an unpassed one is
    `in-progress` (there is still time), after it `not-met`.
    """

    kind: Literal["passed-by-study-end"]
    study_period: str = Field(description="full id of the study-period requirement whose `years` is the period")
    include: Filter
    exclude: Filter | None = None


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
    | SemestersLeft
    | FailedShare
    | PassedByStudyEnd
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


# The workflow settings build on the models above (texts, identifiers, applicability), so they are imported here,
# once those exist; `menkan.engine.policy` imports this module first.
from menkan.engine.policy.study_load import StudyLoad  # noqa: E402
from menkan.engine.policy.workflows import Workflows  # noqa: E402


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
    professional_courses: dict[str, list[CourseRef]] = Field(
        default_factory=dict,
        description="per department id, its professional (required and elective) courses: what an `own-list` "
        "outside rule counts as the department's own",
    )
    study_load: StudyLoad | None = Field(
        default=None, description="the most credits a student may take in a semester or summer (none: no maximum)"
    )
    workflows: Workflows = Field(default_factory=Workflows, description="typed settings of the portal's workflows")
    extra: dict[str, Any] = Field(
        default_factory=dict, description="notes no code reads (student flags, how a generated policy was derived)"
    )


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
