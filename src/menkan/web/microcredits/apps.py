"""App configuration for the microcredits app (what it holds: see its models and services)."""

from django.apps import AppConfig


class MicrocreditsConfig(AppConfig):
    name = "menkan.web.microcredits"
    label = "microcredits"
    verbose_name = "Micro-credits"

    def ready(self) -> None:
        from django.urls import reverse

        from menkan.web.accounts.api import RoleAssignment, WorkflowApp, workflow_app_register
        from menkan.web.microcredits.selectors import center_unit, micro_settings

        def unit_landing(assignment: RoleAssignment) -> str | None:
            """The micro-credit center's staff land on the offerings."""
            center = center_unit(assignment.institution)
            return reverse("microcredits:offering-list") if assignment.unit == center else None

        workflow_app_register(
            WorkflowApp("microcredits", lambda institution: micro_settings(institution) is not None, unit_landing)
        )
