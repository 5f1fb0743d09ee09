"""Who sees drafts: editors (whoever may view or change them in the admin) on the API and
in previews; everyone else sees live stories and published questions only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forecasts.models import Question
from news.models import Story
from tests.client_helpers import api_client
from tests.factories import QuestionFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_with(*codenames, staff=False):
    user = UserFactory(is_staff=staff)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize(
    ("codenames", "sees_drafts"),
    [
        ((), False),
        (("view_story", "view_question"), True),
        (("change_story", "change_question"), True),
        (("add_story", "add_question"), False),
    ],
)
def test_drafts_are_visible_to_those_who_may_view_or_change_them(codenames, sees_drafts):
    user = user_with(*codenames)
    live, draft = StoryFactory(), StoryFactory(draft=True)
    published = QuestionFactory()
    unpublished = QuestionFactory(status=Question.Status.DRAFT)
    stories = set(Story.objects.visible_to(user))
    questions = set(Question.objects.visible_to(user))
    assert stories == ({live, draft} if sees_drafts else {live})
    assert questions == ({published, unpublished} if sees_drafts else {published})


def test_a_change_only_editor_can_edit_a_draft_question_through_the_api():
    draft = QuestionFactory(status=Question.Status.DRAFT, title="Draft?")
    client = api_client(user_with("change_question"))
    answer = client.patch(f"/api/v1/questions/{draft.slug}/", {"title": "Still draft?"},
                          format="json")  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert Question.objects.get(pk=draft.pk).title == "Still draft?"


def test_a_reader_cannot_find_a_draft_story_through_the_api_or_the_preview(client):
    draft = StoryFactory(draft=True)
    reader = UserFactory(is_staff=True)
    assert api_client(reader).get(f"/api/v1/stories/{draft.slug}/").status_code == 404
    client.force_login(reader)
    assert client.get(reverse("news:story_preview", args=[draft.slug])).status_code == 403
