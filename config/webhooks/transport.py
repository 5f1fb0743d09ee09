"""The one HTTP POST of a webhook, and the rules on where it may go.

Only `https://` URLs. Against server-side request forgery, a URL whose host is (or
resolves to) a private, loopback, link-local or otherwise non-public address is refused,
and the connection goes to the very address that was checked (no second DNS lookup for
a rebinding trick to slip into). Redirects are not followed. WEBHOOK_ALLOW_PRIVATE (on
with DJANGO_DEBUG, and in tests) lifts the address rule and allows `http://` to
127.0.0.1 / localhost, for local receivers.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

EXCERPT_CHARS = 500
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def check_url(url):
    """Refuse a URL that may not receive webhooks; raises ValidationError (for forms and
    the API). DNS is checked again at each delivery (resolve_public)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError("Give a full URL, e.g. https://example.com/hooks.")
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    if parts.scheme != "https" and not (
        allow_private and parts.scheme == "http" and host in LOCAL_HOSTS
    ):
        raise ValidationError("Webhook URLs must use https://.")
    if parts.username or parts.password:
        raise ValidationError("Put no credentials in the URL; verify our signature instead.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" and not allow_private:
            raise ValidationError("That address is not public.") from None
        return
    if not allow_private and not address.is_global:
        raise ValidationError("That address is not public.")


def resolve_public(host, port):
    """The address to connect to: the first one `host` resolves to, all of which must be
    public unless WEBHOOK_ALLOW_PRIVATE."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise ValidationError(f"{host} resolves to a non-public address.")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the host name for SNI and the certificate."""

    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url, body, headers, timeout=None):
    """POST `body` (bytes) to `url`; never raises for network trouble: the Outcome says."""
    timeout = timeout or settings.WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()

    def outcome(status_code=None, excerpt="", error=""):
        latency = int((time.monotonic() - started) * 1000)
        return Outcome(status_code, latency, excerpt[:EXCERPT_CHARS], error[:300])

    try:
        check_url(url)
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        address = resolve_public(parts.hostname, port)
        if https:
            connection = _PinnedHTTPSConnection(
                parts.hostname,
                address,
                port=port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            connection = _PinnedHTTPConnection(parts.hostname, address, port=port, timeout=timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "User-Agent": f"{settings.SITE_NAME} webhooks",
                },
            )
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")
            return outcome(response.status, excerpt)
        finally:
            connection.close()
    except ValidationError as error:
        return outcome(error=" ".join(error.messages))
    except (OSError, http.client.HTTPException) as error:
        return outcome(error=f"{type(error).__name__}: {error}")
