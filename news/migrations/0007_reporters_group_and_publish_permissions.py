"""The Reporters group, and the Editors group with the new publish and resolve
permissions: both exactly as config.roles lists them."""

from django.db import migrations

from config.roles import REPORTERS_GROUP, sync_groups


def remove_reporters(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REPORTERS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0006_story_in_review_and_publish_permission"),
        ("forecasts", "0008_question_in_review_and_publish_resolve_permissions"),
    ]

    operations = [migrations.RunPython(sync_groups, remove_reporters)]
