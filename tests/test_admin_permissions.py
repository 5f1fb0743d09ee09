"""Who may do what in the admin: anonymous, staff outside the Editors group, editors."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.roles import EDITORS_GROUP, editor_permission_codenames
from tests.factories import EditorFactory, QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db

EDITOR_PAGES = [
    reverse("admin:news_story_changelist"),
    reverse("admin:news_story_add"),
    reverse("admin:news_topic_changelist"),
    reverse("admin:forecasts_question_changelist"),
    reverse("admin:forecasts_question_add"),
    reverse("admin:forecasts_question_import"),
]


@pytest.mark.parametrize("url", [*EDITOR_PAGES, reverse("admin:index")])
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_staff_outside_the_editors_group_cannot_open_editor_pages(client, url):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_staff_outside_the_group_see_nothing_on_the_admin_index(client):
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert "You don’t have permission to view or edit anything." in page


def test_staff_outside_the_group_cannot_resolve_or_preview(client):
    question, story = QuestionFactory(), StoryFactory(draft=True)
    client.force_login(UserFactory(is_staff=True))
    resolve = reverse("admin:forecasts_question_resolve", args=[question.pk])
    assert client.get(resolve).status_code == 403
    assert client.get(reverse("news:story_preview", args=[story.slug])).status_code == 403


def test_readers_who_are_not_staff_cannot_use_the_admin(client):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:news_story_changelist")).status_code == 302


@pytest.mark.parametrize("url", [*EDITOR_PAGES, reverse("admin:index")])
def test_editors_open_every_editor_page(client, url):
    client.force_login(EditorFactory())
    assert client.get(url).status_code == 200


def test_editors_see_stories_and_questions_but_not_users(client):
    client.force_login(EditorFactory())
    page = client.get(reverse("admin:index")).content.decode()
    assert "Stories" in page
    assert "Questions" in page
    assert "Forecast questions" in page
    assert reverse("admin:auth_user_changelist") not in page
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_the_migration_gives_editors_exactly_the_editorial_permissions():
    group = Group.objects.get(name=EDITORS_GROUP)  # as the migration left it
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert codenames == set(editor_permission_codenames())
    assert len(codenames) == 26  # add, change, delete, view; publish, resolve; corrections;
    # and moderating readers' reasons (change and view, never their forecasts)
    assert ("news", "delete_topic") not in codenames
    assert not any(app == "auth" for app, _ in codenames)
    assert not any(name.endswith("forecast") for _, name in codenames)


def test_create_editor_makes_a_staff_user_in_the_group(monkeypatch):
    monkeypatch.setenv("EDITOR_PASSWORD", "a-long-newsroom-passphrase")
    call_command("create_editor", "amira", "--email", "amira@example.com", "--no-input",
                 stdout=open("/dev/null", "w"))  # fmt: skip  # noqa: SIM115
    from django.contrib.auth import get_user_model

    amira = get_user_model().objects.get(username="amira")
    assert amira.is_staff
    assert not amira.is_superuser
    assert amira.check_password("a-long-newsroom-passphrase")
    assert amira.groups.filter(name=EDITORS_GROUP).exists()
    assert amira.has_perm("news.change_story")


def test_create_editor_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("EDITOR_PASSWORD", "1234")
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_editor", "weak", "--no-input")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="weak").exists()
