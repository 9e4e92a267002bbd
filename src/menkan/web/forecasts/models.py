"""Forecast snapshots: each student's early-warning verdict, computed by a task from their stored audit."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StudentForecast(models.Model):
    """The latest forecast of one student (`menkan.forecast/1` document), made from the stored audit of `as_of`;
    the registrar's and mentors' pages read these rows, never auditing anyone inside a request."""

    class Verdict(models.TextChoices):
        ON_TRACK = "on-track", _("On track")
        AT_RISK = "at-risk", _("At risk")
        CANNOT_FINISH = "cannot-finish", _("Cannot finish")

    student = models.OneToOneField("records.Student", on_delete=models.CASCADE, related_name="forecast")
    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="forecasts")
    as_of = models.CharField(max_length=8)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    terms_left = models.SmallIntegerField(null=True)
    credits_missing = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    document = models.JSONField()
    audit_computed_at = models.DateTimeField(help_text="when the audit this forecast was made from was computed")
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["institution", "verdict"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.verdict}"
