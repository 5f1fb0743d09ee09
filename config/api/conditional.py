"""Conditional API reads: ETag / Last-Modified on lists and details, 304 when unchanged.

The validators are made as the pages' are (config.http_cache), from the content version,
the clock slice and the URL, plus who is asking for signed-in clients.
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework import exceptions
from rest_framework.response import Response

from config import cdn, versions
from config.editing import check_if_match


class ConditionalMixin:
    """ETag / Last-Modified on list and detail reads, and 304 when nothing changed.

    The tag covers the content version, the full URL, the response format and, for
    endpoints that answer per user, who is asking.
    """

    per_user = False  # kept for clarity: signed-in clients always get tags of their own
    public_response = True  # anonymous answers may be served whole from the cache
    # A CDN's surrogate keys (config.cdn): one per record shown (`surrogate_key` of its
    # id), and a list's own key (`surrogate_list_key`) on lists.
    surrogate_key = None
    surrogate_list_key = None

    def _validators(self, request):
        version = versions.request_version(request)
        # Signed-in clients may see more (editors see drafts) or other things (their own
        # forecasts): their tags are their own. The clock bucket makes a question that
        # closes, or a story that goes live, change its tag within PAGE_CACHE_SECONDS.
        who = request.user.pk if request.user.is_authenticated else ""
        bucket = versions.clock_bucket()
        raw = f"{version['version']}:{bucket}:{request.get_full_path()}:{who}"
        etag = '"' + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest() + '"'
        return etag, max(version["changed_at"].timestamp(), bucket * settings.PAGE_CACHE_SECONDS)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            etag, last_modified = self._validators(request)
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            if response.status_code == 200 and cdn.enabled():
                self._tag(request, response)
            cache_headers(request, response)
        return response

    def _tag(self, request, response):
        data = getattr(response, "data", None)
        if isinstance(data, dict):
            rows = data["results"] if isinstance(data.get("results"), list) else [data]
        else:
            rows = data if isinstance(data, list) else []
        ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
        if self.surrogate_key is not None:
            cdn.tag(request, *map(self.surrogate_key, ids))
        if self.surrogate_list_key and not self.detail:
            cdn.tag(request, self.surrogate_list_key)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            etag, last_modified = self._validators(request)
            not_modified = get_conditional_response(
                request, etag=etag, last_modified=int(last_modified), response=Response()
            )
            if not_modified is not None and not_modified.status_code == 304:
                raise NotModified(etag)


class NotModified(exceptions.APIException):
    status_code = 304
    default_detail = ""

    def __init__(self, etag):
        super().__init__()
        self.etag = etag


def cache_headers(request, response):
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
        cdn.public_headers(request, response)
    patch_vary_headers(response, ["Authorization", "Cookie"])


class IfMatchMixin:
    """Writes to one record honour If-Match: the record's `version` (config.editing) or
    the ETag a read of it returned. A stale one is a 412 and nothing is written; without
    If-Match the write goes ahead. The row is locked from the check to the write, so two
    writers holding the same version cannot both pass."""

    def _check_if_match(self, instance):
        locked = type(instance).objects.select_for_update(of=("self",)).get(pk=instance.pk)
        read_etag = self._validators(self.request)[0] if hasattr(self, "_validators") else ""
        check_if_match(self.request.headers.get("If-Match"), locked, read_etag)

    def perform_update(self, serializer):
        with transaction.atomic():
            self._check_if_match(serializer.instance)
            super().perform_update(serializer)

    def perform_destroy(self, instance):
        with transaction.atomic():
            self._check_if_match(instance)
            super().perform_destroy(instance)
