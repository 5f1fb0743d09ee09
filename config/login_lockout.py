"""The login lockout: how many failed password attempts an address may make for a username.

The site's login form (config.accounts) and the API's token endpoint (config.api.tokens)
both call it, so a password cannot be guessed faster through either door.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError


def _attempts_key(request, username):
    # Hashed: a username is anything a client typed, and cache keys must stay short and safe.
    raw = f"{request.META.get('REMOTE_ADDR', '')}:{(username or '').casefold()}"
    return "login-failures:" + hashlib.sha256(raw.encode()).hexdigest()


def check_login_allowed(request, username):
    """Raise ValidationError once LOGIN_ATTEMPTS failures from this address for this
    username happened within LOGIN_LOCKOUT_SECONDS. The site's form and the API's token
    endpoint both call it."""
    if (cache.get(_attempts_key(request, username)) or 0) >= settings.LOGIN_ATTEMPTS:
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        raise ValidationError(
            f"Too many failed attempts. Try again in {minutes} minutes, or reset your password.",
            code="rate_limited",
        )


def record_login_failure(request, username):
    key = _attempts_key(request, username)
    if not cache.add(key, 1, settings.LOGIN_LOCKOUT_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
