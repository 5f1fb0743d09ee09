"""Reader accounts: sign up (one account per email address), log in with a limit on failed
attempts (config.login_lockout), and reset a password without telling anyone whether an
address has an account.

Everything else (log out, password change, the reset link's page) is django.contrib.auth's
own views.
"""

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from config.background import run_in_background
from config.login_lockout import check_login_allowed, record_login_failure

EMAIL_IN_USE = (
    "An account already uses this email address. Log in, or reset your password if you "
    "have forgotten it."
)


def email_in_use(email):
    """Whether an account has `email`, ignoring case (as password resets match it)."""
    return get_user_model().objects.filter(email__iexact=email).exists()


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets only; never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]
        help_texts = {"username": "Shown on the leaderboard. Letters, digits and @/./+/-/_."}

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email_in_use(email):
            raise ValidationError(EMAIL_IN_USE, code="email_in_use")
        return email


def send_password_reset(email, *, domain, use_https):
    """Mail a reset link to each active account with `email` (Django's own rules and
    templates); nothing for an address without one.

    The one function that sends reset mail, run off the request's path
    (ReaderPasswordResetForm), so answering takes the same time for a known and an unknown
    address. Its arguments are plain strings and a flag, ready for a task queue.
    """
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)


class ReaderPasswordResetForm(PasswordResetForm):
    """Checks only that the address is an address, then hands it to send_password_reset()
    in the background: the request does the same work whatever the address."""

    def save(self, *, request, use_https=False, domain_override=None, **kwargs):
        run_in_background(
            send_password_reset,
            self.cleaned_data["email"],
            domain=domain_override or request.get_host(),
            use_https=use_https,
        )


class ReaderPasswordResetView(PasswordResetView):
    form_class = ReaderPasswordResetForm


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
