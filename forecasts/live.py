"""The community forecast, live: what a forecast announces, and the streams that carry it.

`announce()` runs once a forecast commits (forecasts.forecasting): one PUBLISH for the
streams (config.live) and the "forecast moved" webhook check (forecasts.events).
`question_stream` (`/live/questions/<slug>/`) and `questions_stream` (`/live/questions/`)
are Server-Sent Events: an async view, so under an ASGI server (uvicorn) an open stream
costs no worker; under WSGI (runserver, gunicorn) the same stream holds a thread.
Each event is `event: forecast` with the payload of `state_of()`.
"""

import asyncio
import time
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone

from config import live
from forecasts import events, following
from forecasts.maths import largest_remainder_percentages
from forecasts.models import Question, community_state

HEARTBEAT_SECONDS = 15
RETRY = b"retry: 2000\n\n"  # how soon a browser reconnects, in milliseconds
POLL_OVERLAP = timedelta(seconds=5)


def payload(question, probabilities, at):
    """What a stream sends: {question, slug, forecaster_count, at, options: [{id,
    probability, percent}]}, options in display order. `probabilities` maps option ids
    (strings) to the community probability."""
    options = list(question.options.all())
    if not question.reveals_community():  # anti-anchoring: the count moves, not the numbers
        return {
            "question": question.pk,
            "slug": question.slug,
            "forecaster_count": question.forecaster_count,
            "at": at.isoformat(),
            "hidden": True,
            "options": [{"id": o.pk, "probability": None, "percent": None} for o in options],
        }
    values = [probabilities[str(o.pk)] for o in options]
    percents = largest_remainder_percentages(values)
    return {
        "question": question.pk,
        "slug": question.slug,
        "forecaster_count": question.forecaster_count,
        "at": at.isoformat(),
        "options": [
            {"id": o.pk, "probability": p, "percent": percent}
            for o, p, percent in zip(options, values, percents, strict=True)
        ],
    }


def announce(question, state, now):
    """After a forecast commits: push the new community forecast to live streams, and
    fire "forecast.moved" if it moved far enough (one cache read)."""
    live.publish(f"question:{question.pk}", payload(question, state["probabilities"], now))
    if question.reveals_community(now) and events.check_forecast_moved(
        question, state["probabilities"]
    ):
        following.moved(question)


def state_of(question):
    options = list(question.options.all())
    probabilities = community_state(options, question.forecaster_count)["probabilities"]
    return payload(question, probabilities, question.updated_at)


def _released(read):
    """`read` whose database connection is given back once it ran: a stream stays open
    for minutes and must not hold a connection all that time (outside a transaction, as
    in a test's, where there is nothing to give back)."""

    def run(*args):
        try:
            return read(*args)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return run


@_released
def _changed_since(since, question_ids):
    questions = Question.objects.visible().filter(updated_at__gt=since).prefetch_related("options")
    if question_ids is not None:
        questions = questions.filter(pk__in=question_ids)
    return [state_of(q) for q in questions.order_by("updated_at")]


@_released
def _current(question_id):
    return state_of(Question.objects.prefetch_related("options").get(pk=question_id))


async def question_stream(request, slug):
    """The community forecast of one question, as it changes."""
    question_id = (
        await Question.objects.visible().filter(slug=slug).values_list("pk", flat=True).afirst()
    )
    if question_id is None:
        raise Http404("No such question.")
    return _stream(request, [question_id])


async def questions_stream(request):
    """Every question's community forecast, as each changes."""
    return _stream(request, None)


def _stream(request, question_ids):
    events = _async_events if isinstance(request, ASGIRequest) else _sync_events
    response = StreamingHttpResponse(events(question_ids), content_type="text/event-stream")
    return live.headers(response)


def _channels(question_ids):
    return None if question_ids is None else [f"question:{pk}" for pk in question_ids]


async def _async_events(question_ids):
    """Under ASGI: the stream is a coroutine, however long it stays open."""
    deadline = time.monotonic() + settings.LIVE_STREAM_SECONDS
    if live.enabled():
        # Subscribed before anything is sent or the current state read: no change falls
        # in between.
        async with live.listen(_channels(question_ids)) as queue:
            yield RETRY
            if question_ids:
                yield live.sse(await sync_to_async(_current)(question_ids[0]), "forecast")
            while time.monotonic() < deadline:
                try:
                    update = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                else:
                    yield live.sse(update, "forecast")
        return
    yield RETRY
    poll = _Poll(question_ids)
    if question_ids:
        yield live.sse(poll.saw(await sync_to_async(_current)(question_ids[0])), "forecast")
    while time.monotonic() < deadline:
        await asyncio.sleep(settings.LIVE_POLL_SECONDS)
        for chunk in await sync_to_async(poll.step)():
            yield chunk


def _sync_events(question_ids):
    """Under WSGI (runserver, gunicorn): the same events, holding a worker thread."""
    deadline = time.monotonic() + settings.LIVE_STREAM_SECONDS
    if live.enabled():
        with live.subscription(_channels(question_ids)) as pubsub:
            yield RETRY
            if question_ids:
                yield live.sse(_current(question_ids[0]), "forecast")
            beat = time.monotonic()
            while time.monotonic() < deadline:
                # None both when nothing came and for subscription notices.
                message = pubsub.get_message(timeout=1)
                if message is not None and message["type"] in ("message", "pmessage"):
                    yield live.sse(live.message_payload(message), "forecast")
                elif time.monotonic() - beat > HEARTBEAT_SECONDS:
                    beat = time.monotonic()
                    yield b": keep-alive\n\n"
        return
    yield RETRY
    poll = _Poll(question_ids)
    if question_ids:
        yield live.sse(poll.saw(_current(question_ids[0])), "forecast")
    while time.monotonic() < deadline:
        time.sleep(settings.LIVE_POLL_SECONDS)
        yield from poll.step()


class _Poll:
    """Without Redis: what changed since the last look. A forecast's time is set before
    it commits, so each look reaches a little back, and each (question, time) is sent
    once; a comment now and then keeps proxies from closing a quiet stream."""

    def __init__(self, question_ids):
        self.question_ids = question_ids
        self.since = timezone.now()
        self.seen = {}
        self.beat = time.monotonic()

    def saw(self, update):
        """`update` was sent already (the current state a stream starts with)."""
        self.seen[update["question"]] = update["at"]
        return update

    def step(self):
        now = timezone.now()
        chunks = []
        for update in _changed_since(self.since - POLL_OVERLAP, self.question_ids):
            if self.seen.get(update["question"]) != update["at"]:
                self.seen[update["question"]] = update["at"]
                chunks.append(live.sse(update, "forecast"))
        self.since = now
        if time.monotonic() - self.beat > HEARTBEAT_SECONDS:
            self.beat = time.monotonic()
            chunks.append(b": keep-alive\n\n")
        return chunks
