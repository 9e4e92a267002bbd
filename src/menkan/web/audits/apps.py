"""App configuration for audits."""

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "menkan.web.audits"
    label = "audits"
    verbose_name = "Audits"
