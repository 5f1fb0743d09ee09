"""Editorial roles: what the "Editors" group may do, in one place.

The migration that creates the group and `manage.py create_editor` both read this.
"""

from django.db.models import Q

EDITORS_GROUP = "Editors"

# (app_label, model): actions. Editors write stories, topics, questions, options and the
# links between them; readers' forecasts and user accounts are not theirs to touch.
EDITOR_PERMISSIONS = {
    ("news", "story"): ("add", "change", "delete", "view"),
    ("news", "topic"): ("add", "change", "view"),
    ("forecasts", "question"): ("add", "change", "delete", "view"),
    ("forecasts", "option"): ("add", "change", "delete", "view"),
    ("forecasts", "storyquestion"): ("add", "change", "delete", "view"),
}


def editor_permission_codenames():
    return [
        (app_label, f"{action}_{model}")
        for (app_label, model), actions in EDITOR_PERMISSIONS.items()
        for action in actions
    ]


def ensure_editors_group(group_model, permission_model):
    """Create or reset the Editors group; takes the models so a migration can pass its
    historical ones."""
    wanted = Q()
    for app_label, codename in editor_permission_codenames():
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group, _ = group_model.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.set(permission_model.objects.filter(wanted))
    return group
