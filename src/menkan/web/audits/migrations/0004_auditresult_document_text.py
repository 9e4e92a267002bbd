"""AuditResult.document kept as compact JSON text on PostgreSQL (`text`, was `jsonb`); nothing changes on SQLite.

The documents already stored are converted by the server (`jsonb` printed as text: the same JSON values,
in jsonb's spacing and key order); every audit stored afterwards is the store's own compact text."""

from django.db import migrations

import menkan.web.audits.fields


def _alter(type_: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'ALTER TABLE "audits_auditresult" ALTER COLUMN "document" TYPE {type_} USING "document"::{type_}'
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0003_batch_incremental"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditresult",
                    name="document",
                    field=menkan.web.audits.fields.DocumentField(),
                ),
            ],
            database_operations=[migrations.RunPython(_alter("text"), _alter("jsonb"))],
        ),
    ]
