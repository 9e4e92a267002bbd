"""App configuration for the fees app (what it holds: see its models and services)."""

from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "menkan.web.fees"
    label = "fees"
    verbose_name = "Fees"

    def ready(self) -> None:
        from menkan.web.accounts.api import WorkflowApp, workflow_app_register
        from menkan.web.fees import tasks  # noqa: F401  (registered, so that dispatch.task_delay finds them by name)
        from menkan.web.fees.selectors import institution_has_fees

        workflow_app_register(WorkflowApp("fees", institution_has_fees))
