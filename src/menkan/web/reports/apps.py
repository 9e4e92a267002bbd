"""App configuration for the reports app (what it holds: see its models and services)."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "menkan.web.reports"
    label = "reports"
    verbose_name = "Reports"
