"""Admin for fees: add/drop close dates per term, and fee runs with their lines (read only: runs are history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from menkan.web.fees.models import FeeLine, FeeRun, FeeTerm


@admin.register(FeeTerm)
class FeeTermAdmin(admin.ModelAdmin):
    list_display = ("institution", "term", "add_drop_ends", "updated_by", "updated_at")
    list_filter = ("institution",)
    readonly_fields = ("updated_by", "updated_at")


class FeeLineInline(admin.TabularInline):
    model = FeeLine
    fields = ("student_code", "name", "schedule", "amount", "billed_credits", "exempt_credits", "explanation")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(FeeRun)
class FeeRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "institution", "term", "state", "billed_students", "total_amount", "started_by", "started_at")
    list_filter = ("institution", "term", "state")
    readonly_fields = [f.name for f in FeeRun._meta.fields]
    inlines = [FeeLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started from the fee-run page (the add/drop check applies)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
