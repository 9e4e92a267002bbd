"""App configuration for the fees app (what it holds: see its models and services)."""

from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "menkan.web.fees"
    label = "fees"
    verbose_name = "Fees"
