"""Admin for audits: policy versions, results, and batch runs with their progress; a re-audit action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from menkan.web.audits.models import AuditResult, BatchRun, PolicyVersion
from menkan.web.audits.services import batch_audit_start
from menkan.web.records.models import Institution


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("institution", "version", "is_current", "published_at", "published_by", "note")
    list_filter = ("institution", "is_current")
    readonly_fields = ("institution", "version", "checksum", "files", "published_at", "published_by")


@admin.register(AuditResult)
class AuditResultAdmin(admin.ModelAdmin):
    list_display = ("student", "status", "as_of", "policy_version", "computed_at")
    list_filter = ("status", "policy_version__institution")
    search_fields = ("student__student_id",)
    readonly_fields = ("student", "policy_version", "as_of", "status", "document", "computed_at")


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "institution",
        "state",
        "progress_bar",
        "done",
        "failed",
        "total",
        "started_at",
        "finished_at",
    )
    readonly_fields = ("institution", "state", "total", "done", "failed", "errors", "started_by", "started_at")

    @admin.display(description="progress")
    def progress_bar(self, run: BatchRun) -> str:
        percent = int(run.progress * 100)
        return format_html('<progress max="100" value="{}" title="{}%"></progress> {}%', percent, percent, percent)


class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    actions = ["reaudit"]

    @admin.action(description="Re-audit every student of the selected institutions")
    def reaudit(self, request: HttpRequest, queryset: QuerySet[Institution]) -> None:
        for institution in queryset:
            run = batch_audit_start(institution=institution, user=request.user)
            self.message_user(
                request,
                f"{institution.code}: batch {run.pk} {run.state}, {run.done}/{run.total} audited "
                "(progress under Audits › Batch runs)",
                messages.SUCCESS,
            )


admin.site.unregister(Institution)
admin.site.register(Institution, InstitutionAdmin)
