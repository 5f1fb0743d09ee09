"""Reader accounts: sign up, and log in with a limit on failed attempts (config.login_lockout).

Everything else (log out, password change and reset) is django.contrib.auth's own views.
"""

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from config.login_lockout import check_login_allowed, record_login_failure


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only; never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]
        help_texts = {"username": "Shown on the leaderboard. Letters, digits and @/./+/-/_."}


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
