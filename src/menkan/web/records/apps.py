"""App configuration for records."""

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "menkan.web.records"
    label = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from menkan.web.records import signals  # noqa: F401  (re-audit on change)
