"""Graduation certification (畢業資格審查): a review per institution and term, its candidates going through the
department officer, the department head and the registrar, every decision kept, and the frozen certification."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Review(models.Model):
    """The graduation review of an institution's term, opened by the registrar; its candidates are listed at opening
    (students in their final study year) and by students applying while it is open."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="grad_reviews")
    term = models.CharField(max_length=8)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["institution", "term"], name="one_review_per_term")]

    def __str__(self) -> str:
        return f"{self.institution} {self.term}"


class Step(models.TextChoices):
    """Where a candidate stands: waiting at one of the three steps, certified, or returned with a reason."""

    OFFICER = "officer", _("Department officer")
    HEAD = "head", _("Department head")
    REGISTRAR = "registrar", _("Registrar")
    CERTIFIED = "certified", _("Certified")
    RETURNED = "returned", _("Returned")


class Candidate(models.Model):
    """One student in a review: how they came in, the step they are at, and the audit attached at the last step."""

    class Source(models.TextChoices):
        FINAL_YEAR = "final-year", _("Final study year")
        APPLIED = "applied", _("Applied")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="candidates")
    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="grad_candidacies")
    source = models.CharField(max_length=16, choices=Source.choices)
    step = models.CharField(max_length=16, choices=Step.choices, default=Step.OFFICER)
    audit = models.JSONField(null=True, blank=True, help_text="the menkan.audit/1 document attached at the last step")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["student__department__code", "student__student_id"]
        constraints = [models.UniqueConstraint(fields=["review", "student"], name="one_candidacy_per_review")]
        indexes = [models.Index(fields=["review", "step"])]

    def __str__(self) -> str:
        return f"{self.student} ({self.step})"


class Decision(models.Model):
    """One thing that happened to a candidate: who, when, at which step, what, why, and the audit they saw."""

    class Action(models.TextChoices):
        LISTED = "listed", _("Listed (final study year)")
        APPLIED = "applied", _("Applied")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")
        CERTIFY = "certify", _("Certified")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="decisions")
    step = models.CharField(max_length=16, choices=Step.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    audit = models.JSONField(null=True, blank=True, help_text="the audit attached at this step")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.action} at {self.step}"


class FrozenRecord(Exception):
    """A certification is kept as it was decided: it is never changed nor deleted."""


class CertificationQuerySet(models.QuerySet["Certification"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise FrozenRecord("a certification is never changed")

    def delete(self) -> NoReturn:
        raise FrozenRecord("a certification is never deleted")


class Certification(models.Model):
    """What the registrar certified, frozen: the audit document, the policy version it was computed under, and
    SHA-256 hashes of the student's records and of their exceptions (the canonical JSON of their
    `menkan.student/1` document without, and of its `exceptions` block). Written once; never updated or deleted."""

    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="certification")
    student = models.ForeignKey("records.Student", on_delete=models.PROTECT, related_name="grad_certifications")
    audit = models.JSONField()
    audit_status = models.CharField(max_length=16)
    policy_version = models.ForeignKey("audits.PolicyVersion", on_delete=models.PROTECT, related_name="+")
    policy_checksum = models.CharField(max_length=64)
    records_hash = models.CharField(max_length=64)
    exceptions_hash = models.CharField(max_length=64)
    student_name = models.CharField(max_length=128, blank=True)
    department_code = models.CharField(max_length=32)
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    certified_at = models.DateTimeField(auto_now_add=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["department_code", "student__student_id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise FrozenRecord("a certification is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise FrozenRecord("a certification is never deleted")

    def __str__(self) -> str:
        return f"{self.student} certified {self.certified_at:%Y-%m-%d}"
