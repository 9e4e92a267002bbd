"""Users and role assignments: who may see and do what, scoped to an institution and a unit of it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in. New accounts must choose their own password at first login."""

    must_change_password = models.BooleanField(default=True)


class Role(models.TextChoices):
    STUDENT = "student", _("學生")
    MENTOR = "mentor", _("導師")
    DEPARTMENT_OFFICER = "department-officer", _("系所承辦人")
    DEPARTMENT_HEAD = "department-head", _("系所主管")
    PROGRAM_CONTACT = "program-contact", _("學程聯絡人")
    PROGRAM_HEAD = "program-head", _("學程負責人")
    UNIT_STAFF = "unit-staff", _("單位承辦人")
    REGISTRAR = "registrar", _("註冊組")


class RoleAssignment(models.Model):
    """One role a user holds, and its scope: an institution, and for some roles a department, class,
    unit (教務處, 圖書館, …) or program."""

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
