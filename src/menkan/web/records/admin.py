"""Admin for records (history of every change is kept by django-simple-history)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from menkan.web.records.models import (
    Activity,
    Certificate,
    College,
    CourseRecord,
    Department,
    Institution,
    RecordException,
    SchoolClass,
    Student,
)


class CourseInline(admin.TabularInline):
    model = CourseRecord
    extra = 0


@admin.register(Student)
class StudentAdmin(SimpleHistoryAdmin):
    list_display = ("student_id", "name", "institution", "department", "school_class", "admission_term")
    list_filter = ("institution", "department")
    search_fields = ("student_id", "name")
    inlines = [CourseInline]


@admin.register(CourseRecord)
class CourseRecordAdmin(SimpleHistoryAdmin):
    list_display = ("student", "code", "title", "credits", "term", "grade", "category")
    search_fields = ("student__student_id", "code", "title")


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("student", "item", "title", "hours", "term", "unit")


@admin.register(Certificate)
class CertificateAdmin(SimpleHistoryAdmin):
    list_display = ("student", "code", "title", "term")


@admin.register(RecordException)
class RecordExceptionAdmin(SimpleHistoryAdmin):
    """Read-only: exceptions are proposed and decided in the portal (services check who may), never edited here."""

    list_display = ("student", "kind", "requirement", "course", "status", "decided_by", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("student__student_id", "requirement", "course")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


admin.site.register([Institution, College, Department, SchoolClass])
