"""Fee runs: each term's add/drop close date, the registrar's fee runs (kept as history) and one line per student."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FeeTerm(models.Model):
    """A term of an institution as fee runs see it: the last day of its add/drop period.

    Credit fees are computed on the courses after add/drop (as fee rules have it), so a fee run of the term is
    refused until that day has passed."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="fee_terms")
    term = models.CharField(max_length=8)
    add_drop_ends = models.DateField(help_text="the last day of the add/drop period")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "term"], name="unique_fee_term")]
        ordering = ["institution", "-term"]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.term} add/drop until {self.add_drop_ends}"


class FeeRun(models.Model):
    """One computation of a term's credit fees for every student of an institution; runs are never overwritten,
    a re-run after corrections is a new run (compared with the one before it)."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="fee_runs")
    term = models.CharField(max_length=8)
    policy_version = models.ForeignKey(
        "audits.PolicyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="fee_runs"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    considered = models.PositiveIntegerField(default=0, help_text="students with courses or a status in the term")
    billed_students = models.PositiveIntegerField(default=0, help_text="students a fee schedule applies to")
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    note = models.CharField(max_length=256, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["institution", "term", "-pk"]
        indexes = [models.Index(fields=["institution", "term"])]

    def __str__(self) -> str:
        return f"fee run {self.pk} {self.institution.code} {self.term} {self.state}"


class FeeLine(models.Model):
    """One student's credit-fee statement in a run. The student's number and name are copied so that the run
    still reads as it was if the student's record is later changed or removed."""

    run = models.ForeignKey(FeeRun, on_delete=models.CASCADE, related_name="lines")
    student = models.ForeignKey("records.Student", null=True, blank=True, on_delete=models.SET_NULL)
    student_code = models.CharField(max_length=32)
    name = models.CharField(max_length=128, blank=True)
    schedule = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    enrolled_credits = models.DecimalField(max_digits=6, decimal_places=1)
    billed_credits = models.DecimalField(max_digits=6, decimal_places=1)
    exempt_credits = models.DecimalField(max_digits=6, decimal_places=1)
    explanation = models.CharField(max_length=48, help_text="the code of the statement's main explanation")
    statement = models.JSONField(help_text="the menkan.fees/1 statement")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "student_code"], name="unique_fee_line")]
        ordering = ["run", "student_code"]

    def __str__(self) -> str:
        return f"{self.student_code} {self.amount}"
