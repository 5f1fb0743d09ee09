"""The login lockout: how many password attempts an address may make for a username.

The site's login form (config.accounts) and the API's token endpoint (config.api.tokens)
both call it, so a password cannot be guessed faster through either door.

Every attempt is counted (config.counters: one atomic increment) *before* its password
is checked, and refused unchecked once LOGIN_ATTEMPTS have been counted within
LOGIN_LOCKOUT_SECONDS: twenty guesses sent at once get LOGIN_ATTEMPTS passwords checked,
not twenty. A successful login forgets the count, so the attempts a reader spent
mistyping, and the successful one, do not lock them (or a script that fetches its API
token now and then) out later; someone who knows the password gains nothing from that.
While Redis is unreachable the count is kept per process (see config.counters).
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError

from config import counters


def _attempts_key(request, username):
    # Hashed: a username is anything a client typed, and cache keys must stay short and safe.
    raw = f"{request.META.get('REMOTE_ADDR', '')}:{(username or '').casefold()}"
    return "login-attempts:" + hashlib.sha256(raw.encode()).hexdigest()


def count_login_attempt(request, username):
    """Count an attempt to log in as `username` from this address, before checking its
    password; raise ValidationError (code "rate_limited") if it is over LOGIN_ATTEMPTS
    within LOGIN_LOCKOUT_SECONDS, in which case the password must not be checked."""
    allowed, _ = counters.admit(
        _attempts_key(request, username),
        settings.LOGIN_ATTEMPTS,
        settings.LOGIN_LOCKOUT_SECONDS,
    )
    if not allowed:
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        raise ValidationError(
            f"Too many failed attempts. Try again in {minutes} minutes, or reset your password.",
            code="rate_limited",
        )


def forget_login_attempts(request, username):
    """After a successful login: start counting afresh."""
    counters.forget(_attempts_key(request, username))
