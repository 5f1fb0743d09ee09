"""Purgers: how surrogate keys are purged from each kind of CDN (CDN_PURGER).

- `varnish`: an HTTP `PURGE` to each of CDN_PURGE_URLS with the keys in an
  `xkey-purge` header, which scripts/deploy/varnish.vcl hands to vmod xkey (from
  allowed addresses only).
- `fastly`: Fastly's batch purge, `POST /service/{FASTLY_SERVICE_ID}/purge` with
  `{"surrogate_keys": [...]}` (at most 256 a request) and the `Fastly-Key` token.
- `cloudflare`: `POST /client/v4/zones/{CLOUDFLARE_ZONE_ID}/purge_cache` with
  `{"tags": [...]}` (at most 30 a request) and a bearer token (purge by tag).

Each raises PurgeFailed when any request is refused or fails; the task retries.
"""

import json
import urllib.error
import urllib.request

from django.conf import settings


class PurgeFailed(Exception):
    pass


def _chunks(keys, size):
    keys = list(keys)
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def _send(method, url, headers, body=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (URLs from settings)
    try:
        with urllib.request.urlopen(request, timeout=settings.CDN_PURGE_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        raise PurgeFailed(f"{method} {url}: {error.code} {error.reason}") from None
    except OSError as error:
        raise PurgeFailed(f"{method} {url}: {error}") from None


class VarnishPurger:
    batch = 100  # keep the header well under Varnish's 8 KB header limit

    def purge(self, keys):
        for url in settings.CDN_PURGE_URLS:
            for chunk in _chunks(keys, self.batch):
                _send("PURGE", url, {"xkey-purge": " ".join(chunk)})


class FastlyPurger:
    batch = 256

    def purge(self, keys):
        url = f"{settings.FASTLY_API_URL.rstrip('/')}/service/{settings.FASTLY_SERVICE_ID}/purge"
        headers = {
            "Fastly-Key": settings.FASTLY_API_TOKEN,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        for chunk in _chunks(keys, self.batch):
            _send("POST", url, headers, json.dumps({"surrogate_keys": chunk}).encode())


class CloudflarePurger:
    batch = 30

    def purge(self, keys):
        base = settings.CLOUDFLARE_API_URL.rstrip("/")
        url = f"{base}/zones/{settings.CLOUDFLARE_ZONE_ID}/purge_cache"
        headers = {
            "Authorization": f"Bearer {settings.CLOUDFLARE_API_TOKEN}",
            "Content-Type": "application/json",
        }
        for chunk in _chunks(keys, self.batch):
            _send("POST", url, headers, json.dumps({"tags": chunk}).encode())


PURGERS = {"varnish": VarnishPurger, "fastly": FastlyPurger, "cloudflare": CloudflarePurger}


def get_purger():
    return PURGERS[settings.CDN_PURGER]()
