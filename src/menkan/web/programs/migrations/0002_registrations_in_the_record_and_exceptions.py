"""Registrations live in the student's record only (`standing["programs"]`, which imports write too): rows the
record does not hold yet are copied into it, then the table goes. Exceptions allowing late registrations."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def registrations_into_records(apps, schema_editor):  # type: ignore[no-untyped-def]
    Registration = apps.get_model("programs", "Registration")
    Student = apps.get_model("records", "Student")
    for student in Student.objects.filter(pk__in=Registration.objects.values("student_id")):
        standing = dict(student.standing or {})
        entries = list(standing.get("programs", []))
        held = {(e.get("program"), e.get("registered_term")) for e in entries}
        for row in Registration.objects.filter(student=student).order_by("registered_at", "pk"):
            if (row.program, row.registered_term) in held:
                continue
            entry = {"program": row.program, "registered_term": row.registered_term}
            if row.withdrawn_term:
                entry["withdrawn_term"] = row.withdrawn_term
            entries.append(entry)
        if entries != standing.get("programs", []):
            standing["programs"] = entries
            student.standing = standing
            student.save(update_fields=["standing"])


class Migration(migrations.Migration):

    dependencies = [
        ('programs', '0001_initial'),
        ('records', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(registrations_into_records, migrations.RunPython.noop),
        migrations.CreateModel(
            name='HistoricalRegistrationException',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('program', models.CharField(max_length=32)),
                ('reason', models.TextField()),
                ('granted_at', models.DateTimeField(blank=True, editable=False)),
                ('used_term', models.CharField(blank=True, help_text='the term of the registration it allowed', max_length=8)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('granted_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.student')),
            ],
            options={
                'verbose_name': 'historical registration exception',
                'verbose_name_plural': 'historical registration exceptions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='RegistrationException',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('program', models.CharField(max_length=32)),
                ('reason', models.TextField()),
                ('granted_at', models.DateTimeField(auto_now_add=True)),
                ('used_term', models.CharField(blank=True, help_text='the term of the registration it allowed', max_length=8)),
                ('granted_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='program_exceptions', to='records.student')),
            ],
            options={
                'ordering': ['-granted_at', '-pk'],
            },
        ),
        migrations.DeleteModel(
            name='HistoricalRegistration',
        ),
        migrations.DeleteModel(
            name='Registration',
        ),
    ]
