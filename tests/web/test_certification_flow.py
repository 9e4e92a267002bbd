"""Graduation certification: opening a review lists the final-year students, students apply, officer → head →
registrar in order with the audit attached, return with a reason, the frozen certification (hashes, policy version,
audit) unchanged by later record changes, drift listed, not-met refused, the wrong role refused with nothing
written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from menkan.web.certification import services
from menkan.web.certification.models import Candidate, Certification, Decision, FrozenRecord, Review
from menkan.web.certification.selectors import canonical_hash, drift_of, record_hashes
from menkan.web.records.models import CourseRecord
from menkan.web.records.selectors import student_document

from .certification_support import TERM, candidate_of, certify, decide, opened, publish_small
from .conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def ready(world: World) -> World:
    publish_small(5)
    return world


def _snapshot() -> tuple[int, int, int, list[str]]:
    return (
        Decision.objects.count(),
        Certification.objects.count(),
        Review.objects.count(),
        list(Candidate.objects.order_by("pk").values_list("step", flat=True)),
    )


# --------------------------------------------------------------------------------------------------- opening


def test_opening_a_review_lists_the_students_in_their_final_year(ready: World) -> None:
    review = opened(ready)
    listed = set(review.candidates.values_list("student__student_id", flat=True))
    assert listed == {ready.own.student_id, ready.other.student_id}  # NTUT's; NYCU's student is another review's
    assert all(c.source == "final-year" and c.step == "officer" for c in review.candidates.all())
    assert Decision.objects.filter(action="listed", actor=ready.users["registrar"]).count() == 2


def test_students_before_their_final_year_are_not_listed(ready: World) -> None:
    review = opened(ready, "114-2")  # third year
    assert not review.candidates.exists()


def test_a_student_applies_while_a_review_is_open(ready: World) -> None:
    opened(ready, "114-2")
    candidate = services.candidate_apply(ready.own, user=ready.users["student"])
    assert candidate.source == "applied" and candidate.step == "officer"
    with pytest.raises(services.CertificationError, match="already"):
        services.candidate_apply(ready.own, user=ready.users["student"])


def test_only_the_registrar_opens_a_review(ready: World) -> None:
    with pytest.raises(services.NotYourStep, match="Only the registrar"):
        services.review_open(ready.users["department-head"], ready.institution, TERM)
    assert not Review.objects.exists()


# --------------------------------------------------------------------------------------------------- the steps


def test_officer_head_registrar_in_order_then_a_frozen_certification(ready: World) -> None:
    candidate = candidate_of(opened(ready), ready.own)
    decide(candidate, ready.users["department-officer"], "officer")
    candidate.refresh_from_db()
    assert candidate.step == "head" and candidate.audit["status"] == "met"
    decide(candidate, ready.users["department-head"], "head")
    candidate = decide(candidate, ready.users["registrar"], "registrar")
    assert candidate.step == "certified"
    steps = list(candidate.decisions.values_list("step", "action", "actor__username"))
    assert steps == [
        ("officer", "listed", "registrar"),
        ("officer", "approve", "department-officer"),
        ("head", "approve", "department-head"),
        ("registrar", "certify", "registrar"),
    ]
    assert all(d.audit["status"] == "met" for d in candidate.decisions.exclude(action="listed"))
    certification = Certification.objects.get(candidate=candidate)
    document = student_document(ready.own)
    assert certification.records_hash == canonical_hash({k: v for k, v in document.items() if k != "exceptions"})
    assert certification.exceptions_hash == canonical_hash([])
    assert certification.policy_version.is_current and certification.policy_checksum
    assert certification.audit["status"] == "met" and certification.certified_by == ready.users["registrar"]


def test_return_needs_a_reason_and_the_officer_takes_it_up_again(ready: World) -> None:
    candidate = candidate_of(opened(ready), ready.own)
    decide(candidate, ready.users["department-officer"], "officer")
    with pytest.raises(services.CertificationError, match="needs a reason"):
        decide(candidate, ready.users["department-head"], "head", "return")
    decide(candidate, ready.users["department-head"], "head", "return", "服務學習時數證明未附")
    candidate.refresh_from_db()
    assert candidate.step == "returned"
    assert candidate.decisions.get(action="return").reason == "服務學習時數證明未附"
    decide(candidate, ready.users["department-officer"], "returned")
    candidate.refresh_from_db()
    assert candidate.step == "head"


def test_a_stale_form_is_refused(ready: World) -> None:
    candidate = candidate_of(opened(ready), ready.own)
    decide(candidate, ready.users["department-officer"], "officer")
    before = _snapshot()
    with pytest.raises(services.StaleStep, match="moved on"):
        decide(candidate, ready.users["department-officer"], "officer")
    assert _snapshot() == before


# --------------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("step", "wrong"),
    [
        ("officer", "department-head"),
        ("officer", "registrar"),
        ("officer", "mentor"),
        ("head", "department-officer"),
        ("registrar", "department-head"),
    ],
)
def test_an_approval_by_the_wrong_role_is_refused_with_the_reason_and_nothing_written(
    ready: World, step: str, wrong: str
) -> None:
    candidate = candidate_of(opened(ready), ready.own)
    order = [("officer", "department-officer"), ("head", "department-head")]
    for at, who in order[: [s for s, _ in order].index(step)] if step != "registrar" else order:
        decide(candidate, ready.users[who], at)
    before = _snapshot()
    with pytest.raises(services.NotYourStep) as refused:
        decide(candidate, ready.users[wrong], step)
    assert "only the" in str(refused.value)
    assert _snapshot() == before


def test_an_officer_of_another_department_is_refused(ready: World) -> None:
    candidate = candidate_of(opened(ready), ready.other)  # 590, not the officer's 340
    before = _snapshot()
    with pytest.raises(services.NotYourStep, match="only the Department officer of"):
        decide(candidate, ready.users["department-officer"], "officer")
    assert _snapshot() == before


def test_the_page_refuses_the_wrong_role_with_the_reason(ready: World) -> None:
    candidate = candidate_of(opened(ready), ready.own)
    before = _snapshot()
    response = ready.client("department-head").post(
        reverse("certification:decide", args=[candidate.pk]),
        {"step": "officer", "decision": "approve"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "only the Department officer of" in response.content.decode()
    assert _snapshot() == before


def test_a_candidate_not_met_is_not_certified(world: World) -> None:
    publish_small(6)
    candidate = candidate_of(opened(world), world.own)
    decide(candidate, world.users["department-officer"], "officer")
    decide(candidate, world.users["department-head"], "head")
    before = _snapshot()
    with pytest.raises(services.CertificationError, match="Not certified: the audit is not-met"):
        decide(candidate, world.users["registrar"], "registrar")
    assert _snapshot() == before
    assert not Certification.objects.exists()


# --------------------------------------------------------------------------------------------------- frozen, drift


def test_the_certification_is_never_changed_nor_deleted(ready: World) -> None:
    certify(ready, candidate_of(opened(ready), ready.own))
    certification = Certification.objects.get()
    certification.audit_status = "not-met"
    with pytest.raises(FrozenRecord):
        certification.save()
    with pytest.raises(FrozenRecord):
        certification.delete()
    with pytest.raises(FrozenRecord):
        Certification.objects.filter(pk=certification.pk).update(audit_status="not-met")
    with pytest.raises(FrozenRecord):
        Certification.objects.all().delete()
    assert Certification.objects.get().audit_status == "met"


def test_a_record_change_after_certification_leaves_the_certification_and_shows_as_drift(ready: World) -> None:
    review = opened(ready)
    certify(ready, candidate_of(review, ready.own))
    frozen = Certification.objects.values().get()
    assert drift_of(review) == []
    CourseRecord.objects.filter(student=ready.own, code="1401032").update(grade="40")  # 微積分 failed after all
    assert Certification.objects.values().get() == frozen
    drift = drift_of(review)
    assert [d.certification.student_id for d in drift] == [ready.own.pk]
    assert drift[0].changes == ["records", "result"] and drift[0].status_now == "not-met"
    assert record_hashes(ready.own)[1] != frozen["records_hash"]
    page = ready.client("registrar").get(reverse("certification:review", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert ready.own.student_id in page.content.decode().split('id="drift"')[1].split('id="graduates"')[0]


def test_a_new_policy_version_shows_as_drift(ready: World) -> None:
    review = opened(ready)
    certify(ready, candidate_of(review, ready.own))
    publish_small(6)
    (drift,) = drift_of(review)
    assert drift.changes == ["policy", "result"]


def test_the_demo_opens_ntuts_review_of_the_current_term_once(ready: World) -> None:
    import io

    from menkan.web.certification.demo import demo_load

    demo_load(io.StringIO())
    demo_load(io.StringIO())
    (review,) = Review.objects.all()
    assert review.institution == ready.institution and review.opened_by == ready.users["registrar"]
