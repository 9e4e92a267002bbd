"""App configuration for the programs app (what it holds: see its models and services)."""

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "menkan.web.programs"
    label = "programs"
    verbose_name = "Programs"
