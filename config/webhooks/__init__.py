"""Webhooks: clients register HTTPS endpoints for events, and each event is delivered to
them signed as the Standard Webhooks spec says, at least once, with retries, logged.

`events.py` names the event types and `fire()`s them; `signing.py` signs and verifies;
`transport.py` is the one HTTP POST (https only, no private addresses in production);
`tasks.py` records, fans out and delivers in the background (config.tasks); `api.py` is
`/api/v1/webhooks/` (owner only); `admin.py` shows deliveries and replays them.
"""
