"""The one settings module, read from the environment (12-factor).

Every knob has a name, a safe default and a line in the README. Defaults are the safe
choice for production: DEBUG is off unless asked for, and with DEBUG off a missing
DJANGO_SECRET_KEY stops the process at startup rather than running with a guessable key.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.request_id import tag_event

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def env_float(name: str, default: float, minimum: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}") from None
    if not number >= minimum or number == float("inf"):  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be a number of at least {minimum}; got {value!r}")
    return number


# Keys written down where anyone can read them, so never secret (a key shown in the README
# must be refused: tests/test_deployment.py checks every one it shows).
KNOWN_SECRET_KEYS = frozenset({"tests-only-not-a-secret", "change-me", "changeme", "secret"})


def secret_key_problem(key):
    """Why `key` must not sign anything in production, or None if it may. The same bar as
    Django's security.W009 check, plus keys that are written down (KNOWN_SECRET_KEYS)."""
    if key in KNOWN_SECRET_KEYS:
        return "is an example written down for all to read"
    if key.startswith("django-insecure"):
        return "starts with django-insecure, as Django's development keys do"
    if len(key) < 50:
        return f"is {len(key)} characters long; it needs at least 50"
    if len(set(key)) < 5:
        return f"has {len(set(key))} different characters; it needs at least 5"
    return None


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
GENERATE_KEY = "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is not set. Production needs a long random value, e.g. "
            f"{GENERATE_KEY}; for local development set DJANGO_DEBUG=1 instead "
            "(`make run` does)."
        )
    # Development only: DEBUG is on, so this key never signs anything that matters.
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105
elif not DEBUG and (problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY {problem}: anyone could guess it and forge sessions and "
        f"password-reset links. Use a long random value, e.g. {GENERATE_KEY}."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.DeskAdminConfig",  # django.contrib.admin, as the editors' desk
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "reversion",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "imagekit",
    "django_tasks_db",
    "config.webhooks",
    "news",
    "forecasts",
]

MIDDLEWARE = [
    # First: every response, even a refusal, carries the request's id (config/request_id.py).
    "config.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the address is a 400 before anything looks it up (config/bad_requests.py).
    "config.bad_requests.RefuseNulCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: anonymous hits never load either (config/response_cache.py).
    "config.response_cache.PublicResponseCache",
    # A database that fails or stops answering is a 503 with Retry-After (config/outages.py).
    "config.outages.DatabaseOutage",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "config.context_processors.site",
            ],
            # {% oembed_discovery %} in base.html (config/oembed.py).
            "libraries": {"oembed": "config.oembed"},
        },
    },
]

