"""Admin for accounts and role assignments."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from menkan.web.accounts.models import ApiToken, RoleAssignment, User


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are shown by name and owner only (the token itself is never stored); they can be revoked."""

    list_display = ("name", "user", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    readonly_fields = ("user", "name", "token_hash", "created_at", "last_used_at")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        queryset.update(revoked=True)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # tokens are created by their owner (POST /api/v1/tokens), which shows the token once
