"""Background work on Django's tasks framework: resolving a question commits at once and
its scores follow once the worker ran; failures are retried with backoff and visible in
the admin; mail goes through the queue."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult
from django_tasks_redis.executor import process_tasks

from config import tasks
from config.mail import send_mail_later
from forecasts import forecasting, outcomes
from forecasts.models import Question, Score
from forecasts.tasks import score_resolved_question
from tests.factories import QuestionFactory, UserFactory


def run_worker():
    """Run every task that is due, as `manage.py db_worker --batch` does."""
    call_command(
        "db_worker", batch=True, interval=0, startup_delay=False, verbosity=0, reload=False
    )


@task
def always_fails(attempt=1):
    tasks.retry_later(always_fails, attempt=attempt, max_attempts=3, base_seconds=60)
    raise RuntimeError("the mail server is down")


@pytest.mark.django_db(transaction=True)
def test_resolution_commits_at_once_and_the_worker_scores_it(database_tasks):
    question = QuestionFactory(options=["A", "B"])
    a, b = question.options.values_list("pk", flat=True)
    forecasting.record_forecast(UserFactory(), question.pk, {a: 0.7, b: 0.3})
    outcomes.resolve(question, question.options.get(label="A"), "A.")
    assert Question.objects.get(pk=question.pk).status == "resolved"
    assert not Score.objects.exists()  # not on the request path
    queued = DBTaskResult.objects.get(task_path="forecasts.tasks.score_resolved_question")
    assert queued.status == TaskResultStatus.READY
    run_worker()
    assert Score.objects.filter(question=question).count() == 2  # the reader, the community
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    # Idempotent: running it again replaces the scores, it does not add to them.
    score_resolved_question.enqueue(question.pk)
    run_worker()
    assert Score.objects.filter(question=question).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_retried_with_backoff_and_shown_in_the_admin(
    database_tasks, admin_client
):
    always_fails.enqueue()
    run_worker()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "the mail server is down" in failed.exception_class_path + failed.traceback
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert (retry.run_after - retry.enqueued_at).total_seconds() == pytest.approx(60, abs=2)
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200
    assert "always_fails" in page.content.decode()


def test_backoff_doubles():
    assert [tasks.backoff_seconds(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


@pytest.mark.django_db(transaction=True)
def test_mail_waits_for_the_worker(database_tasks):
    send_mail_later("Subject", "Body", ["reader@example.com"])
    assert mail.outbox == []
    run_worker()
    assert [m.subject for m in mail.outbox] == ["Subject"]


@pytest.mark.django_db(transaction=True)
def test_the_redis_backend_runs_the_same_tasks(redis_tasks):
    """TASKS_BACKEND=redis: django-tasks-redis on Django's own tasks framework."""
    question = QuestionFactory(options=["A", "B"])
    outcomes.resolve(question, question.options.get(label="A"), "A.")
    assert not Score.objects.exists()
    process_tasks()
    assert Score.objects.filter(question=question, user=None).exists()