# SQLite is the embedded default so `make run` works on a bare machine; production and
# the test suite use PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Fail fast: a database that stops answering is a 503 within seconds (config/outages.py),
# not a worker hung until gunicorn kills it. Seconds to wait for a connection:
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
# Milliseconds a statement may run (0: no limit). Management commands other than
# runserver (migrate, seed_scale, recompute_forecasts on a big database) may run longer
# statements than a web request should, so for them the default is no limit.
_PROGRAM = Path(sys.argv[0]).name if sys.argv else ""  # embedded servers may have no argv
_MANAGEMENT_COMMAND = _PROGRAM == "manage.py" and sys.argv[1:2] != ["runserver"]
DATABASE_STATEMENT_TIMEOUT = env_int(
    "DATABASE_STATEMENT_TIMEOUT", 0 if _MANAGEMENT_COMMAND else 5000
)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The server cancels a slow statement; config.outages also stops waiting for a server
    # that does not answer at all. Options in DATABASE_URL's query string win.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        **(
            {"options": f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}"}
            if DATABASE_STATEMENT_TIMEOUT
            else {}
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASE_STATEMENT_TIMEOUT:
    # SQLite's own timeout: how long to wait for another writer's lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": DATABASE_STATEMENT_TIMEOUT / 1000,
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            # Fail fast: a cache that answers slowly is worse than none.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After a failed call, each process skips Redis for this many seconds before trying again
# (config/redis_cache.py), so a request waits for one timeout at most, not one per call.
CACHE_RETRY_SECONDS = env_int("CACHE_RETRY_SECONDS", 5)
# How many processes serve the site: gunicorn workers per app server (gunicorn reads the
# same variable) and app servers. While Redis is unreachable the login lockout and the API
# limits count in each process, which then allows limit / (WEB_CONCURRENCY * APP_SERVERS)
# (config/counters.py). The default errs on the strict side: gunicorn's usual 2 * cores + 1.
WEB_CONCURRENCY = max(1, env_int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
APP_SERVERS = max(1, env_int("APP_SERVERS", 1))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# What one request may send: a body over this many bytes, or with more fields, gets a 400
# that says so (config.bad_requests); the API's JSON bodies count against the bytes too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Failed logins allowed per address and username before a lockout of this many seconds.
LOGIN_ATTEMPTS = env_int("LOGIN_ATTEMPTS", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)

# Password-reset mail goes to the console unless an SMTP server is configured.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": env_int("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")

# Where the site is, for absolute links made off the request path (webhook payloads).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Background work: Django's tasks framework (config/tasks.py). `database` keeps tasks in
# the database and `manage.py db_worker` runs them; `redis` keeps them in Redis streams
# (TASKS_REDIS_URL, default REDIS_URL) and `run_redis_tasks --continuous` runs them;
# `immediate` runs each in the caller (tests).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "redis":
    INSTALLED_APPS.append("django_tasks_redis")
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.backends.RedisTaskBackend",
            "OPTIONS": {"REDIS_URL": os.environ.get("TASKS_REDIS_URL") or REDIS_URL},
        }
    }
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be database, redis or immediate; got {TASKS_BACKEND!r}"
    )
# Tasks that fail (mail, scoring) are tried again after TASK_RETRY_SECONDS, doubling.
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 5)
TASK_RETRY_SECONDS = env_int("TASK_RETRY_SECONDS", 30)

# Webhooks (config/webhooks/).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_FORECAST_MOVE_POINTS = env_int("WEBHOOK_FORECAST_MOVE_POINTS", 10)
# Private and loopback receivers (and http:// to localhost): development only.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=DEBUG)

# The community forecast (forecasts/maths.py): which aggregate readers see ("pooled", the
# recency-weighted, extremized geometric mean; or "mean"), how far the pooled one is
# extremized (applied as it is read), and how fast older forecasts lose weight in it
# (stored in the running sums: a new half-life needs `manage.py recompute_forecasts`).
COMMUNITY_AGGREGATE = os.environ.get("COMMUNITY_AGGREGATE", "pooled").strip() or "pooled"
if COMMUNITY_AGGREGATE not in {"pooled", "mean"}:
    raise ImproperlyConfigured(
        f"COMMUNITY_AGGREGATE must be pooled or mean; got {COMMUNITY_AGGREGATE!r}"
    )
COMMUNITY_EXTREMIZING = env_float("COMMUNITY_EXTREMIZING", 1.5, minimum=0.0)
COMMUNITY_HALF_LIFE_HOURS = env_float("COMMUNITY_HALF_LIFE_HOURS", 168.0, minimum=0.01)

# Live updates (config/live.py): Redis pub/sub across app servers; without Redis the
# streams poll the database every LIVE_POLL_SECONDS.
LIVE_REDIS_URL = os.environ.get("LIVE_REDIS_URL", REDIS_URL)
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 1)
LIVE_STREAM_SECONDS = env_int("LIVE_STREAM_SECONDS", 600)

