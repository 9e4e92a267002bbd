"""Shared set-up of the certification tests: a small NTUT graduation policy the world's students can meet, and the
people of the three steps."""

from __future__ import annotations

from menkan.engine.policy.loader import SHIPPED_POLICIES
from menkan.web.audits.models import PolicyVersion
from menkan.web.audits.services import files_of_folder, policy_publish, policy_versions
from menkan.web.certification import services
from menkan.web.certification.models import Candidate, Review

# The world's students hold 5 credits (微積分 3 + 國文 2): a minimum of 5 is met, of 6 is not.
SMALL_GRADUATION = """\
schema: menkan.policy/1
id: ntut-graduation
institution: ntut
title:
  zh-TW: 畢業學分（測試）
  en: Graduation credits (test)
cites: test policy
applies_to:
  division: [day-bachelor]
  degree: [bachelor]
requirements:
- id: graduation
  kind: credits
  title:
    zh-TW: 最低畢業學分
    en: Minimum graduation credits
  cites: test policy
  min: {minimum}
"""
TERM = "115-2"  # the world's students (admitted 112-1) are in their fourth, final year


def publish_small(minimum: int = 5) -> PolicyVersion:
    """Make NTUT's current policy the shipped one with this small graduation requirement."""
    files = files_of_folder(SHIPPED_POLICIES / "ntut")
    files["graduation.yaml"] = SMALL_GRADUATION.format(minimum=minimum)
    version = policy_publish(files, reaudit=False)
    # audits caches compiled policies by the version's pk, and SQLite hands a rolled-back test's pk out again
    policy_versions._RUNTIMES.pop(version.pk, None)
    return version


def opened(world, term: str = TERM) -> Review:  # type: ignore[no-untyped-def]
    return services.review_open(world.users["registrar"], world.institution, term)


def candidate_of(review: Review, student) -> Candidate:  # type: ignore[no-untyped-def]
    return Candidate.objects.get(review=review, student=student)


def decide(candidate: Candidate, user, step: str, decision: str = "approve", reason: str = "") -> Candidate:  # type: ignore[no-untyped-def]
    return services.candidate_decide(candidate.pk, user=user, expected_step=step, decision=decision, reason=reason)


def certify(world, candidate: Candidate) -> Candidate:  # type: ignore[no-untyped-def]
    """Officer → head → registrar, each approving."""
    decide(candidate, world.users["department-officer"], "officer")
    decide(candidate, world.users["department-head"], "head")
    return decide(candidate, world.users["registrar"], "registrar")
