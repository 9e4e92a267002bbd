"""App configuration for the programs app (what it holds: see its models and services)."""

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "menkan.web.programs"
    label = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from menkan.web.accounts.api import WorkflowApp, workflow_app_register
        from menkan.web.programs.calendar import program_term_starts
        from menkan.web.programs.selectors import institution_has_programs
        from menkan.web.records.api import term_starts_source_add

        term_starts_source_add(program_term_starts)  # the registrar's program calendar counts in term_current
        workflow_app_register(WorkflowApp("programs", institution_has_programs))
