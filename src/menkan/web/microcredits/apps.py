"""App configuration for the microcredits app (what it holds: see its models and services)."""

from django.apps import AppConfig


class MicrocreditsConfig(AppConfig):
    name = "menkan.web.microcredits"
    label = "microcredits"
    verbose_name = "Micro-credits"
