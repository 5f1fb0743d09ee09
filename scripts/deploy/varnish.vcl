# Varnish in front of Forecast Desk (Varnish 7, vmod xkey from varnish-modules).
#
# It keeps what the app marks public (public pages, anonymous API reads) for the app's
# s-maxage, and drops it the moment the app purges one of its surrogate keys (the `xkey`
# header; CDN_PURGER=varnish, CDN_PURGE_URLS pointing here). What it treats as anonymous
# mirrors the app's own response cache (config/response_cache.py): no session cookie,
# no pending message, no Authorization header. Change the backend, the probe's Host and
# the purgers' addresses for your network.
vcl 4.1;

import std;
import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    # /healthz answers without the database: "sick" means the app itself is down, and
    # then cached pages are served up to their stale-if-error (below).
    .probe = {
        .request = "GET /healthz HTTP/1.1"
            "Host: 127.0.0.1"
            "Connection: close";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
    }
}

# Who may purge: the app servers (their task workers send the PURGE requests).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the keys in an xkey-purge header"));
        }
        # A hard purge: the next request fetches the new page (a soft one would serve the
        # old page once more, in grace).
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Signed-in readers, flash messages and API clients with a token get their own pages,
    # as in PublicResponseCache.applies_to (config/response_cache.py).
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # Live streams stay open for minutes; the desk is never public.
    if (req.url ~ "^/(live|admin)/") {
        return (pass);
    }
    # Other cookies (csrftoken, analytics) change no public page: without them every
    # anonymous reader shares one copy (public pages send Vary: Cookie). A page that
    # needs the CSRF cookie (a sign-in form) is not public and sets a fresh one.
    unset req.http.Cookie;
    # Stale content within stale-while-revalidate while the app is up (30 s: keep it
    # equal to CDN_STALE_WHILE_REVALIDATE); up to stale-if-error (the object's whole
    # grace, below) while it is down.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 30s;
    }
    return (hash);
}

sub vcl_backend_response {
    # Only what the app says is public, as PublicResponseCache.storable does: no cookie
    # set, no CSP nonce (a nonce must differ on every response).
    if (beresp.http.Cache-Control !~ "(^|,)\s*public\b"
        || beresp.http.Cache-Control ~ "private|no-store|no-cache"
        || beresp.http.Set-Cookie
        || beresp.http.Content-Security-Policy ~ "nonce-") {
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
    # A failing refetch in the background keeps the stale copy.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # beresp.ttl is already s-maxage; keep the object for its stale-if-error as grace.
    if (beresp.http.Cache-Control ~ "stale-if-error=\d+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, ".*stale-if-error=(\d+).*", "\1s"), 30s);
    }
    # Conditional refetches (If-None-Match / If-Modified-Since) for an hour past that.
    set beresp.keep = 1h;
    return (deliver);
}

sub vcl_backend_error {
    # Nothing cached and the app unreachable: a plain 503 rather than Varnish's page.
    set beresp.http.Content-Type = "text/plain; charset=utf-8";
    set beresp.http.Retry-After = "30";
    set beresp.body = "Service unavailable";
    return (deliver);
}

sub vcl_deliver {
    # The keys are for Varnish only.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
