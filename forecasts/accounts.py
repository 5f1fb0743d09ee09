"""Reader accounts: sign up, and log in with a limit on failed attempts.

Everything else (log out, password change and reset) is django.contrib.auth's own views.
"""

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
    ip = request.META.get("REMOTE_ADDR", "")
    return f"login-failures:{ip}:{(username or '').casefold()}"


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuses to even check a password after LOGIN_ATTEMPTS failures from one address
    for one username within LOGIN_LOCKOUT_SECONDS."""

    def clean(self):
        key = _attempts_key(self.request, self.data.get("username"))
        if (cache.get(key) or 0) >= settings.LOGIN_ATTEMPTS:
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            raise ValidationError(
                f"Too many failed attempts. Try again in {minutes} minutes, or reset your "
                "password.",
                code="rate_limited",
            )
        try:
            return super().clean()
        except ValidationError:
            if not cache.add(key, 1, settings.LOGIN_LOCKOUT_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
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
