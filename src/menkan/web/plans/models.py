"""Saved study plans: one per student, its future terms and their planned course codes (never records)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StudyPlan(models.Model):
    """A student's plan. It is not a record: saving it changes no course record, audit or anything else."""

    student = models.OneToOneField("records.Student", on_delete=models.CASCADE, related_name="study_plan")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"study plan of {self.student_id}"


class StudyPlanTerm(models.Model):
    """A planned term (`115-2`), in the order the plan lists them."""

    plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=8)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "term"], name="unique_plan_term")]

    def __str__(self) -> str:
        return f"{self.plan.student_id} {self.term}"


class StudyPlanCourse(models.Model):
    """A planned course: its catalogue code and, when the plan gives one, the category it is taken as."""

    term = models.ForeignKey(StudyPlanTerm, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField(max_length=32)
    category = models.CharField(max_length=64, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["term", "position"]

    def __str__(self) -> str:
        return f"{self.term} {self.code}"
