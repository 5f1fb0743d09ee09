"""`manage.py load_demo`: the captured newsroom file, loaded all or nothing, never over an
editor's changes. The living demo around it: tests/test_living_demo.py."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasts import outcomes
from forecasts.models import Option, Question, StoryQuestion
from news.demo import DEMO_PATH
from news.models import Story, Topic

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def load(*args):
    out = StringIO()
    call_command("load_demo", *map(str, args), stdout=out)
    return out.getvalue()


def load_file(*args):
    """The captured newsroom file alone, as `load_demo PATH` loads it: no living demo."""
    return load(DEMO_PATH, *args)


def everything():
    """Every row the loader writes, as plain values, to compare two states of the site."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Topic, Story, Story.topics.through, Question, Option, StoryQuestion)
    }


def demo_data():
    return json.loads(DEMO_PATH.read_text())


def write_file(tmp_path, data):
    path = tmp_path / "newsroom.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_demo_loads_the_captured_newsroom():
    load()
    assert Topic.objects.count() == 4
    assert Story.objects.live().filter(is_demo=False).count() == 2
    assert Question.objects.filter(is_demo=False).count() == 14
    story = Story.objects.get(slug="syrian-soldiers-cross-into-iraq-at-al-qaim")
    assert story.headline.startswith("2,000 Syrian Soldiers with Full Equipment")
    assert sorted(story.topics.values_list("slug", flat=True)) == [
        "conflict", "iraq", "middle-east", "syria",
    ]  # fmt: skip
    linked = [link.question.slug for link in story.links.select_related("question")]
    assert len(linked) == 14
    assert linked[0] == "syrian-soldiers-reason-for-crossing"
    assert linked[-1] == "first-international-body-statement"


def test_options_keep_the_captured_order():
    load_file()
    featured = Question.objects.get(slug="syrian-soldiers-reason-for-crossing")
    assert [o.label for o in featured.options.all()] == [
        "Fear of militia takeover", "Lack of supplies", "Orders from superiors", "Seeking asylum",
    ]  # fmt: skip
    binary = Question.objects.get(slug="iraq-returns-equipment")
    assert binary.kind == Question.Kind.BINARY
    assert [o.label for o in binary.options.all()] == ["No", "Yes"]


def test_one_question_is_resolved_with_its_own_option():
    load_file()
    resolved = Question.objects.get(status=Question.Status.RESOLVED)
    assert resolved.slug == "al-qaim-soldiers-fate"
    assert resolved.resolved_option.label == "Returned to Syria"
    assert resolved.resolved_option.question == resolved
    assert "1,905" in resolved.resolution_note
    # Resolved as editors resolve (forecasts.outcomes): the community's 25% is scored.
    assert resolved.scores.get(user=None).probabilities == {
        str(option.pk): 0.25 for option in resolved.options.all()
    }
    second = Story.objects.get(slug="iraq-returns-syrian-soldiers-at-al-qaim")
    assert [link.question.slug for link in second.links.all()] == [
        "al-qaim-soldiers-fate", "soldiers-reason-for-returning", "iraq-returns-equipment",
    ]  # fmt: skip


def test_loading_twice_changes_nothing():
    load()
    before = everything()
    with CaptureQueriesContext(connection) as queries:
        output = load()
    assert "nothing changed" in output
    assert everything() == before
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []


def edit_the_demo():
    """What an editor might do: rename an option, unlink a question from both stories."""
    Option.objects.filter(label="Lack of supplies").update(label="Lack of Supplies", position=9)
    StoryQuestion.objects.filter(question__slug="iraq-returns-equipment").delete()


def test_loading_again_leaves_edited_rows_as_the_editor_left_them_and_says_so():
    load_file()
    edit_the_demo()
    before = everything()
    with CaptureQueriesContext(connection) as queries:
        output = load_file()
    assert everything() == before
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert "nothing missing; left 1 edited question and 2 edited stories alone" in output
    assert "load_demo --reset" in output


def test_reset_puts_the_files_version_back():
    load_file()
    edit_the_demo()
    Topic.objects.filter(slug="iraq").update(name="Irak")
    output = load_file("--reset")
    assert "restored 1 edited topic, 1 edited question and 2 edited stories" in output
    featured = Question.objects.get(slug="syrian-soldiers-reason-for-crossing")
    assert [o.label for o in featured.options.all()][1] == "Lack of supplies"
    assert Question.objects.get(slug="iraq-returns-equipment").links.count() == 2
    story = Story.objects.get(slug="syrian-soldiers-cross-into-iraq-at-al-qaim")
    assert [link.question.slug for link in story.links.all()] == demo_data()["stories"][0][
        "questions"
    ]
    assert Topic.objects.get(slug="iraq").name == "Iraq"
    assert "nothing changed" in load_file()


