"""Users and role assignments: who may see and do what, scoped to an institution and a unit of it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in. New accounts must choose their own password at first login."""

    must_change_password = models.BooleanField(default=True)


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    MENTOR = "mentor", _("Mentor")
    DEPARTMENT_OFFICER = "department-officer", _("Department officer")
    DEPARTMENT_HEAD = "department-head", _("Department head")
    PROGRAM_CONTACT = "program-contact", _("Program contact")
    PROGRAM_HEAD = "program-head", _("Program head")
    UNIT_STAFF = "unit-staff", _("Unit staff")
    REGISTRAR = "registrar", _("Registrar")


class RoleAssignment(models.Model):
    """One role a user holds, and its scope: an institution, and for some roles a department, class,
    unit (an office of the policy's workflow settings) or program."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    institution = models.ForeignKey("records.Institution", on_delete=models.CASCADE, related_name="role_assignments")
    department = models.ForeignKey("records.Department", null=True, blank=True, on_delete=models.CASCADE)
    school_class = models.ForeignKey("records.SchoolClass", null=True, blank=True, on_delete=models.CASCADE)
    unit = models.CharField(max_length=64, blank=True)
    program = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "institution", "department", "school_class", "unit", "program"],
                name="unique_role_assignment",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        scope = self.department or self.school_class or self.unit or self.program or self.institution
        return f"{self.user} {self.role} @ {scope}"


class ApiToken(models.Model):
    """A bearer token for integrations, acting as its user. Only the SHA-256 of the token is kept: the token
    itself is shown once, when it is created, and cannot be recovered (a lost token is revoked and replaced)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.name}{' (revoked)' if self.revoked else ''}"


def institution_model() -> Any:
    """records.Institution, reached through RoleAssignment's relation: accounts sits below records and does not
    import it (its type is imported for the checker only)."""
    return RoleAssignment._meta.get_field("institution").related_model
