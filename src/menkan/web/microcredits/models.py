"""Micro-credit offerings (courses and modular courses), their sessions, seats, attendance, no-show bans, the
credit certification form and the gen-ed offset application."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Offering(models.Model):
    """One micro-credit course of a term. A modular course (`area` set) is one module: the module is the unit of
    seats ("limited to 5 students per module"), so its `seats` is the module's; a plain course has no seat limit
    unless `seats` is set."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="micro_offerings")
    term = models.CharField(max_length=8)
    title = models.CharField(max_length=256)
    area = models.CharField(max_length=48, blank=True)  # module area id (institution.yaml); blank: a plain course
    hours = models.DecimalField(max_digits=5, decimal_places=1)  # the hours the course requires
    seats = models.PositiveSmallIntegerField(null=True, blank=True)  # None: no limit
    taken = models.PositiveSmallIntegerField(default=0)  # seats taken, kept under the row lock
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-term", "area", "title"]
        constraints = [models.UniqueConstraint(fields=["institution", "term", "title"], name="unique_micro_offering")]

    @property
    def modular(self) -> bool:
        return bool(self.area)

    def __str__(self) -> str:
        return f"{self.title}@{self.term}"


class Session(models.Model):
    """One class meeting of an offering, with its hours and the code students type to check themselves in."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    starts = models.TimeField()
    ends = models.TimeField()
    hours = models.DecimalField(max_digits=4, decimal_places=1)
    code = models.CharField(max_length=12)
    closed_at = models.DateTimeField(null=True, blank=True)  # attendance closed: absences were recorded

    class Meta:
        ordering = ["date", "starts"]

    def __str__(self) -> str:
        return f"{self.offering} {self.date}"


class Enrollment(models.Model):
    """A student's place in an offering (for a modular course: their seat), with the work handed in and the
    pass/fail result. `confirmed_sessions` keeps the sessions the student confirmed being free for."""

    class Result(models.TextChoices):
        PENDING = "", _("Not graded")
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="micro_enrollments")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_sessions = models.JSONField(default=list, blank=True)
    work = models.FileField(upload_to="microcredits/work/%Y/", blank=True)
    work_submitted_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=8, choices=Result.choices, blank=True, default="")
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    graded_at = models.DateTimeField(null=True, blank=True)
    activity = models.ForeignKey("records.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "student"], name="unique_micro_enrollment")]

    def hours_attended(self) -> Decimal:
        """Hours of the sessions the student both signed in to and signed out of."""
        total = Decimal(0)
        for mark in self.attendance.all():
            if mark.signed_in_at and mark.signed_out_at:
                total += mark.session.hours
        return total

    def __str__(self) -> str:
        return f"{self.student.student_id} in {self.offering}"


class Attendance(models.Model):
    """Sign-in and sign-out of one student at one session (entered or scanned by staff, or self-checked-in)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attendance")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    signed_in_at = models.DateTimeField(null=True, blank=True)
    signed_out_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "session"], name="unique_micro_attendance")]


class Ban(models.Model):
    """The no-show rule: a seat holder absent from a session of a modular course may take no micro-credit course
    for the rest of that term. Lifting keeps who, when and why."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="micro_bans")
    term = models.CharField(max_length=8)
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="bans")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class Review(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Certification(models.Model):
    """The General Education Micro-credits Credit Certification Form: filed in a term, listing the student's
    courses; on approval the credits are imported as courses into the next term (or this one, by exception)."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="micro_certifications")
    term = models.CharField(max_length=8)  # the term the form is filed in
    status = models.CharField(max_length=12, choices=Review.choices, default=Review.SUBMITTED)
    filed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)  # why it was refused
    current_term_exception = models.BooleanField(default=False)
    exception_reason = models.TextField(blank=True)
    imported_term = models.CharField(max_length=8, blank=True)
    imported = models.ManyToManyField("records.CourseRecord", blank=True, related_name="+")

    class Meta:
        ordering = ["-filed_at"]


class CertificationLine(models.Model):
    """One course listed on a certification form, as the student's record had it when filed."""

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="lines")
    activity = models.ForeignKey("records.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=256)
    term = models.CharField(max_length=8)
    hours = models.DecimalField(max_digits=6, decimal_places=1)


class OffsetApplication(models.Model):
    """The Credit Transfer Application: with the policy's micro-credits on record, offset up to its `max_credits` of
    general education (the category the student chose is kept and printed); approved, it becomes a course record."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="micro_offsets")
    term = models.CharField(max_length=8)
    category = models.CharField(max_length=48)  # a gen-ed category tag of institution.yaml, e.g. ge:humanities
    credits = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=12, choices=Review.choices, default=Review.SUBMITTED)
    filed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    course = models.ForeignKey(
        "records.CourseRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-filed_at"]
