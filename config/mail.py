"""Mail off the request path: `send_mail_later()` enqueues it (config.tasks), so a slow SMTP
server never holds up a request. (Password resets have their own task in config.accounts.)"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task

from config.tasks import enqueue_on_commit, retry_later


@task
def send_mail_task(subject, body, to, html=None, from_email=None, attempt=1, headers=None):
    """Send one message; retried with backoff when the mail server fails."""
    message = EmailMultiAlternatives(
        subject, body, from_email or settings.DEFAULT_FROM_EMAIL, to, headers=headers
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        retry_later(
            send_mail_task,
            subject,
            body,
            to,
            html=html,
            from_email=from_email,
            headers=headers,
            attempt=attempt,
            max_attempts=settings.TASK_MAX_ATTEMPTS,
            base_seconds=settings.TASK_RETRY_SECONDS,
        )
        raise


def send_mail_later(subject, body, to, html=None, from_email=None, headers=None):
    """The one way the site sends mail: in the background, once the transaction commits.

    The message (a password-reset link included) waits in the task queue until sent;
    `manage.py prune_db_task_results` clears finished tasks.
    """
    enqueue_on_commit(
        send_mail_task, subject, body, list(to), html=html, from_email=from_email, headers=headers
    )
