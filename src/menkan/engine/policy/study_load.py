"""Term loads (institution.yaml `study_load`): the most credits a student may take in one semester or summer."""

from __future__ import annotations

from pydantic import Field

from menkan.engine.policy.models import Amount, Applicability, Model


class LoadOverride(Model):
    """Other maxima for the students `when` matches (later overrides win; an absent field keeps the value)."""

    when: Applicability
    semester_max: Amount | None = None
    summer_max: Amount | None = None
    unlimited: bool = Field(default=False, description="these students have no maximum (e.g. graduate students)")


class PeriodOverride(Model):
    """Another study period for the students `when` matches (later overrides win; an absent field keeps the value)."""

    when: Applicability
    years: int | None = Field(default=None, ge=1)
    extension_years: int | None = Field(default=None, ge=0)


class StudyPeriodDefault(Model):
    """The regular study period (修業年限) and the most it may be extended, for forecasts of an institution whose
    policies have no `study-period` requirement (a policy's `study-period` rule, where there is one, is the
    source instead). Semesters on leave do not count (menkan.engine.study)."""

    years: int = Field(ge=1, description="the regular study period in academic years")
    extension_years: int = Field(default=0, ge=0, description="the most it may be extended by, in academic years")
    cites: str | None = None
    overrides: list[PeriodOverride] = Field(default_factory=list)


class StudyLoad(Model):
    """The course-selection maxima a forecast and a study plan check against.

    A maximum is policy data like any threshold: the registrar states it (and cites where it comes from), it is
    never a constant in code. An institution without this section sets no maximum, and nothing is flagged."""

    semester_max: Amount = Field(description="most credits in one regular (fall or spring) semester")
    summer_max: Amount | None = Field(
        default=None, description="most credits in a summer term (none: no maximum stated)"
    )
    cites: str | None = None
    overrides: list[LoadOverride] = Field(default_factory=list)
    period: StudyPeriodDefault | None = Field(
        default=None, description="the regular study period, where no policy states it as a `study-period` rule"
    )


__all__ = ["LoadOverride", "PeriodOverride", "StudyLoad", "StudyPeriodDefault"]
