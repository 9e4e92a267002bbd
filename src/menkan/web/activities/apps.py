"""App configuration for the activities app (what it holds: see its models and services)."""

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "menkan.web.activities"
    label = "activities"
    verbose_name = "Activities"
