"""Story.objects.live() is the one definition of a public story."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from news.models import Story
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


def test_live_holds_published_stories_whose_time_has_come():
    live = StoryFactory()
    StoryFactory(draft=True)
    StoryFactory(scheduled=True)
    assert list(Story.objects.live()) == [live]


def test_a_scheduled_story_goes_live_at_its_published_time():
    story = StoryFactory(scheduled=True)
    assert not story.is_live
    later = story.published_at + timedelta(seconds=1)
    assert list(Story.objects.live(now=later)) == [story]


def test_a_draft_is_not_live_even_with_a_past_publication_time():
    story = StoryFactory(
        status=Story.Status.DRAFT, published_at=timezone.now() - timedelta(days=1)
    )
    assert not story.is_live
    assert not Story.objects.live().exists()


def test_a_published_story_needs_a_publication_time():
    story = StoryFactory.build(published_at=None)
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert "published_at" in error.value.message_dict


def test_stories_list_newest_first():
    older = StoryFactory(published_at=timezone.now() - timedelta(days=2))
    newer = StoryFactory(published_at=timezone.now() - timedelta(days=1))
    assert list(Story.objects.live()) == [newer, older]
