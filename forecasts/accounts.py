"""Reader accounts: sign up, and log in with a limit on failed attempts.

Everything else (log out, password change and reset) is django.contrib.auth's own views.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only; never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]
        help_texts = {"username": "Shown on the leaderboard. Letters, digits and @/./+/-/_."}


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


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuses to even check a password after too many failures (check_login_allowed)."""

    def clean(self):
        username = self.data.get("username")
        check_login_allowed(self.request, username)
        try:
            return super().clean()
        except ValidationError:
            record_login_failure(self.request, username)
            raise


class ReaderLoginView(LoginView):
    form_class = RateLimitedAuthenticationForm


@sensitive_post_parameters("password1", "password2")
def signup(request):
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
