"""Admin for micro-programs: the term calendar, registrations, applications with their steps, certificates."""

from django.contrib import admin

from menkan.web.programs.models import Application, Event, IssuedCertificate, ProgramTerm, RegistrationException


@admin.register(ProgramTerm)
class ProgramTermAdmin(admin.ModelAdmin):
    list_display = (
        "institution",
        "term",
        "semester_starts",
        "add_drop_ends",
        "registration_opens",
        "registration_closes",
    )
    list_filter = ("institution",)


@admin.register(RegistrationException)
class RegistrationExceptionAdmin(admin.ModelAdmin):
    list_display = ("student", "program", "reason", "granted_by", "granted_at", "used_term")
    list_filter = ("program",)
    search_fields = ("student__student_id",)


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    readonly_fields = ("step", "action", "actor", "at", "reason")
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the review pages (one decision per step, under a row lock)."""

    list_display = ("student", "program", "term", "state", "step", "submitted_at")
    list_filter = ("state", "step", "program")
    search_fields = ("student__student_id",)
    readonly_fields = ("student", "program", "term", "state", "step", "audit", "submitted_at", "updated_at")
    inlines = [EventInline]


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(admin.ModelAdmin):
    list_display = ("program_name", "student_name", "issued_on", "application")
    readonly_fields = ("application", "code", "student_name", "program_name", "program_name_en", "issued_on")
