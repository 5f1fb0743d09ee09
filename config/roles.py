"""Editorial roles: what reporters and editors may do, in one place.

- **Reporters** write stories and questions and submit them for review; they cannot
  publish, unpublish, change what readers already see, or close, resolve or annul.
- **Editors** do all that reporters do, and publish (approving what is in review, or
  sending it back with a comment), correct live stories, and settle questions.

"Change" and "publish" are separate permissions (`publish_story`, `publish_question`,
`resolve_question`, declared on the models); config.workflow decides with them. The
migrations that create the groups and `manage.py create_editor --role` both read this.
"""

from django.contrib.auth.management import create_permissions
from django.db.models import Q

EDITORS_GROUP = "Editors"
REPORTERS_GROUP = "Reporters"

# (app_label, model): actions. Readers' forecasts and user accounts are nobody's here.
REPORTER_PERMISSIONS = {
    ("news", "story"): ("add", "change", "view"),
    ("news", "topic"): ("view",),
    ("news", "correction"): ("view",),
    ("forecasts", "question"): ("add", "change", "view"),
    ("forecasts", "option"): ("add", "change", "delete", "view"),
    ("forecasts", "storyquestion"): ("add", "change", "delete", "view"),
}

EDITOR_PERMISSIONS = {
    ("news", "story"): ("add", "change", "delete", "view", "publish"),
    ("news", "topic"): ("add", "change", "view"),
    ("news", "correction"): ("add", "view"),
    ("forecasts", "question"): ("add", "change", "delete", "view", "publish", "resolve"),
    ("forecasts", "option"): ("add", "change", "delete", "view"),
    ("forecasts", "storyquestion"): ("add", "change", "delete", "view"),
    # Moderating readers' reasons: hide or show one (the forecast itself stays theirs).
    ("forecasts", "rationale"): ("change", "view"),
}

# `create_editor --role`: the group each role is.
ROLES = {"editor": EDITORS_GROUP, "reporter": REPORTERS_GROUP}
GROUP_PERMISSIONS = {EDITORS_GROUP: EDITOR_PERMISSIONS, REPORTERS_GROUP: REPORTER_PERMISSIONS}


def permission_codenames(permissions):
    return [
        (app_label, f"{action}_{model}")
        for (app_label, model), actions in permissions.items()
        for action in actions
    ]


def editor_permission_codenames():
    return permission_codenames(EDITOR_PERMISSIONS)


def reporter_permission_codenames():
    return permission_codenames(REPORTER_PERMISSIONS)


def ensure_group(name, group_model, permission_model):
    """Create or reset the group `name` to exactly its permissions; takes the models so a
    migration can pass its historical ones."""
    wanted = Q(pk__in=[])
    for app_label, codename in permission_codenames(GROUP_PERMISSIONS[name]):
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group, _ = group_model.objects.get_or_create(name=name)
    group.permissions.set(permission_model.objects.filter(wanted))
    return group


def ensure_editors_group(group_model, permission_model):
    return ensure_group(EDITORS_GROUP, group_model, permission_model)


def ensure_reporters_group(group_model, permission_model):
    return ensure_group(REPORTERS_GROUP, group_model, permission_model)


def sync_groups(apps, schema_editor=None):
    """Both groups as listed here: a migration's RunPython, after the migrations that
    add the models and permissions the lists name."""
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    for name in GROUP_PERMISSIONS:
        ensure_group(name, group, permission)
