"""Demo data of fees: an NTHU graduate student's account, add/drop closing dates and one fee run for the registrar."""

from __future__ import annotations

import datetime
from typing import TextIO

from menkan.engine import Term

DEMO_INSTITUTION = "nthu"
# 張家豪 (IEEM master's): a course failed and one withdrawn earlier, a W this term: both of the document's
# questions have an answer on his statement.
DEMO_STUDENT = "112034504"
DEMO_USERNAME = "nthu-student"


def add_drop_end(term: Term) -> datetime.date:
    """A plausible last day of add/drop: about two weeks into the semester (fall, spring, summer)."""
    year = term.year + 1911
    if term.semester == "1":
        return datetime.date(year, 9, 19)
    if term.semester == "2":
        return datetime.date(year + 1, 2, 27)
    return datetime.date(year + 1, 7, 10)


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    """Idempotent: existing accounts, dates and runs are left alone."""
    from menkan.web.accounts.api import Role, User, role_assign, user_create
    from menkan.web.fees.models import FeeRun, FeeTerm
    from menkan.web.fees.selectors import institution_terms
    from menkan.web.fees.services import FeeRunRefused, fee_run_start
    from menkan.web.records.api import Institution, Student

    institution = Institution.objects.filter(code=DEMO_INSTITUTION).first()
    if institution is None:
        return []
    created: list[tuple[str, str, str]] = []
    student = Student.objects.filter(institution=institution, student_id=DEMO_STUDENT).first()
    if student is not None and not User.objects.filter(username=DEMO_USERNAME).exists():
        user, password = user_create(DEMO_USERNAME, first_name=student.name or "NTHU student")
        role_assign(user, Role("student"), institution.pk)
        if student.user_id is None:
            student.user = user
            student.save(update_fields=["user"])
        created.append((DEMO_USERNAME, "student", password))
    terms = institution_terms(institution)
    for text in terms:
        term = Term.parse(text)
        FeeTerm.objects.get_or_create(
            institution=institution, term=text, defaults={"add_drop_ends": add_drop_end(term)}
        )
    if terms and not FeeRun.objects.filter(institution=institution, term=terms[0]).exists():
        try:
            run = fee_run_start(institution, terms[0], note="demo")
        except FeeRunRefused as exc:
            out.write(f"fees: no demo fee run of {terms[0]}: {exc}\n")
        else:
            billed = run.billed_students
            out.write(f"fees: fee run {run.pk} of {DEMO_INSTITUTION} {run.term}: {billed} students billed\n")
    return created
