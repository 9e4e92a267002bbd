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


__all__ = ["LoadOverride", "StudyLoad"]
