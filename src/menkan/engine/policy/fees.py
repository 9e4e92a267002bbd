"""The fee language: typed models of an institution's credit-fee schedules (`workflows.fees` of institution.yaml).

Fee data lives in institution.yaml under `workflows.fees`, not in a file of its own: the policy loader reads every
other *.yaml of a policy folder (subfolders included) as a requirement policy. These models validate that data
when fees are computed (`menkan fees`) and when policies are checked (`menkan policy check`).

A schedule is a tagged union by `kind`; the first schedule (in file order) that applies to the student and the
term bills them:

- `graduate-credits`: credit fees on every credit enrolled until the accumulated credits (transferred + passed
  before the term) reach the minimum graduation credits (`threshold`); credits beyond it are exempt.
- `program`: a program's own schedule (in-service programs): per-credit `rates` and/or fixed `items`.
- `extension`: an extended study period: below `full_load_credits`, the `basic` items plus credit fees;
  at or above it, the `full` items (full tuition and fees).
- `referral`: no bill computed here; the `note` says who sets the fees (a program office).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from menkan.engine.policy.models import Amount, Applicability, Identifier, Localized, Model

FEES_KEY = "fees"

EnrollmentStatus = Literal["enrolled", "leave", "extension", "withdrawn"]


class Rate(Model):
    """A rate per credit for the students `when` matches (no `when`: everyone). The last matching rate wins."""

    when: Applicability | None = None
    per_credit: Amount


class FeeItem(Model):
    """A fixed amount per term (basic fees, tuition). Items sharing an `id` are variants: the last matching wins."""

    id: Identifier
    title: Localized
    amount: Amount
    when: Applicability | None = None


class ThresholdOverride(Model):
    """The threshold for the students `when` matches: `credits` replaces it, `add` adds to it (later wins)."""

    when: Applicability
    credits: Amount | None = None
    add: Decimal | None = None


class Threshold(Model):
    """The minimum graduation credits of the student's department.

    `requirement`: the full id of a `credits` requirement in the institution's policies; its `min` and its
    overrides (min, add_min) become the threshold, so the figure is written once. Or `credits` (+ `overrides`).
    """

    requirement: str | None = None
    credits: Amount | None = None
    overrides: list[ThresholdOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _source(self) -> Threshold:
        if self.requirement is None and self.credits is None:
            raise ValueError("give `requirement` (a credits requirement's full id) or `credits`")
        return self


class ScheduleBase(Model):
    id: Identifier
    title: Localized
    cites: str = Field(min_length=1, description="the document this schedule implements")
    applies_to: Applicability | None = None
    enrollment: list[EnrollmentStatus] | None = Field(
        default=None, description="the student's enrollment status in the term is one of these (absent: enrolled)"
    )
    note: Localized | None = None
    explanations: dict[str, Localized] = Field(
        default_factory=dict,
        description="the institution's wording of an explanation, by its code (`withdrawn-billed`, "
        "`program-schedule`, `add-drop`); `{courses}` and `{title}` are filled in",
    )


class GraduateCreditFees(ScheduleBase):
    """Credit fees until the minimum graduation credits are reached; credits beyond them are exempt."""

    kind: Literal["graduate-credits"]
    threshold: Threshold
    rates: list[Rate] = Field(min_length=1)


class ProgramFees(ScheduleBase):
    """A program's own schedule: a rate per credit, fixed items per term, or both."""

    kind: Literal["program"]
    rates: list[Rate] = Field(default_factory=list)
    items: list[FeeItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> ProgramFees:
        if not self.rates and not self.items:
            raise ValueError("give `rates`, `items`, or both")
        return self


class ExtensionFees(ScheduleBase):
    """An extended study period: fewer than `full_load_credits` → basic items + credit fees; else the full items."""

    kind: Literal["extension"]
    full_load_credits: Amount = Decimal(10)
    rates: list[Rate] = Field(min_length=1)
    basic: list[FeeItem] = Field(min_length=1)
    full: list[FeeItem] = Field(min_length=1)


class Referral(ScheduleBase):
    """No bill is computed: the `note` tells the student who sets their fees."""

    kind: Literal["referral"]


FeeSchedule = Annotated[
    GraduateCreditFees | ProgramFees | ExtensionFees | Referral,
    Field(discriminator="kind"),
]


class Fees(Model):
    """An institution's fee schedules (institution.yaml `workflows.fees`)."""

    currency: str = "TWD"
    places: int = Field(default=0, ge=0, le=2, description="decimal places amounts are rounded to (half up)")
    cites: str | None = None
    schedules: list[FeeSchedule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Fees:
        seen: set[str] = set()
        for schedule in self.schedules:
            if schedule.id in seen:
                raise ValueError(f"schedule id {schedule.id!r} is used twice")
            seen.add(schedule.id)
        return self
