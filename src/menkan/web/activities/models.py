"""The offices' self-learning work: activity offerings and sign-ups, MOOC courses and certificate uploads,
departments' licence lists and licence exam-fee subsidy applications."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Offering(models.Model):
    """An activity an office offers for one self-learning item (a lecture, a workshop, a volunteer service)."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="offerings")
    office = models.CharField(max_length=64, help_text="the office owning the item (a unit of the policy's workflows)")
    item = models.CharField(max_length=48)
    title = models.CharField(max_length=256)
    date = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    capacity = models.PositiveIntegerField()
    term = models.CharField(max_length=8)
    closed = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "title"]
        indexes = [models.Index(fields=["institution", "office"])]

    def __str__(self) -> str:
        return f"{self.office} {self.title} {self.date}"


class SignUp(models.Model):
    """A student's seat in an offering (cancelled seats are deleted)."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="signups")
    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="signups")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["offering", "student"], name="unique_signup")]

    def __str__(self) -> str:
        return f"{self.student} → {self.offering}"


class MoocCourse(models.Model):
    """A designated MOOC course (教育部磨課師) and the hours its certificate earns (the office's list)."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="mooc_courses")
    title = models.CharField(max_length=256)
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    audience = models.CharField(max_length=128, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["institution", "title"], name="unique_mooc_course")]

    def __str__(self) -> str:
        return self.title


class Review(models.TextChoices):
    PENDING = "pending", "pending"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"


class MoocUpload(models.Model):
    """A student's MOOC certificate, uploaded for review; approval registers the course's hours."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="mooc_uploads")
    course = models.ForeignKey(MoocCourse, on_delete=models.PROTECT, related_name="uploads")
    file = models.FileField(upload_to="activities/moocs/%Y/%m/")
    status = models.CharField(max_length=16, choices=Review.choices, default=Review.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    activity = models.ForeignKey("records.Activity", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # one certificate of a course waiting or counted per student, also under simultaneous uploads
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="one_open_mooc_upload_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.course} {self.status}"


class LicenceListEntry(models.Model):
    """One certificate on a department's licence list (系自訂專業證照列表); the list is policy data: the
    policy's `codes_by_department` is rewritten from these rows and published when they change."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="licence_entries")
    department = models.CharField(max_length=32)
    code = models.CharField(max_length=64)
    title = models.CharField(max_length=256, blank=True)
    level = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["department", "code"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "department", "code"], name="unique_licence_entry")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.code}"


class SubsidyApplication(models.Model):
    """A student's licence exam-fee subsidy application (half the fee, capped, once per student)."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="subsidy_applications")
    code = models.CharField(max_length=64)
    title = models.CharField(max_length=256)
    exam_date = models.DateField()
    fee = models.PositiveIntegerField(help_text="exam fee including the certificate fee, NT$")
    receipt = models.FileField(upload_to="activities/receipts/%Y/%m/")
    status = models.CharField(max_length=16, choices=Review.choices, default=Review.PENDING)
    amount = models.PositiveIntegerField(null=True, blank=True, help_text="the subsidy granted, NT$")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # once per student, also under concurrent approvals: the database refuses a second approved row
            models.UniqueConstraint(
                fields=["student"], condition=models.Q(status="approved"), name="one_approved_subsidy_per_student"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.code} {self.status}"
