"""Micro-programs in the portal: each term's calendar (registration window, add/drop week, semester start),
exceptions allowing late registrations, certificate applications with their review steps (the policy's), and
certificates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def step_title(institution_id: int, number: int) -> dict[str, str]:
    """Review step `number`'s title in the institution's current policy, or the number where it has none."""
    from menkan.web.programs.selectors import review_step

    found = review_step(institution_id, number)
    return found.title.as_dict() if found is not None else {"zh-TW": str(number), "en": str(number)}


class ProgramTerm(models.Model):
    """One term of an institution's calendar, as micro-programs need it (edited by the registrar).

    Registration is open from `registration_opens` to `registration_closes` (114-1: 9/8–9/26); the add/drop week
    ends on `add_drop_ends` (the latest point of registration is that day in the second semester of study
    year 2); certificate applications are taken in the policy's application weeks counted from `semester_starts`."""

    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="program_terms")
    term = models.CharField(max_length=8)
    semester_starts = models.DateField()
    add_drop_ends = models.DateField()
    registration_opens = models.DateField()
    registration_closes = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["institution", "semester_starts"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "term"], name="unique_program_term"),
            models.CheckConstraint(
                condition=models.Q(registration_opens__lte=models.F("registration_closes")),
                name="program_term_window_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.term}"


class RegistrationException(models.Model):
    """Staff (the program's contact or head, or the registrar) allow a student a registration the rules refuse:
    after the latest point (最遲請學生於二年級下學期加退選週前完成登記修讀). The student's registration then goes
    through, and the record's registration carries the exception (reason, who, when) for the audit to show.

    Registrations themselves are the student record's `programs` block (one store, shared with imports)."""

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="program_exceptions")
    program = models.CharField(max_length=32)
    reason = models.TextField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    used_term = models.CharField(max_length=8, blank=True, help_text="the term of the registration it allowed")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at", "-pk"]

    @property
    def used(self) -> bool:
        return bool(self.used_term)

    def __str__(self) -> str:
        return f"{self.student} {self.program} ({self.reason[:40]})"


class Application(models.Model):
    """A certificate application: the audit it was filed with, where it stands, and its steps (see Event)."""

    class State(models.TextChoices):
        REVIEW = "review", _("Under review")
        RETURNED = "returned", _("Returned to the student")
        REJECTED = "rejected", _("Not approved")
        ISSUED = "issued", _("Certificate issued")

    student = models.ForeignKey("records.Student", on_delete=models.CASCADE, related_name="program_applications")
    program = models.CharField(max_length=32)
    term = models.CharField(max_length=8)
    state = models.CharField(max_length=16, choices=State.choices, default=State.REVIEW)
    step = models.PositiveSmallIntegerField(
        default=1, help_text="the current review step: its position, from 1, in the policy's review steps"
    )
    audit = models.JSONField(help_text="the menkan.audit/1 document the application was (re)submitted with")
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # one open application per student and program: a returned one is resubmitted, not filed again
            models.UniqueConstraint(
                fields=["student", "program"],
                condition=models.Q(state__in=["review", "returned"]),
                name="one_open_application",
            )
        ]
        indexes = [models.Index(fields=["state", "step", "program"])]

    @property
    def open(self) -> bool:
        return self.state in (self.State.REVIEW, self.State.RETURNED)

    @property
    def program_result(self) -> dict[str, Any] | None:
        """The program's requirement in the attached audit (`micro-program.<CODE>`), if there."""
        from menkan.web.programs.selectors import PREFIX, program_nodes

        return program_nodes(self.audit or {}).get(PREFIX + self.program)

    @property
    def step_title(self) -> dict[str, str]:
        """The current step's title in the policy ({"zh-TW", "en"}), or its number where the policy has none."""
        return step_title(self.student.institution_id, self.step)

    def __str__(self) -> str:
        return f"{self.student} {self.program} ({self.state}, step {self.step})"


class Event(models.Model):
    """One thing that happened to an application: who, when, at which step, what, and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        RESUBMIT = "resubmit", _("Resubmitted")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")
        REJECT = "reject", _("Not approved")
        ISSUE = "issue", _("Certificate issued")
        JUDGE = "judge", _("Judgement recorded")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    step = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the review step (its position, from 1, in the policy's review steps)"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def step_title(self) -> dict[str, str] | None:
        """The title of the step the event happened at, as the policy names it now."""
        if self.step is None:
            return None
        return step_title(self.application.student.institution_id, self.step)

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} step {self.step}"


class IssuedCertificate(models.Model):
    """The certificate of an approved application, once; `code` (random, unguessable) opens the public
    verification page, which shows only the name, the program and the date."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(max_length=64, unique=True)
    student_name = models.CharField(max_length=128)
    program_name = models.CharField(max_length=256)
    program_name_en = models.CharField(max_length=256, blank=True)
    issued_on = models.DateField()

    def __str__(self) -> str:
        return f"{self.program_name} · {self.student_name} · {self.issued_on}"
