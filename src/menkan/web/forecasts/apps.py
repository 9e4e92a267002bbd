"""App configuration for the forecasts app (early warning: who can still finish within the study period)."""

from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    name = "menkan.web.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        from menkan.web.accounts.api import WorkflowApp, workflow_app_register
        from menkan.web.forecasts import tasks  # noqa: F401  (registered, so that dispatch.task_delay finds them by name)
        from menkan.web.forecasts.selectors import institution_has_forecasts

        workflow_app_register(WorkflowApp("forecasts", institution_has_forecasts))
