"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each message carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature`: "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), where
the key is the base64-decoded part of the endpoint's secret after "whsec_". Receivers
verify the signature and refuse a timestamp outside a tolerance (replay protection).
"""

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix, not a secret)
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    pass


def new_secret():
    """A fresh endpoint secret: "whsec_" + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret):
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret, message_id, timestamp, body):
    """The `webhook-signature` header value for `body` (bytes)."""
    signed = f"{message_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret, message_id, body, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(secret, received_headers, body, now=None, tolerance=TOLERANCE_SECONDS):
    """Check a received message as a receiver should; raises InvalidSignature.

    `received_headers` maps lower-case header names to values. Any of the
    space-separated "v1,…" signatures may match (a rotated secret sends two).
    """
    try:
        message_id = received_headers["webhook-id"]
        timestamp = int(received_headers["webhook-timestamp"])
        signatures = received_headers["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook headers") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance: a replay, or a skewed clock")
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise InvalidSignature("no signature matches")
