"""Institutions, colleges, departments, classes, students, and their course, activity and certificate records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Institution(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name_zh = models.CharField(max_length=128)
    name_en = models.CharField(max_length=128)

    def __str__(self) -> str:
        return self.code


class College(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="colleges")
    code = models.CharField(max_length=32)
    name_zh = models.CharField(max_length=128)
    name_en = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="unique_college")]

    def __str__(self) -> str:
        return self.name_zh


class Department(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="departments")
    college = models.ForeignKey(College, null=True, blank=True, on_delete=models.SET_NULL, related_name="departments")
    code = models.CharField(max_length=32)
    name_zh = models.CharField(max_length=128)
    name_en = models.CharField(max_length=256, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="unique_department")]

    def __str__(self) -> str:
        return self.name_zh


class SchoolClass(models.Model):
    """A class (班級) of students with its mentor (導師)."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="classes")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="classes")
    code = models.CharField(max_length=64)
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentored_classes"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="unique_class")]

    def __str__(self) -> str:
        return self.code


class Student(models.Model):
    """A student. Standing blocks of the record (enrollment, ethics, programs, exams, extensions, ranks)
    are kept as JSON in `standing`, in the shape of `menkan.student/1`."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="students")
    student_id = models.CharField(max_length=32)
    name = models.CharField(max_length=128, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="students")
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="students"
    )
    division = models.CharField(max_length=32, default="day-bachelor")
    degree = models.CharField(max_length=16, default="bachelor")
    admission_term = models.CharField(max_length=8)
    admitted_into_year = models.PositiveSmallIntegerField(default=1)
    flags = models.JSONField(default=list, blank=True)
    standing = models.JSONField(default=dict, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="student"
    )
    # Kept by the database, never by the portal: triggers (migration 0003) add one whenever anything of the
    # student's engine document changes (this row's fields, course, activity and certificate rows, approved
    # exceptions and their decider's name, the department's, class's or institution's code), however it was
    # written: ORM, QuerySet.update(), bulk_create, raw SQL. A value saved from a stale instance is ignored.
    # Batch audits compare it (with the policy and term) to the key stored with the audit: `audit_store.input_hash`.
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["revision"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "student_id"], name="unique_student")]
        indexes = [models.Index(fields=["institution", "department"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.name}"


class CourseRecord(models.Model):
    """One course attempt: the same code in the same term is the same record (re-imports update it)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField(max_length=32)
    title = models.CharField(max_length=256)
    credits = models.DecimalField(max_digits=5, decimal_places=1)
    term = models.CharField(max_length=8)
    grade = models.CharField(max_length=8, null=True, blank=True)
    offered_by = models.CharField(max_length=32, blank=True)
    category = models.CharField(max_length=48, blank=True)
    tags = models.JSONField(default=list, blank=True)
    delivery = models.CharField(max_length=16, default="in-person")
    transfer = models.BooleanField(default=False)
    level = models.CharField(max_length=16, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "code", "term"], name="unique_course_attempt")]

    def __str__(self) -> str:
        return f"{self.code}@{self.term}"


class Activity(models.Model):
    """Hours from one activity (lecture, volunteer service, library workshop…), registered by its unit."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="activities")
    item = models.CharField(max_length=48)
    hours = models.DecimalField(max_digits=6, decimal_places=1)
    term = models.CharField(max_length=8)
    title = models.CharField(max_length=256)
    unit = models.CharField(max_length=64, blank=True)
    date = models.DateField(null=True, blank=True)
    passed = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "item", "title", "term", "date"], name="unique_activity")
        ]

    def __str__(self) -> str:
        return f"{self.item}:{self.title}@{self.term}"


class Certificate(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="certificates")
    code = models.CharField(max_length=64)
    title = models.CharField(max_length=256)
    term = models.CharField(max_length=8)
    level = models.CharField(max_length=32, blank=True)
    unit = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "code", "term"], name="unique_certificate")]

    def __str__(self) -> str:
        return f"{self.code}@{self.term}"


class RecordException(models.Model):
    """A human decision the audit honours (`exceptions` of `menkan.student/1`): proposed by a department officer
    (or a program contact, for a program's requirements), approved or rejected by the department head (or the
    registrar). Only approved ones are in the student's record; revoking one keeps it, and its history, here."""

    class Kind(models.TextChoices):
        SUBSTITUTE = "substitute", _("Substitute")
        ASSIGN = "assign", _("Assign")
        EXCLUDE = "exclude", _("Exclude")
        RECOGNISE = "recognise", _("Recognise")
        WAIVE = "waive", _("Waive")
        CREDIT = "credit", _("Credit")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="record_exceptions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    requirement = models.CharField(max_length=128)
    course = models.CharField(max_length=48, blank=True, help_text="a course code, or code@term for one attempt")
    replaces = models.CharField(max_length=256, blank=True)
    recognised_as = models.CharField(max_length=128, blank=True, help_text="`as` of the record")
    amount = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    credits = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    category = models.CharField(max_length=48, blank=True)
    tags = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=256, blank=True)
    term = models.CharField(max_length=8, blank=True)
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["student", "proposed_at", "pk"]
        indexes = [models.Index(fields=["student", "status"])]

    @property
    def record_id(self) -> str:
        """Its `id` in the student's record (unique there: the row's)."""
        return f"EX-{self.pk}"

    def __str__(self) -> str:
        return f"{self.record_id} {self.kind} {self.requirement} ({self.status})"
