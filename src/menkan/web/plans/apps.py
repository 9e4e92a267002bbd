"""App configuration for plans (what it holds: see its models, selectors and services)."""

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "menkan.web.plans"
    label = "plans"
    verbose_name = "Study plans"

    def ready(self) -> None:
        from menkan.web.plans.selectors import student_page_link
        from menkan.web.records.api import student_link_add

        student_link_add(student_page_link)
