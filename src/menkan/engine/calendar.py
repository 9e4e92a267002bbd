"""The academic calendar: which term a day falls in, from the ROC rule and an institution's own start dates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from menkan.engine.terms import Term

ROC_OFFSET = 1911  # ROC year = Western year - 1911


def default_term_starts(academic_year: int) -> dict[Term, date]:
    """The ROC academic year's terms by law (大學法施行細則: the academic year begins on 1 August): semester 1
    from 1 August, semester 2 from 1 February. A summer term exists only where an institution's data says
    when it starts (until then July belongs to semester 2)."""
    western = academic_year + ROC_OFFSET
    return {Term(academic_year, "1"): date(western, 8, 1), Term(academic_year, "2"): date(western + 1, 2, 1)}


def term_on(day: date, starts: Mapping[Term, date] | None = None) -> Term:
    """The term under way on `day`: the latest term that has started by then.

    `starts` are an institution's own start dates (its calendar); each replaces the default start of its term,
    and a summer term counts only when it is listed. Terms of the academic years around `day` are considered,
    so a calendar listing only some terms still gets the others from the default rule."""
    own = dict(starts or {})
    year = day.year - ROC_OFFSET
    candidates: dict[Term, date] = {}
    for academic_year in (year - 2, year - 1, year, year + 1):
        candidates.update(default_term_starts(academic_year))
    candidates.update(own)
    started = [term for term, start in candidates.items() if start <= day]
    return max(started)
