"""Admin of study plans: read-only, for support (plans are edited on the student's plan page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from menkan.web.plans.models import StudyPlan, StudyPlanTerm


class TermInline(admin.TabularInline):
    model = StudyPlanTerm
    extra = 0
    fields = ("term", "position")
    readonly_fields = fields


@admin.register(StudyPlan)
class StudyPlanAdmin(admin.ModelAdmin):
    list_display = ("student", "updated_by", "updated_at")
    readonly_fields = ("student", "updated_by", "updated_at")
    inlines = [TermInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
