"""Student.revision, kept by database triggers: one more whenever anything of the student's engine document changes.

What `records.codec.engine_inputs` reads into a student's document, and so what bumps it:
- the student row's own fields (not `user`, nor `revision` itself: a value saved from a stale instance is put back);
- course, activity and certificate rows (insert, update of any field, delete);
- record exceptions that are or were approved (a proposal or a rejection is not in the document);
- the code of the student's department, class and institution, and the name of an approved exception's decider.
Triggers, not signals: QuerySet.update(), bulk_create, COPY and raw SQL imports count as much as a model's save().
PostgreSQL bumps once per statement and student (statement triggers with transition tables); SQLite once per row.

SQLite drops a table's triggers with the table: a later migration that remakes one of these tables there (most
AlterField operations do) must create its triggers again (`tests/web/test_student_revision.py` lists them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations, models

STUDENT = "records_student"
# the Student columns that go into the document (codec.STUDENT_COLUMNS, as columns)
STUDENT_COLUMNS = (
    "student_id",
    "institution_id",
    "department_id",
    "school_class_id",
    "division",
    "degree",
    "admission_term",
    "admitted_into_year",
    "name",
    "flags",
    "standing",
)
# table -> (the columns whose change changes the document, the condition a row must meet to be in it)
RECORDS = {
    "records_courserecord": (
        (
            *("student_id", "code", "title", "credits", "term", "grade", "offered_by", "category", "tags"),
            *("delivery", "transfer", "level"),
        ),
        "",
    ),
    "records_activity": (("student_id", "item", "hours", "term", "title", "unit", "date", "passed"), ""),
    "records_certificate": (("student_id", "code", "title", "term", "level"), ""),
    "records_recordexception": (
        (
            *("student_id", "kind", "requirement", "course", "replaces", "recognised_as", "amount", "credits"),
            *("category", "tags", "title", "term", "reason", "status", "decided_by_id", "decided_at"),
        ),
        "status = 'approved'",
    ),
}
# table whose `code` is in the document -> the Student column that points to it
CODES = {"records_department": "department_id", "records_schoolclass": "school_class_id"}
CODES["records_institution"] = "institution_id"
DECIDER_COLUMNS = ("username", "first_name", "last_name")  # an exception's `approved_by`


def _changed(columns: tuple[str, ...], old: str, new: str, distinct: str) -> str:
    return " OR ".join(f"{new}.{column} {distinct} {old}.{column}" for column in columns)


def _user_table(apps: Any) -> str:
    table: str = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    return table


def _decided_students(user: str) -> str:
    return f"SELECT student_id FROM records_recordexception WHERE decided_by_id = {user}.id AND status = 'approved'"


def _sqlite_sql(user_table: str) -> list[str]:
    bump = f"UPDATE {STUDENT} SET revision = revision + 1"
    changed = _changed(STUDENT_COLUMNS, "OLD", "NEW", "IS NOT")
    expected = f"OLD.revision + (NEW.revision > OLD.revision OR {changed})"
    # An AFTER trigger that puts the right value back: SQLite cannot assign NEW. It does not fire itself again
    # (SQLite's recursive_triggers is off, Django leaves it so), and its own write would satisfy it anyway.
    statements = [
        f"CREATE TRIGGER records_revision_student AFTER UPDATE ON {STUDENT} FOR EACH ROW "
        f"WHEN NEW.revision IS NOT {expected} "
        f"BEGIN UPDATE {STUDENT} SET revision = {expected} WHERE id = NEW.id; END"
    ]
    for table, (columns, condition) in RECORDS.items():
        new = f"WHEN NEW.{condition} " if condition else ""
        old = f"WHEN OLD.{condition} " if condition else ""
        either = f" AND (OLD.{condition} OR NEW.{condition})" if condition else ""
        statements += [
            f"CREATE TRIGGER {table}_revision_insert AFTER INSERT ON {table} FOR EACH ROW {new}"
            f"BEGIN {bump} WHERE id = NEW.student_id; END",
            f"CREATE TRIGGER {table}_revision_delete AFTER DELETE ON {table} FOR EACH ROW {old}"
            f"BEGIN {bump} WHERE id = OLD.student_id; END",
            f"CREATE TRIGGER {table}_revision_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({_changed(columns, 'OLD', 'NEW', 'IS NOT')}){either} "
            f"BEGIN {bump} WHERE id IN (OLD.student_id, NEW.student_id); END",
        ]
    for table, column in CODES.items():
        statements.append(
            f"CREATE TRIGGER {table}_revision_code AFTER UPDATE OF code ON {table} FOR EACH ROW "
            f"WHEN NEW.code IS NOT OLD.code BEGIN {bump} WHERE {column} = NEW.id; END"
        )
    statements.append(
        f"CREATE TRIGGER records_revision_decider AFTER UPDATE ON {user_table} FOR EACH ROW "
        f"WHEN {_changed(DECIDER_COLUMNS, 'OLD', 'NEW', 'IS NOT')} "
        f"BEGIN {bump} WHERE id IN ({_decided_students('NEW')}); END"
    )
    return statements


def _sqlite_reverse(user_table: str) -> list[str]:
    names = ["records_revision_student", "records_revision_decider"]
    names += [f"{table}_revision_{event}" for table in RECORDS for event in ("insert", "delete", "update")]
    names += [f"{table}_revision_code" for table in CODES]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def _row(columns: tuple[str, ...], alias: str) -> str:
    return "ROW(" + ", ".join(f"{alias}.{column}" for column in columns) + ")"


def _postgresql_sql(user_table: str) -> list[str]:
    bump = f"UPDATE {STUDENT} SET revision = revision + 1"
    statements = [
        # BEFORE: the row is written with the right value (no second write, nothing to recurse)
        "CREATE FUNCTION records_revision_student() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.revision > OLD.revision OR {_row(STUDENT_COLUMNS, 'NEW')} IS DISTINCT FROM "
        f"{_row(STUDENT_COLUMNS, 'OLD')} THEN NEW.revision := OLD.revision + 1; "
        "ELSE NEW.revision := OLD.revision; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER records_revision_student BEFORE UPDATE ON {STUDENT} FOR EACH ROW "
        "EXECUTE FUNCTION records_revision_student()",
        # the code of a department, class or institution: its students (the column is the trigger's argument)
        "CREATE FUNCTION records_revision_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"EXECUTE format('{bump} WHERE %I = $1', TG_ARGV[0]) USING NEW.id; RETURN NULL; END $$",
        "CREATE FUNCTION records_revision_decider() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{bump} WHERE id IN ({_decided_students('NEW')}); RETURN NULL; END $$",
        f"CREATE TRIGGER records_revision_decider AFTER UPDATE ON {user_table} FOR EACH ROW "
        f"WHEN ({_row(DECIDER_COLUMNS, 'OLD')} IS DISTINCT FROM {_row(DECIDER_COLUMNS, 'NEW')}) "
        "EXECUTE FUNCTION records_revision_decider()",
    ]
    for table, column in CODES.items():
        statements.append(
            f"CREATE TRIGGER {table}_revision_code AFTER UPDATE OF code ON {table} FOR EACH ROW "
            f"WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION records_revision_code('{column}')"
        )
    for table, (columns, condition) in RECORDS.items():
        where = f" WHERE {condition}" if condition else ""
        either = f" AND (o.{condition} OR n.{condition})" if condition else ""
        function = f"{table}_revision"
        statements += [
            # once per statement: a bulk insert or update of many rows bumps each of their students once
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {bump} WHERE id IN (SELECT student_id FROM new_rows{where}); "
            f"ELSIF TG_OP = 'DELETE' THEN {bump} WHERE id IN (SELECT student_id FROM old_rows{where}); "
            f"ELSE {bump} WHERE id IN (SELECT unnest(ARRAY[o.student_id, n.student_id]) "
            "FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"WHERE {_row(columns, 'o')} IS DISTINCT FROM {_row(columns, 'n')}{either}); "
            "END IF; RETURN NULL; END $$",
            f"CREATE TRIGGER {table}_revision_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_revision_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_revision_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


def _postgresql_reverse(user_table: str) -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS records_revision_student ON {STUDENT}",
        f"DROP TRIGGER IF EXISTS records_revision_decider ON {user_table}",
    ]
    statements += [f"DROP TRIGGER IF EXISTS {table}_revision_code ON {table}" for table in CODES]
    for table in RECORDS:
        statements += [f"DROP TRIGGER IF EXISTS {table}_revision_{event} ON {table}" for event in ("insert", "delete")]
        statements += [f"DROP TRIGGER IF EXISTS {table}_revision_update ON {table}"]
        statements.append(f"DROP FUNCTION IF EXISTS {table}_revision()")
    for function in ("records_revision_student", "records_revision_code", "records_revision_decider"):
        statements.append(f"DROP FUNCTION IF EXISTS {function}()")
    return statements


_SQL = {"sqlite": (_sqlite_sql, _sqlite_reverse), "postgresql": (_postgresql_sql, _postgresql_reverse)}


def _run(apps: Any, schema_editor: Any, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in _SQL:  # pragma: no cover - menkan runs on SQLite and PostgreSQL
        raise RuntimeError(
            f"menkan runs on SQLite and PostgreSQL, not {vendor}: Student.revision needs database triggers, "
            "which this migration writes for those two only"
        )
    for statement in _SQL[vendor][index](_user_table(apps)):
        schema_editor.execute(statement, params=None)


def triggers_create(apps: Any, schema_editor: Any) -> None:
    _run(apps, schema_editor, 0)


def triggers_drop(apps: Any, schema_editor: Any) -> None:
    _run(apps, schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_record_exceptions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="student",
            name="revision",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(triggers_create, triggers_drop, elidable=False),
    ]