def test_a_deleted_question_is_added_back_where_the_file_links_it():
    load_file()
    Question.objects.filter(slug="iraq-returns-equipment").delete()
    output = load_file()
    assert "created 1 question" in output
    assert "edited" not in output
    second = Story.objects.get(slug="iraq-returns-syrian-soldiers-at-al-qaim")
    assert [link.question.slug for link in second.links.all()] == [
        "al-qaim-soldiers-fate", "soldiers-reason-for-returning", "iraq-returns-equipment",
    ]  # fmt: skip
    assert "nothing changed" in load_file()


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d["questions"][2]["options"].append("returned to syria"),
         'questions[2] "al-qaim-soldiers-fate": "returned to syria" is the same option as '
         '"Returned to Syria"'),
        (lambda d: d["questions"][11].update(options=["Yes", "Maybe"]),
         'questions[11] "iraq-returns-equipment": A yes/no question has exactly the options'),
        (lambda d: d["questions"][0].update(options=["Only one"]),
         'questions[0] "syrian-soldiers-reason-for-crossing": A question needs at least 2'),
        (lambda d: d["questions"][1].update(closes_at="2024-12-01T00:00:00Z"),
         'questions[1] "iraq-stated-reason-on-soldiers": closes_at: The close time must be '
         "after the open time."),
        (lambda d: d["questions"][2]["resolution"].update(option="Vanished"),
         "resolution option 'Vanished' is not one of its options"),
        (lambda d: d["stories"][1]["questions"].append("no-such-question"),
         'stories[1] "iraq-returns-syrian-soldiers-at-al-qaim": questions names '
         "'no-such-question', which the file does not define"),
        (lambda d: d["stories"][0].update(published_at="yesterday"),
         "published_at must be an ISO 8601 time with a zone"),
        (lambda d: d["stories"][0].update(source_url="javascript:alert(1)"),
         "source_url 'javascript:alert(1)' is not an http(s) URL"),
        (lambda d: d["topics"].append({"name": "Syria again", "slug": "syria"}),
         "topics[4] \"syria\": slug 'syria' appears twice"),
        (lambda d: d["questions"][3].pop("title"), "questions[3]"),
        (lambda d: d.pop("stories"), 'the file needs a list "stories"'),
    ],
)  # fmt: skip
def test_a_bad_entry_is_named_and_nothing_is_written(tmp_path, break_it, message):
    data = demo_data()
    break_it(data)
    with pytest.raises(CommandError) as error:
        load(write_file(tmp_path, data))
    assert "nothing was written" in str(error.value)
    assert message in str(error.value)
    assert not Story.objects.exists()
    assert not Question.objects.exists()
    assert not Topic.objects.exists()


def test_a_bad_file_leaves_an_already_loaded_site_untouched(tmp_path):
    load()
    before = everything()
    data = demo_data()
    data["questions"][0]["title"] = "A new title"
    data["questions"][5]["options"] = ["Just one"]
    with pytest.raises(CommandError):
        load(write_file(tmp_path, data))
    assert everything() == before


def test_invalid_json_is_reported_with_its_position(tmp_path):
    with pytest.raises(CommandError) as error:
        load(write_file(tmp_path, '{"topics": [}'))
    assert "not valid JSON at line 1, column 13" in str(error.value)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError) as error:
        load(tmp_path / "nope.json")
    assert "cannot read it" in str(error.value)


def test_a_problem_found_while_writing_rolls_everything_back(tmp_path):
    # Too long for the column: only the model's full_clean sees it, after the topics
    # and thirteen questions have already been written in the same transaction.
    data = demo_data()
    data["questions"][13]["title"] = "Which body? " * 30
    with pytest.raises(CommandError) as error:
        load(write_file(tmp_path, data))
    assert (
        'questions[13] "first-international-body-statement": '
        "title: Ensure this value has at most 255" in str(error.value)
    )
    assert not Topic.objects.exists()
    assert not Question.objects.exists()


def test_reloading_never_reopens_a_question_an_editor_settled():
    load_file()
    question = Question.objects.get(slug="iraq-returns-equipment")
    outcomes.annul(question, "Equipment was never inventoried.")
    assert "left 1 edited question alone" in load_file()
    question.refresh_from_db()
    assert question.status == Question.Status.ANNULLED


def test_reset_replaces_a_question_an_editor_settled_with_the_captured_one():
    load_file()
    outcomes.annul(Question.objects.get(slug="iraq-returns-equipment"))
    load_file("--reset")
    question = Question.objects.get(slug="iraq-returns-equipment")
    assert question.status == Question.Status.PUBLISHED
    assert question.state() == Question.State.CLOSED
    assert question.links.count() == 2
