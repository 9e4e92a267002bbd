"""App configuration for the certification app (graduation certification: see its models and services)."""

from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "menkan.web.certification"
    label = "certification"
    verbose_name = "Graduation certification"
