"""Admin for accounts and role assignments."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from menkan.web.accounts.models import RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0


@admin.register(User)
class MenkanUserAdmin(UserAdmin):
    inlines = [RoleInline]
    list_display = ("username", "first_name", "email", "is_staff", "must_change_password")
    fieldsets = (*UserAdmin.fieldsets, ("menkan", {"fields": ("must_change_password",)}))  # type: ignore[misc]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "institution", "department", "school_class", "unit", "program")
    list_filter = ("role", "institution")
