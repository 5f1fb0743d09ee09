"""Questions can be "in review"; publishing and settling are permissions of their own.

On SQLite the new status constraint means rebuilding forecasts_question, which drops the
triggers that 0002 put on it there: they are made again afterwards (both ways).
"""

import importlib

from django.db import migrations, models

import config.postgres

RULES = importlib.import_module("forecasts.migrations.0002_database_rules_across_rows")


def sqlite_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in RULES.SQLITE_BACKWARD:
            schema_editor.execute(statement.replace("DROP TRIGGER", "DROP TRIGGER IF EXISTS"))
        for statement in RULES.SQLITE_FORWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('forecasts', '0007_mark_demo_questions'),
        ('news', '0006_story_in_review_and_publish_permission'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again),
        migrations.AlterModelOptions(
            name='question',
            options={'ordering': ['closes_at', 'id'], 'permissions': [('publish_question', 'Can publish questions and approve them in review'), ('resolve_question', 'Can close, resolve and annul questions')]},
        ),
        config.postgres.PostgresIndexesAside(
            migrations.RemoveConstraint(
                model_name='question',
                name='question_status_valid',
            )
        ),
        migrations.AlterField(
            model_name='question',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('resolved', 'Resolved'), ('annulled', 'Annulled')], default='draft', max_length=10),
        ),
        config.postgres.PostgresIndexesAside(
            migrations.AddConstraint(
                model_name='question',
                constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'in_review', 'published', 'resolved', 'annulled'])), name='question_status_valid'),
            )
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop),
    ]