LANGUAGE_CODE = "en-us"
# Stored in UTC; shown in DJANGO_TIME_ZONE (UTC by default, as the captured page was).
USE_TZ = True
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded media (stories' lead images and their renditions). Local files by default;
# in production point MEDIA_ROOT at a shared volume, or swap the "default" storage for an
# S3-compatible one (MEDIA_URL then names its public address).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
# Limits on an uploaded image: bytes on the wire, and pixels once decoded (a tiny file can
# claim 50,000 by 50,000 pixels: a decompression bomb). Both are form errors in the admin.
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_MB", 10) * 1024 * 1024
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 40) * 1_000_000
# Renditions are made when an image is saved; reading their URLs touches nothing.
IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "imagekit.cachefiles.strategies.Optimistic"
IMAGEKIT_CACHEFILE_DIR = "renditions"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers. HTTPS-only settings are on unless DJANGO_SECURE_SSL is off, which
# `make run` and the test suite do because they serve plain HTTP on loopback.
SECURE_SSL = env_bool("DJANGO_SECURE_SSL", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_SSL
# Load balancers probe the app servers directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = SECURE_SSL
# Signed-in readers' sessions are read from the cache (Redis), written through to the
# database: a signed-in page costs no session query, and a Redis outage loses none.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
# Preloading is a commitment to HTTPS for every subdomain, for months; a newsroom opts in.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a TLS-terminating proxy, set DJANGO_BEHIND_PROXY=1 so Django trusts its header.
if env_bool("DJANGO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
_media_origin = "{0.scheme}://{0.netloc}".format(urlsplit(MEDIA_URL)) if "//" in MEDIA_URL else ""
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # Media on another origin (a CDN or bucket in MEDIA_URL) is allowed as images too.
    "img-src": [CSP.SELF, "data:", *([_media_origin] if _media_origin else [])],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Every line names the request it belongs to (config/request_id.py); "-" outside one.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.request_id.RequestIdFilter"}},
    "formatters": {
        "with_request_id": {"format": "[%(request_id)s] %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "with_request_id",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# The error tracker, only when SENTRY_DSN is set: unhandled errors (and ERROR log lines)
# go there tagged with the request id; no personal data (cookies, users) is sent.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    import sentry_sdk  # imported only when used: it costs a noticeable part of startup

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        send_default_pii=False,
        before_send=tag_event,
    )

SITE_NAME = os.environ.get("SITE_NAME", "Forecast Desk")
# Review before publishing (config.workflow): reporters submit, editors publish. Off, as
# before review existed, whoever may change a story or question may publish it. On by
# default: the Editors group publishes as it always did, and a reporter's account can
# never publish by accident.
EDITORIAL_REVIEW = env_bool("EDITORIAL_REVIEW", default=True)
# How long browsers and CDNs may reuse a public page (seconds); see config/http_cache.py.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)
# Keep whole anonymous public responses in the cache (config.response_cache).
# On by default only with Redis: a per-process cache would let each gunicorn worker replay
# its own copy after an editor's change.
PUBLIC_RESPONSE_CACHE = env_bool("PUBLIC_RESPONSE_CACHE", bool(REDIS_URL))

# The REST API (/api/v1/). Rates look like "120/minute", "5000/day".
API_ANON_RATE = os.environ.get("API_ANON_RATE", "120/minute")
API_USER_RATE = os.environ.get("API_USER_RATE", "600/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous client then gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttles.AnonymousThrottle",
        "config.api.throttles.ReaderThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.handle_exception",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Stories, forecast questions, the community's probabilities and their "
    "history. Anyone reads; signed-in readers forecast; editors write.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # A question's status reads as any of four values but is written as one of two: two
    # enums, which drf-spectacular would otherwise give one name (forecasts/api).
    "ENUM_NAME_OVERRIDES": {
        "QuestionStatusEnum": ["draft", "in_review", "published", "resolved", "annulled"],
        # A story's status, and a question's as clients may write it.
        "EditorialStatusEnum": ["draft", "in_review", "published"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_error_responses",
    ],
}

# --- Scale-out: CDN and shared media ---------------------------------------------------
# A CDN in front (config.cdn): with a purger, anonymous public responses carry s-maxage,
# stale-while-revalidate, stale-if-error and surrogate keys, and every change purges the
# keys it affects, in a background task. "none": no CDN directives, no keys, no purges.
CDN_PURGER = os.environ.get("CDN_PURGER", "none").strip().lower() or "none"
if CDN_PURGER not in {"none", "varnish", "fastly", "cloudflare"}:
    raise ImproperlyConfigured(
        f"CDN_PURGER must be none, varnish, fastly or cloudflare; got {CDN_PURGER!r}"
    )
# The response header the CDN reads its keys from: vmod xkey reads `xkey`, Fastly
# `Surrogate-Key`, Cloudflare `Cache-Tag` (comma-separated; the others space-separated).
CDN_SURROGATE_HEADER = os.environ.get("CDN_SURROGATE_HEADER") or {
    "fastly": "Surrogate-Key",
    "cloudflare": "Cache-Tag",
}.get(CDN_PURGER, "xkey")
CDN_S_MAXAGE = env_int("CDN_S_MAXAGE", 3600)
CDN_STALE_WHILE_REVALIDATE = env_int("CDN_STALE_WHILE_REVALIDATE", 30)
CDN_STALE_IF_ERROR = env_int("CDN_STALE_IF_ERROR", 86400)
# A forecast burst purges a question's keys at most twice per this many seconds.
CDN_FORECAST_PURGE_SECONDS = env_int("CDN_FORECAST_PURGE_SECONDS", 10)
CDN_PURGE_TIMEOUT_SECONDS = env_int("CDN_PURGE_TIMEOUT_SECONDS", 5)
CDN_PURGE_MAX_ATTEMPTS = env_int("CDN_PURGE_MAX_ATTEMPTS", 5)
# Varnish: where to send PURGE requests (each Varnish server, e.g. http://10.0.0.5:6081/).
CDN_PURGE_URLS = env_list("CDN_PURGE_URLS")
FASTLY_API_URL = os.environ.get("FASTLY_API_URL", "https://api.fastly.com")
FASTLY_API_TOKEN = os.environ.get("FASTLY_API_TOKEN", "")
FASTLY_SERVICE_ID = os.environ.get("FASTLY_SERVICE_ID", "")
CLOUDFLARE_API_URL = os.environ.get("CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4")
CLOUDFLARE_API_TOKEN = os.environ.get("CLOUDFLARE_API_TOKEN", "")
CLOUDFLARE_ZONE_ID = os.environ.get("CLOUDFLARE_ZONE_ID", "")
_cdn_needs = {
    "varnish": ["CDN_PURGE_URLS"],
    "fastly": ["FASTLY_API_TOKEN", "FASTLY_SERVICE_ID"],
    "cloudflare": ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ZONE_ID"],
}.get(CDN_PURGER, [])
if _missing := [name for name in _cdn_needs if not globals()[name]]:
    raise ImproperlyConfigured(f"CDN_PURGER={CDN_PURGER} needs {', '.join(_missing)}")
# Uploaded media (lead images and their imagekit renditions) on S3-compatible storage
# (django-storages) when MEDIA_S3_BUCKET is set, so every app server reads and writes the
# same files; local disk (MEDIA_ROOT) otherwise. Objects are public and their URLs
# unsigned: they are the images of published stories, and signed URLs would change with
# every render, defeating every cache on the way.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    _s3 = {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("MEDIA_S3_REGION") or None,
        # Empty: boto3's own chain (AWS_ACCESS_KEY_ID…, an instance role).
        "access_key": os.environ.get("MEDIA_S3_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
        "custom_domain": os.environ.get("MEDIA_S3_CUSTOM_DOMAIN") or None,
        "addressing_style": os.environ.get("MEDIA_S3_ADDRESSING_STYLE") or None,
        "location": os.environ.get("MEDIA_S3_PREFIX", ""),
        "querystring_auth": False,
        "file_overwrite": False,
        "default_acl": os.environ.get("MEDIA_S3_ACL") or None,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {key: value for key, value in _s3.items() if value is not None},
    }
    # The images' origin, allowed in the CSP as MEDIA_URL's is.
    if _s3["custom_domain"]:
        _s3_origin = f"https://{_s3['custom_domain'].split('/')[0]}"
    elif _s3["endpoint_url"]:
        _endpoint = urlsplit(_s3["endpoint_url"])
        _bucket_host = f"{MEDIA_S3_BUCKET}." if _s3["addressing_style"] == "virtual" else ""
        _s3_origin = f"{_endpoint.scheme}://{_bucket_host}{_endpoint.netloc}"
    else:
        _s3_origin = "https://*.amazonaws.com"
    SECURE_CSP["img-src"].append(_s3_origin)

# --- Scale-out: replicas and observability (README "Running at scale") ------------------
# Read replicas (config/replicas.py): comma-separated URLs of PostgreSQL streaming
# replicas of DATABASE_URL. Anonymous public pages and API reads are spread over them;
# everything else reads and writes on the primary. Empty: no router, nothing changes.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
# A client that wrote (any POST, PUT, PATCH, DELETE) reads from the primary this long.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 15)
# A replica further behind the primary than this is skipped.
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 3)
# How often each process asks a replica how far behind it is, and how long it leaves a
# replica that could not be reached before trying it again.
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", 1)
DATABASE_REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 10)
DATABASE_REPLICAS = []
for _number, _url in enumerate(DATABASE_REPLICA_URLS):
    _replica = dj_database_url.parse(
        _url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    if _replica["ENGINE"].endswith("postgresql"):
        # The primary's bounded waits (config/outages.py), unless the URL says otherwise.
        _replica["OPTIONS"] = {
            "connect_timeout": DATABASE_CONNECT_TIMEOUT,
            **(
                {"options": f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}"}
                if DATABASE_STATEMENT_TIMEOUT
                else {}
            ),
            **_replica.get("OPTIONS", {}),
        }
    # Under the test runner a replica is the test database itself, not one of its own.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica_{_number}")
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
    # Below DatabaseOutage: its 503 would otherwise keep ReplicaReads from hearing that a
    # replica failed; a response-cache hit needs no database at all.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("config.outages.DatabaseOutage") + 1, "config.replicas.ReplicaReads"
    )

# Observability (config/metrics.py). Every request is counted and timed; /metrics shows
# the numbers to a scraper that sends "Authorization: Bearer <METRICS_TOKEN>" and is a
# 404 without the setting. Under gunicorn set PROMETHEUS_MULTIPROC_DIR too (read by
# prometheus-client itself) so that /metrics adds up every worker's numbers.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Right after the request id: answers from the response cache and refusals count too,
# and the request's log line carries its id.
MIDDLEWARE.insert(
    MIDDLEWARE.index("config.request_id.RequestIdMiddleware") + 1, "config.metrics.RequestMetrics"
)
# Prometheus scrapes each app server directly, over plain HTTP, as load balancers probe.
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]
# One log line per request (method, path, status, milliseconds, view), logger
# config.requests, at INFO.
LOG_REQUESTS = env_bool("DJANGO_LOG_REQUESTS", default=True)
# `json`: every log line is one JSON object (time, level, logger, message, request_id and
# a request line's fields) for a log shipper; `text` (default): as before.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text")
if LOG_FORMAT == "json":
    LOGGING["formatters"]["json"] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": ["asctime", "levelname", "name", "message", "request_id"],
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    LOGGING["handlers"]["console"]["formatter"] = "json"
elif LOG_FORMAT != "text":
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be text or json; got {LOG_FORMAT!r}")
# --- End of scale-out: replicas and observability ----------------------------------------
