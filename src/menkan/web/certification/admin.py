"""Admin for graduation certification: read-only (decisions go through the pages, certifications never change)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from menkan.web.certification.models import Candidate, Certification, Decision, Review


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("institution", "term", "status", "opened_by", "opened_at")
    list_filter = ("institution", "status")


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ("at", "step", "action", "actor", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ("student", "review", "source", "step", "updated_at")
    list_filter = ("step", "source")
    search_fields = ("student__student_id",)
    inlines = [DecisionInline]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ("student", "department_code", "audit_status", "policy_version", "certified_by", "certified_at")
    search_fields = ("student__student_id",)
