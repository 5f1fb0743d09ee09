"""Review before publishing, as the model layer holds it (config.workflow, config.roles):
who may move a story or question between draft, in review and published; what readers
see of each; the history every move leaves; the setting that turns review off."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from reversion.models import Version

from config import workflow
from config.roles import (
    EDITORS_GROUP,
    REPORTERS_GROUP,
    editor_permission_codenames,
    reporter_permission_codenames,
)
from forecasts import forecasting
from forecasts.models import Question, StoryQuestion
from news.models import Story
from tests.factories import (
    EditorFactory,
    QuestionFactory,
    ReporterFactory,
    StoryFactory,
    StoryQuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_the_migrations_give_each_role_exactly_its_permissions():
    editors = Group.objects.get(name=EDITORS_GROUP)
    reporters = Group.objects.get(name=REPORTERS_GROUP)
    for group, wanted in [
        (editors, editor_permission_codenames()),
        (reporters, reporter_permission_codenames()),
    ]:
        codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert codenames == set(wanted)
    reporter = {codename for _, codename in reporter_permission_codenames()}
    assert {"publish_story", "publish_question", "resolve_question"}.isdisjoint(reporter)
    assert {"delete_story", "delete_question"}.isdisjoint(reporter)
    editor = {codename for _, codename in editor_permission_codenames()}
    assert {"publish_story", "publish_question", "resolve_question"} <= editor


@pytest.mark.parametrize("model", [Story, Question])
def test_reporters_submit_and_editors_publish(model):
    reporter, editor = ReporterFactory(), EditorFactory()
    item = model(status="draft")
    item.pk = 1  # as stored
    assert workflow.statuses_for(reporter, item) == ["draft", "in_review"]
    assert workflow.statuses_for(editor, item) == ["draft", "in_review", "published"]
    with pytest.raises(PermissionDenied, match="Only an editor can publish"):
        workflow.check_move(reporter, item, "in_review", "published")
    with pytest.raises(PermissionDenied, match="Only an editor can unpublish"):
        workflow.check_move(reporter, item, "published", "draft")
    with pytest.raises(ValidationError, match="Only a draft goes to review"):
        workflow.check_move(editor, item, "published", "in_review")
    workflow.check_move(editor, item, "in_review", "published")


def test_sending_back_needs_a_note_and_withdrawing_does_not():
    reporter, editor = ReporterFactory(), EditorFactory()
    story = StoryFactory(draft=True)
    with pytest.raises(ValidationError) as error:
        workflow.move_comment(editor, story, "in_review", "draft")
    assert error.value.message_dict == {
        "review_note": ["Say what needs changing: the writer sees this note."]
    }
    assert (
        workflow.move_comment(editor, story, "in_review", "draft", "Source the figure.")
        == "Changes requested: Source the figure."
    )
    assert workflow.move_comment(reporter, story, "in_review", "draft") == "Withdrawn from review"
    assert workflow.move_comment(editor, story, "draft", "draft") is None


def test_a_reporter_may_change_drafts_and_submissions_but_not_what_readers_see():
    reporter, editor = ReporterFactory(), EditorFactory()
    draft, in_review = StoryFactory(draft=True), StoryFactory(status="in_review")
    live, annulled = StoryFactory(), QuestionFactory(status="annulled")
    assert workflow.may_edit(reporter, draft)
    assert workflow.may_edit(reporter, in_review)
    assert not workflow.may_edit(reporter, live)
    assert not workflow.may_edit(reporter, QuestionFactory())
    assert not workflow.may_edit(reporter, annulled)
    assert workflow.may_edit(editor, live)
    assert workflow.may_edit(editor, annulled)
    assert not workflow.may_resolve(reporter)
    assert workflow.may_resolve(editor)
    assert not workflow.may_edit(UserFactory(is_staff=True), draft)


def test_each_move_is_a_revision_with_who_and_the_note():
    reporter, editor = ReporterFactory(), EditorFactory()
    story = StoryFactory(draft=True)
    assert workflow.move(story, reporter, "in_review", "Ready for the desk.") == (
        "Submitted for review: Ready for the desk."
    )
    workflow.move(story, editor, "draft", "Attribute the quote.")
    workflow.move(story, reporter, "in_review")
    workflow.move(story, editor, "published")
    story.refresh_from_db()
    assert story.is_live
    history = [
        (version.revision.user, version.revision.comment)
        for version in Version.objects.get_for_object(story).order_by("revision__date_created")
    ]
    assert history == [
        (reporter, "Submitted for review: Ready for the desk."),
        (editor, "Changes requested: Attribute the quote."),
        (reporter, "Submitted for review"),
        (editor, "Approved and published"),
    ]
    assert workflow.latest_move(story).comment == "Approved and published"


def test_a_refused_move_changes_nothing_and_leaves_no_history():
    reporter = ReporterFactory()
    question = QuestionFactory(status="in_review")
    with pytest.raises(PermissionDenied):
        workflow.move(question, reporter, "published")
    question.refresh_from_db()
    assert question.status == "in_review"
    assert not Version.objects.get_for_object(question).exists()


def test_items_in_review_are_hidden_from_readers():
    story = StoryFactory(status="in_review")
    question = QuestionFactory(status="in_review")
    StoryQuestionFactory(story=StoryFactory(), question=question)
    assert not Story.objects.live().filter(pk=story.pk).exists()
    assert story.publication == "In review"
    assert not Question.objects.visible().filter(pk=question.pk).exists()
    assert not StoryQuestion.objects.public().filter(question=question).exists()
    assert question.state() == Question.State.IN_REVIEW
    assert list(Question.objects.in_state("in_review")) == [question]
    with pytest.raises(ValidationError, match="There is no such question"):
        forecasting.record_forecast(
            UserFactory(), question.pk, {str(o.pk): 0.25 for o in question.options.all()}
        )


def test_with_review_off_whoever_may_change_may_publish(settings):
    settings.EDITORIAL_REVIEW = False
    reporter = ReporterFactory()
    story = StoryFactory(draft=True)
    assert workflow.statuses_for(reporter, story) == ["draft", "published"]
    assert workflow.may_edit(reporter, StoryFactory())
    workflow.move(story, reporter, "published")
    assert Story.objects.live().filter(pk=story.pk).exists()
    with pytest.raises(ValidationError, match="Review is turned off"):
        workflow.check_move(reporter, StoryFactory(draft=True), "draft", "in_review")
    assert not workflow.may_resolve(reporter)  # settling questions stays an editor's


def test_create_editor_makes_a_reporter_and_moves_them_between_roles(monkeypatch):
    monkeypatch.setenv("EDITOR_PASSWORD", "a-long-newsroom-passphrase")
    quiet = {"stdout": open("/dev/null", "w")}  # noqa: SIM115
    call_command("create_editor", "rami", "--role", "reporter", "--no-input", **quiet)
    from django.contrib.auth import get_user_model

    rami = get_user_model().objects.get(username="rami")
    assert rami.is_staff
    assert [group.name for group in rami.groups.all()] == [REPORTERS_GROUP]
    assert rami.has_perm("news.change_story")
    assert not rami.has_perm("news.publish_story")
    call_command("create_editor", "rami", "--role", "editor", "--no-input", **quiet)
    rami = get_user_model().objects.get(username="rami")
    assert [group.name for group in rami.groups.all()] == [EDITORS_GROUP]
    assert rami.has_perm("news.publish_story")
