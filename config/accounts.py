"""Reader accounts: sign up, and log in with a limit on attempts (config.login_lockout).

Everything else (log out, password change and reset) is django.contrib.auth's own views.
"""

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from config.login_lockout import count_login_attempt, forget_login_attempts


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only; never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]
        help_texts = {"username": "Shown on the leaderboard. Letters, digits and @/./+/-/_."}


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Counts every attempt first, and refuses to even check a password after too many
    (count_login_attempt)."""

    def clean(self):
        username = self.data.get("username")
        count_login_attempt(self.request, username)
        cleaned = super().clean()
        forget_login_attempts(self.request, username)
        return cleaned


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
