"""Policy versions (publishing keeps the old ones), drafts awaiting confirmation, audit results, batch runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from menkan.web.audits.fields import DocumentField


class PolicyVersion(models.Model):
    """One published version of an institution's policy folder; exactly one is current."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="policy_versions")
    version = models.PositiveIntegerField()
    files = models.JSONField(help_text="relative path -> YAML text")
    checksum = models.CharField(max_length=64)
    is_current = models.BooleanField(default=False)
    note = models.CharField(max_length=256, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution", "version"], name="unique_policy_version"),
            models.UniqueConstraint(
                fields=["institution"], condition=models.Q(is_current=True), name="one_current_policy_version"
            ),
        ]
        ordering = ["institution", "-version"]

    def __str__(self) -> str:
        return f"{self.institution.code} v{self.version}"


class AuditResult(models.Model):
    """The latest audit of one student (`menkan.audit/1` document) and its overall status."""

    student = models.OneToOneField("records.Student", on_delete=models.CASCADE, related_name="audit")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="results")
    as_of = models.CharField(max_length=8)
    status = models.CharField(max_length=16)
    document = DocumentField()  # compact JSON text, a dict in Python (fields.DocumentField says why)
    computed_at = models.DateTimeField(auto_now=True)
    # What the audit was computed from (services.audit_store.input_hash): a batch that finds the same hash
    # again leaves the result as it is. Read by student, never looked up by value, so not indexed.
    input_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.student} {self.status}"


class RequirementStatus(models.Model):
    """Summary row per student and requirement (the top two levels of the tree), for reports and lists."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="requirement_statuses")
    requirement_id = models.CharField(max_length=128)
    status = models.CharField(max_length=16)
    unit = models.CharField(max_length=16)
    earned = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    required = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    advisory = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "requirement_id"], name="unique_requirement_status")]
        indexes = [models.Index(fields=["requirement_id", "status"])]


class BatchRun(models.Model):
    """A batch audit of many students, run in chunks; its counters show progress."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    institution = models.ForeignKey("records.Institution", null=True, blank=True, on_delete=models.CASCADE)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)  # students settled: audited, or found unchanged
    skipped = models.PositiveIntegerField(default=0)  # of `done`: unchanged since their stored audit, not audited
    failed = models.PositiveIntegerField(default=0)
    full = models.BooleanField(default=False, help_text="every student audited again, changed or not (--all)")
    errors = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def audited(self) -> int:
        """Students audited by this run (the others it settled were unchanged)."""
        return self.done - self.skipped

    @property
    def progress(self) -> float:
        return 1.0 if not self.total else (self.done + self.failed) / self.total

    def __str__(self) -> str:
        return f"batch {self.pk} {self.state} {self.done}/{self.total}"


class PolicyDraft(models.Model):
    """Policy files a registrar uploaded to publish, kept between the impact preview and the confirmation.

    The files never change once kept (their checksum is what the confirmation names); `base_version` is the
    version that was current when the preview was made, which must still be current when it is confirmed."""

    class State(models.TextChoices):
        RUNNING = "running", _("Previewing")
        READY = "ready", _("Preview ready")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="policy_drafts")
    files = models.JSONField(help_text="relative path -> YAML text")
    checksum = models.CharField(max_length=64)
    note = models.CharField(max_length=256, blank=True)
    base_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True, help_text="the impact preview (menkan.impact/1)")
    error = models.TextField(blank=True)
    published_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def progress(self) -> float:
        return 1.0 if not self.total else min(1.0, self.done / self.total)

    def __str__(self) -> str:
        return f"{self.institution.code} draft {self.pk} {self.state}"


class BatchChunk(models.Model):
    """A chunk of a batch run that has been counted: a chunk delivered again (its worker was lost after it
    committed, or the broker's visibility timeout ran out) finds its row and is not counted twice."""

    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="chunks")
    first_student = models.BigIntegerField(help_text="the chunk's lowest student pk (a run's chunks are disjoint)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "first_student"], name="unique_batch_chunk")]

    def __str__(self) -> str:
        return f"batch {self.run_id} chunk from {self.first_student}"
