"""Reader accounts: sign up (one account per email address), log in with a limit on
attempts (config.login_lockout), and reset a password without telling anyone whether an
address has an account.

Everything else (log out, password change, the reset link's page) is django.contrib.auth's
own views, routed here so that they carry the site's name: left alone, they put the
request's host ("127.0.0.1:8000") in `site_name`, over the one the context processor gives
every page.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.tasks import task
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from config.login_lockout import count_login_attempt, forget_login_attempts
from config.tasks import enqueue_on_commit

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


@task
def send_password_reset(email, *, domain, use_https):
    """Mail a reset link to each active account with `email` (Django's own rules and
    templates); nothing for an address without one.

    The one function that sends reset mail: a task that ReaderPasswordResetForm enqueues,
    so answering takes the same time for a known and an unknown address.
    """
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        # The mail says where it comes from: the site's name, not the host.
        form.save(
            domain_override=domain,
            use_https=use_https,
            extra_email_context={"site_name": settings.SITE_NAME},
        )


class ReaderPasswordResetForm(PasswordResetForm):
    """Checks only that the address is an address, then hands it to send_password_reset()
    in the background: the request does the same work whatever the address."""

    def save(self, *, request, use_https=False, domain_override=None, **kwargs):
        enqueue_on_commit(
            send_password_reset,
            self.cleaned_data["email"],
            domain=domain_override or request.get_host(),
            use_https=use_https,
        )


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
        messages.success(
            request,
            f"Welcome to {settings.SITE_NAME}, {user.username}. Open questions take your "
            "forecast; only you see it, and you can change it until the question closes.",
        )
        return redirect(next_url)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


class SiteNamed:
    """Puts the site's name back over the host that auth's views put in `site_name`."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}


class ReaderPasswordResetView(SiteNamed, auth.PasswordResetView):
    form_class = ReaderPasswordResetForm


def _branded(view):
    return type(view.__name__, (SiteNamed, view), {}).as_view()


# django.contrib.auth.urls, with the site's name in the pages and the reset mail.
urlpatterns = [
    path("login/", _branded(ReaderLoginView), name="login"),
    path("signup/", signup, name="signup"),
    path("logout/", _branded(auth.LogoutView), name="logout"),
    path("password_change/", _branded(auth.PasswordChangeView), name="password_change"),
    path(
        "password_change/done/",
        _branded(auth.PasswordChangeDoneView),
        name="password_change_done",
    ),
    path("password_reset/", ReaderPasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", _branded(auth.PasswordResetDoneView), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        _branded(auth.PasswordResetConfirmView),
        name="password_reset_confirm",
    ),
    path("reset/done/", _branded(auth.PasswordResetCompleteView), name="password_reset_complete"),
]
