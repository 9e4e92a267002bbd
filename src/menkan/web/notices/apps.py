"""App configuration for the notices app (what it holds: see its models and services)."""

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "menkan.web.notices"
    label = "notices"
    verbose_name = "Notices"

    def ready(self) -> None:
        from menkan.web.notices import tasks  # noqa: F401  (registered, so that dispatch.task_delay finds them by name)
