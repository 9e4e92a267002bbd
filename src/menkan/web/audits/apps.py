"""App configuration for audits."""

from typing import Any

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "menkan.web.audits"
    label = "audits"
    verbose_name = "Audits"

    def ready(self) -> None:
        """Records does not import audits: it reads the current policy and announces changes through its hooks,
        which audits answers here. The tasks are imported so that `dispatch.task_delay` finds them by name."""
        from menkan.engine import Runtime
        from menkan.web.audits import tasks  # noqa: F401
        from menkan.web.audits.selectors import audit_document
        from menkan.web.audits.services import (
            audit_refresh_if_stale,
            audit_schedule,
            policy_current,
            policy_set_current_of,
            runtime_of,
        )
        from menkan.web.records.api import (
            Institution,
            Student,
            audit_source_set,
            policy_source_set,
            runtime_source_set,
            student_records_changed,
        )

        def _records_changed(student_pk: int, **_: Any) -> None:
            audit_schedule(student_pk)

        def _fresh_audit(student: Student) -> dict[str, Any] | None:
            audit_refresh_if_stale(student)
            return audit_document(student)

        def _runtime_current(institution: Institution) -> Runtime | None:
            version = policy_current(institution)
            return runtime_of(version) if version is not None else None

        policy_source_set(policy_set_current_of)
        runtime_source_set(_runtime_current)
        audit_source_set(_fresh_audit)
        student_records_changed.connect(_records_changed, weak=False, dispatch_uid="audits.records_changed")
