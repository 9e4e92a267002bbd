"""Writes of study plans: saving a plan, all of it or nothing, and only when it has no problem."""

from __future__ import annotations

from django.db import transaction

from menkan.foresight.plans import Plan, PlanReview
from menkan.web.accounts.api import User
from menkan.web.plans.models import StudyPlan, StudyPlanCourse, StudyPlanTerm
from menkan.web.plans.selectors import plan_edit_allowed, plan_review_of
from menkan.web.records.api import Student


class PlanRefused(Exception):
    """The plan was not saved: why (the review's problems, or no permission or policy)."""

    def __init__(self, reason: str, review: PlanReview | None = None) -> None:
        super().__init__(reason)
        self.review = review


def study_plan_save(user: User, student: Student, plan: Plan) -> PlanReview:
    """Replace the student's saved plan with `plan` after checking it; PlanRefused (and nothing saved) when `user`
    may not change it, no policy is published, or the plan has any problem. Only the plan's rows are written."""
    if not plan_edit_allowed(user, student):
        raise PlanRefused("not-allowed")
    review = plan_review_of(student, plan)
    if review is None:
        raise PlanRefused("no-policy")
    if not review.ok:
        raise PlanRefused("problems", review)
    with transaction.atomic():
        stored, _ = StudyPlan.objects.select_for_update().get_or_create(student=student)
        stored.terms.all().delete()
        for position, planned in enumerate(sorted(plan.terms, key=lambda t: t.term)):
            term = StudyPlanTerm.objects.create(plan=stored, term=str(planned.term), position=position)
            StudyPlanCourse.objects.bulk_create(
                StudyPlanCourse(term=term, code=course.code, category=course.category or "", position=index)
                for index, course in enumerate(planned.courses)
            )
        stored.updated_by = user
        stored.save(update_fields=["updated_by", "updated_at"])
    return review
