"""Admin for notices: schedules (editable), the log (read-only) and students' notice addresses."""

from __future__ import annotations

from django.contrib import admin

from menkan.web.notices.forms import ScheduleForm
from menkan.web.notices.models import NoticeLog, NoticeSchedule, StudentContact


@admin.register(NoticeSchedule)
class NoticeScheduleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ScheduleForm
    list_display = ("institution", "term", "semester_start", "weeks", "monthly_day", "deadline", "active")
    list_filter = ("institution", "active")
    readonly_fields = ("updated_at", "updated_by")


@admin.register(NoticeLog)
class NoticeLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("notice_key", "recipient", "audience", "email", "status", "attempts", "sent_at", "error")
    list_filter = ("institution", "status", "audience", "notice_key")
    search_fields = ("recipient", "email", "notice_key")
    readonly_fields = [f.name for f in NoticeLog._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False  # the log records what the job did; nobody writes it by hand


@admin.register(StudentContact)
class StudentContactAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("student", "email")
    search_fields = ("student__student_id", "email")
    raw_id_fields = ("student",)
