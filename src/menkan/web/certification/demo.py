"""Demo data for graduation certification: NTUT's review of the current term opened by the demo registrar, so the
demo's department officer finds the final-year students of their department waiting. Idempotent."""

from __future__ import annotations

from typing import TextIO

from menkan.web.accounts.api import Role, RoleAssignment
from menkan.web.certification import services
from menkan.web.certification.models import Review
from menkan.web.records.api import Institution, term_current


def demo_load(out: TextIO) -> list[tuple[str, str, str]]:
    ntut = Institution.objects.filter(code="ntut").first()
    registrar = RoleAssignment.objects.filter(role=Role.REGISTRAR, institution=ntut).select_related("user").first()
    if ntut is None or registrar is None:
        return []
    review = Review.objects.filter(institution=ntut).first()
    if review is None:
        try:
            review = services.review_open(registrar.user, ntut, str(term_current(ntut)))
        except services.CertificationError as exc:
            out.write(f"certification demo: no review opened: {exc}\n")
            return []
    out.write(f"certification demo: NTUT review of {review.term}, {review.candidates.count()} candidate(s)\n")
    return []
