"""Admin for audits: policy versions, results, and batch runs with their progress; re-audit actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from menkan.web.audits.models import AuditResult, BatchRun, PolicyVersion
from menkan.web.audits.services import batch_audit_start
from menkan.web.records.api import Institution


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


def _started_message(run: BatchRun, scope: str) -> str:
    if run.state == BatchRun.State.DONE:
        unchanged = f", {run.skipped} unchanged" if run.skipped else ""
        return f"Batch {run.pk} ({scope}) done: {run.audited} audited{unchanged}, {run.failed} failed of {run.total}."
    return f"Batch {run.pk} ({scope}) started for {run.total} students; its progress is shown under Batch runs."


@admin.register(BatchRun)
class BatchRunAdmin(admin.ModelAdmin):
    """Batch runs with a progress bar; the list refreshes itself while a run is going, and a button
    re-audits the whole student body."""

    list_display = ("pk", "institution", "state", "progress_bar", "rate", "started_by", "started_at", "finished_at")
    list_filter = ("state", "institution")
    readonly_fields = (
        "institution",
        "state",
        "progress_bar",
        "total",
        "done",
        "skipped",
        "failed",
        "full",
        "errors",
        "started_by",
        "started_at",
        "finished_at",
    )
    change_list_template = "admin/audits/batchrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started by the re-audit button or action, not typed in

    @admin.display(description="progress")
    def progress_bar(self, run: BatchRun) -> str:
        percent = int(run.progress * 100)
        failed = format_html(', <strong class="errornote">{} failed</strong>', run.failed) if run.failed else ""
        return format_html(
            '<progress max="100" value="{}" title="{}%"></progress> {}% ({}/{}{})',
            percent,
            percent,
            percent,
            run.done + run.failed,
            run.total,
            failed,
        )

    @admin.display(description="students/s")
    def rate(self, run: BatchRun) -> str:
        end = run.finished_at or timezone.now()
        seconds = (end - run.started_at).total_seconds()
        counted = run.done + run.failed
        return f"{counted / seconds:,.0f}" if counted and seconds > 0 else "–"

    def get_urls(self) -> list[URLPattern]:
        reaudit = path("reaudit/", self.admin_site.admin_view(self.reaudit_view), name="audits_batchrun_reaudit")
        return [reaudit, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {
            "batch_running": BatchRun.objects.filter(state=BatchRun.State.RUNNING).exists(),
            "can_reaudit": request.user.has_perm("audits.add_batchrun"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    @method_decorator(require_POST)
    def reaudit_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("audits.add_batchrun"):
            raise PermissionDenied
        run = batch_audit_start(user=request.user, full=True)  # the admin's buttons say "every student"
        self.message_user(request, _started_message(run, "every student"), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:audits_batchrun_changelist"))


class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    actions = ["reaudit"]

    @admin.action(description="Re-audit every student of the selected institutions", permissions=["reaudit"])
    def reaudit(self, request: HttpRequest, queryset: QuerySet[Institution]) -> None:
        for institution in queryset:
            run = batch_audit_start(institution=institution, user=request.user, full=True)
            self.message_user(request, _started_message(run, institution.code), messages.SUCCESS)

    def has_reaudit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("audits.add_batchrun")


admin.site.unregister(Institution)
admin.site.register(Institution, InstitutionAdmin)
