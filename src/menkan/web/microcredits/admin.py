"""Admin for micro-credits: offerings with their sessions, enrollments, bans, certifications and offsets."""

from __future__ import annotations

from django.contrib import admin

from menkan.web.microcredits.models import Ban, Certification, Enrollment, Offering, OffsetApplication, Session


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ("title", "term", "institution", "area", "hours", "seats", "taken")
    list_filter = ("institution", "term", "area")
    search_fields = ("title",)
    inlines = [SessionInline]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("student", "offering", "result", "work_submitted_at")
    list_filter = ("result", "offering__term")
    search_fields = ("student__student_id", "offering__title")


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ("student", "term", "reason", "lifted_at", "lifted_by")
    list_filter = ("term",)
    search_fields = ("student__student_id",)


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ("student", "term", "status", "imported_term", "reviewed_by")
    list_filter = ("status", "term")
    search_fields = ("student__student_id",)


@admin.register(OffsetApplication)
class OffsetApplicationAdmin(admin.ModelAdmin):
    list_display = ("student", "term", "category", "credits", "status", "reviewed_by")
    list_filter = ("status", "term")
    search_fields = ("student__student_id",)
