"""The registrar's micro-program calendar as semester starts, lent to records' calendar (see `apps.ready`)."""

from __future__ import annotations

import datetime as dt

from menkan.engine import Term
from menkan.web.programs.models import ProgramTerm
from menkan.web.records.api import Institution


def program_term_starts(institution: Institution) -> dict[Term, dt.date]:
    """The semester starts of the registrar's micro-program calendar (ProgramTerm), where there is one."""
    starts: dict[Term, dt.date] = {}
    for term, start in ProgramTerm.objects.filter(institution=institution).values_list("term", "semester_starts"):
        try:
            starts[Term.parse(term)] = start
        except ValueError:
            continue
    return starts
