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


admin.site.register([Institution, College, Department, SchoolClass])
