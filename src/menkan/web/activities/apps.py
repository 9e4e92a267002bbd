"""App configuration for the activities app (what it holds: see its models and services)."""

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "menkan.web.activities"
    label = "activities"
    verbose_name = "Activities"

    def ready(self) -> None:
        from django.urls import reverse

        from menkan.web.accounts.api import RoleAssignment, WorkflowApp, workflow_app_register
        from menkan.web.activities.selectors import owners_of, self_learning_settings

        def unit_landing(assignment: RoleAssignment) -> str | None:
            """A self-learning owner's staff land on the offerings."""
            offices = {owner.get("office") for owner in owners_of(assignment.institution)}
            return reverse("activities:offering-list") if assignment.unit in offices else None

        workflow_app_register(
            WorkflowApp("activities", lambda institution: self_learning_settings(institution) is not None, unit_landing)
        )
