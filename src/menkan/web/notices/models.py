"""Notice schedules (when the self-learning notices go out, per institution and term), the log of every notice
sent (or skipped) to each person, and students' e-mail addresses kept for notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeSchedule(models.Model):
    """When one term's notices are due: in weeks of the semester (the first semester's week 8 and week 16) and/or
    monthly on a day of the month (the second semester), until the deadline for the items."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="notice_schedules")
    term = models.CharField(_("Term"), max_length=8, help_text=_("e.g. 114-1"))
    semester_start = models.DateField(_("Semester start"), help_text=_("A day of week 1 of the semester"))
    weeks = models.JSONField(_("Weeks"), default=list, blank=True, help_text=_("Weeks with a notice, e.g. 8, 16"))
    weekday = models.PositiveSmallIntegerField(
        _("Weekday"), default=4, help_text=_("Day of the week the weekly notices go out (0 Monday … 6 Sunday)")
    )
    head_weeks = models.JSONField(
        _("Weeks for department heads"), default=list, blank=True, help_text=_("Weeks whose notice also goes to heads")
    )
    monthly_day = models.PositiveSmallIntegerField(
        _("Monthly day"), null=True, blank=True, help_text=_("Day of the month for the monthly reminders (1–28)")
    )
    monthly_to_heads = models.BooleanField(_("Monthly reminders to department heads"), default=True)
    deadline = models.DateField(_("Deadline"), help_text=_("Seniors must complete every item before this day"))
    active = models.BooleanField(_("Active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "term"], name="unique_notice_schedule")]
        ordering = ["institution", "-term"]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.term}"


class NoticeMessage(models.Model):
    """A notice written by a person (a registrar, a mentor) to students they chose, e.g. another page's at-risk
    list: sent once to each student (and, if asked, their mentors) through the log like the scheduled notices."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="notice_messages")
    subject = models.CharField(_("Subject"), max_length=200)
    body = models.TextField(_("Message"))
    to_mentors = models.BooleanField(_("Also to their mentors"), default=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The compose page's one-time token: a second submission of the same form finds this message, sends nothing new.
    token = models.CharField(max_length=64, unique=True)
    students = models.ManyToManyField("records.Student", related_name="notice_messages")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.institution.code} #{self.pk} {self.subject}"

    @property
    def key(self) -> str:
        return f"{self.institution.code}:message:{self.pk}"


class NoticeLog(models.Model):
    """One notice to one person: claimed (inserted) before it is sent, so the unique constraint on (notice key,
    recipient) makes a second run, even a concurrent one, find it taken and send nothing."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class Audience(models.TextChoices):
        STUDENT = "student", _("Student")
        MENTOR = "mentor", _("Mentor")
        DEPARTMENT_HEAD = "department-head", _("Department head")

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="notice_logs")
    schedule = models.ForeignKey(NoticeSchedule, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.ForeignKey(NoticeMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="logs")
    notice_key = models.CharField(max_length=64)  # institution:term:round, e.g. <code>:114-1:week-8
    recipient = models.CharField(max_length=160)  # e.g. student:<student id>, mentor:<username>
    audience = models.CharField(max_length=24, choices=Audience.choices)
    student = models.ForeignKey("records.Student", null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=256, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice_key", "recipient"], name="one_notice_per_recipient"),
        ]
        indexes = [models.Index(fields=["institution", "notice_key"]), models.Index(fields=["status"])]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.notice_key} → {self.recipient} ({self.status})"


class StudentContact(models.Model):
    """A student's e-mail address for notices, when the student has no account with one (students need no
    account to be on record)."""

    student = models.OneToOneField("records.Student", on_delete=models.CASCADE, related_name="notice_contact")
    email = models.EmailField()

    def __str__(self) -> str:
        return f"{self.student.student_id} <{self.email}>"
