"""Live updates as Server-Sent Events, across app servers through Redis pub/sub.

A writer calls `publish(channel, payload)`: one PUBLISH (fail-safe: a Redis outage only
means no live push). A stream view (an async Django view, so under an ASGI server such
as uvicorn a client costs a coroutine, not a worker) reads them from `listen(channels)`,
a queue of payloads, and sends them with `sse()`. Each process keeps a single
Redis subscription however many clients it serves (`Hub`), and fans messages out to
them in memory.

Without Redis (LIVE_REDIS_URL empty, e.g. `make run`) there is nothing to subscribe to:
the stream views poll the database every LIVE_POLL_SECONDS instead, which also works
across processes. Served by a WSGI server (runserver, gunicorn) a stream still works,
through `subscription()`, but holds a worker thread for as long as it is open: in
production route /live/ to the ASGI server.
"""

import asyncio
import contextlib
import json
import logging
import time

import redis
import redis.asyncio
from django.conf import settings

logger = logging.getLogger(__name__)

PREFIX = "live:"
QUEUE_SIZE = 100


def enabled():
    return bool(settings.LIVE_REDIS_URL)


_clients = {}


def _client():
    url = settings.LIVE_REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _clients[url]


_quiet_until = 0.0
QUIET_SECONDS = 5


def publish(channel, payload):
    """Send `payload` (JSON-able) to every subscriber of `channel`, on any server.

    Fail fast and safe: Redis down means no live push, never a slow or failed write; after
    a failure the next QUIET_SECONDS do not even try."""
    global _quiet_until
    if not enabled() or time.monotonic() < _quiet_until:
        return
    try:
        _client().publish(PREFIX + channel, json.dumps(payload, separators=(",", ":")))
    except redis.RedisError as error:
        _quiet_until = time.monotonic() + QUIET_SECONDS
        logger.warning("live update not published (%s): %s", channel, error)


class Hub:
    """One pattern subscription per process and event loop, fanned out to queues."""

    def __init__(self, url):
        self.url = url
        self.listeners = {}  # queue -> set of channels (None: every channel)
        self.task = None
        self.ready = None

    async def listen(self, channels):
        queue = asyncio.Queue(QUEUE_SIZE)
        self.listeners[queue] = channels
        if self.task is None or self.task.done():
            self.ready = asyncio.get_running_loop().create_future()
            self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(asyncio.shield(self.ready), timeout=2)
        return queue

    def leave(self, queue):
        self.listeners.pop(queue, None)

    async def _run(self):
        client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.psubscribe(PREFIX + "*")
                if not self.ready.done():
                    self.ready.set_result(True)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is None:
                        continue
                    channel = message["channel"].decode()[len(PREFIX) :]
                    payload = json.loads(message["data"])
                    for queue, wanted in list(self.listeners.items()):
                        if wanted is None or channel in wanted:
                            with contextlib.suppress(asyncio.QueueFull):
                                queue.put_nowait(payload)  # a slow client misses a beat
        except Exception as error:
            if not self.ready.done():
                self.ready.set_exception(error)
            logger.warning("live subscription ended: %s", error)
            raise
        finally:
            await client.aclose()


_hubs = {}


@contextlib.asynccontextmanager
async def listen(channels=None):
    """An asyncio.Queue that receives every payload published to `channels` (None: all)
    while the block runs."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(settings.LIVE_REDIS_URL)
    queue = await hub.listen(set(channels) if channels is not None else None)
    try:
        yield queue
    finally:
        hub.leave(queue)


@contextlib.contextmanager
def subscription(channels=None):
    """A blocking Redis subscription to `channels` (None: all), for a stream served by a
    WSGI worker (runserver, gunicorn): read it with `get_message(timeout=…)`."""
    client = redis.Redis.from_url(settings.LIVE_REDIS_URL, socket_connect_timeout=1)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        if channels is None:
            pubsub.psubscribe(PREFIX + "*")
        else:
            pubsub.subscribe(*(PREFIX + channel for channel in channels))
        yield pubsub
    finally:
        pubsub.close()
        client.close()


def message_payload(message):
    return json.loads(message["data"])


def sse(payload, event="message", event_id=None):
    """One Server-Sent Event, as bytes."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(payload, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def headers(response):
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
