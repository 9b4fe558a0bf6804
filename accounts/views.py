"""Account pages: login, logout, registration, e-mail verification, password reset, language,
and the signed-in user's settings."""

import hashlib
import re
from abc import ABC, abstractmethod
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from django.views.i18n import set_language

from accounts import selectors, services, tokens
from accounts.api.throttles import AnonSensitiveThrottle, LoginEmailThrottle, LoginIPThrottle
from accounts.forms import (
    AvatarForm,
    EmailChangeConfirmForm,
    EmailChangeForm,
    LanguageRegionForm,
    LoginForm,
    NotificationsForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    PersonalTokenForm,
    ProfileForm,
    RegisterForm,
)
from nexus_site.exceptions import (
    AccountLockedError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    ValidationError,
)

LOGIN_THROTTLES = (LoginIPThrottle, LoginEmailThrottle)


def throttled_page(request: HttpRequest, throttle_classes, view=None) -> HttpResponse | None:
    """Return a 429 page when one of the API's rate limits refuses this post, else None."""
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, view):
            context = {"status": 429, "message": RateLimitError.default_message}
            response = render(request, "error.html", context, status=429)
            wait = throttle.wait()
            if wait is not None:
                response["Retry-After"] = str(int(wait + 0.999))
            return response
    return None


class ThrottledPostMixin:
    """Apply the API's rate limits to a page's form posts, answering 429 with a page."""

    throttle_classes: tuple = ()

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = throttled_page(request, self.throttle_classes, self)
        if refusal is not None:
            return refusal
        return super().post(request, *args, **kwargs)


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """Django admin's login behind the same rate limits as the other login paths.

    The admin's form calls ``authenticate()``, so failures count and a locked account is
    refused by accounts.backends.LockoutBackend like everywhere else.
    """
    if request.method == "POST":
        refusal = throttled_page(request, LOGIN_THROTTLES)
        if refusal is not None:
            return refusal
    return admin.site.login(request, extra_context)


RESET_LINK_INVALID = _("The password reset link is invalid or has expired.")


def current_site_language() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def invalid_link_page(request: HttpRequest, message, action_url: str, action_label) -> HttpResponse:
    return render(
        request,
        "error.html",
        {
            "status": 400,
            "title": _("This link does not work"),
            "message": message,
            "action_url": action_url,
            "action_label": action_label,
        },
        status=400,
    )


class LoginView(ThrottledPostMixin, auth_views.LoginView):
    """Log in with e-mail and password; failures count towards the lockout."""

    form_class = LoginForm
    throttle_classes = LOGIN_THROTTLES
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # A signed-in user sent back to this very page would loop (Django raises ValueError).
        url = super().get_redirect_url()
        return "" if url == self.request.path else url

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("request")  # our form only parses; the service checks the credentials
        return kwargs

    def form_valid(self, form):
        try:
            user = services.user_authenticate(
                request=self.request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except (AuthenticationError, AccountLockedError) as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        auth_login(self.request, user)
        return HttpResponseRedirect(self.get_success_url())


class LogoutView(auth_views.LogoutView):
    """Log out (POST only) and go back to the login page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have been logged out."))
        return response


@method_decorator(sensitive_post_parameters("password", "password_confirm"), name="dispatch")
class RegisterView(ThrottledPostMixin, FormView):
    """Create an account; the answer is the same whether or not the address is taken."""

    form_class = RegisterForm
    throttle_classes = (AnonSensitiveThrottle,)
    template_name = "accounts/register.html"
    success_url = reverse_lazy("accounts:register-done")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.user_register(
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=current_site_language(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
            return self.form_invalid(form)
        return super().form_valid(form)


class RegisterDoneView(TemplateView):
    template_name = "accounts/register_done.html"


@never_cache
def verify_email(request: HttpRequest) -> HttpResponse:
    """Confirm the address from the link in the verification e-mail."""
    try:
        user = services.user_verify_email(token=request.GET.get("token", ""))
    except BadRequestError as exc:
        return invalid_link_page(
            request, exc.message, reverse_lazy("accounts:login"), _("Go to the login page")
        )
    return render(request, "accounts/verify_email_done.html", {"verified_user": user})


class PasswordResetRequestView(ThrottledPostMixin, FormView):
    """Ask for a reset link; the answer never tells whether the address has an account."""

    form_class = PasswordResetRequestForm
    throttle_classes = (AnonSensitiveThrottle,)
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        services.password_reset_request(email=form.cleaned_data["email"])
        return super().form_valid(form)


class PasswordResetDoneView(TemplateView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(never_cache, name="dispatch")
@method_decorator(
    sensitive_post_parameters("new_password", "new_password_confirm", "token"), name="dispatch"
)
class PasswordResetConfirmView(ThrottledPostMixin, FormView):
    """Choose a new password with the token from the reset e-mail."""

    form_class = PasswordResetConfirmForm
    throttle_classes = (AnonSensitiveThrottle,)
    template_name = "accounts/password_reset_confirm.html"

    def get(self, request, *args, **kwargs):
        token = request.GET.get("token", "")
        if tokens.read_password_reset_token(token) is None:
            return self.invalid_token_page(RESET_LINK_INVALID)
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"token": self.request.GET.get("token", "")}

    def form_valid(self, form):
        try:
            services.password_reset_confirm(
                token=form.cleaned_data["token"], new_password=form.cleaned_data["new_password"]
            )
        except BadRequestError as exc:
            return self.invalid_token_page(exc.message)
        except ValidationError as exc:
            form.add_service_errors(exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your password has been changed. You can log in now."))
        return redirect("accounts:login")

    def form_invalid(self, form):
        if "token" in form.errors:
            return self.invalid_token_page(RESET_LINK_INVALID)
        return super().form_invalid(form)

    def invalid_token_page(self, message) -> HttpResponse:
        return invalid_link_page(
            self.request,
            message,
            reverse_lazy("accounts:password-reset"),
            _("Ask for a new link"),
        )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Set the language cookie with Django's set_language, and keep it as the user's language."""
    response = set_language(request)
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    user = request.user
    if (
        cookie is not None
        and user.is_authenticated
        and cookie.value in {code for code, _name in settings.LANGUAGES}
        and cookie.value != user.language
    ):
        services.user_update_profile(user=user, language=cookie.value)
    return response


# --- Account settings -------------------------------------------------------------------------

SETTINGS_FORMS = {
    "profile": ProfileForm,
    "avatar": AvatarForm,
    "region": LanguageRegionForm,
    "password": PasswordChangeForm,
    "email": EmailChangeForm,
    "notifications": NotificationsForm,
    "tokens": PersonalTokenForm,
}


class PasswordGuessThrottle(LoginEmailThrottle):
    """Count settings posts that check the current password against the account's address,
    with the login attempts on it: a borrowed session cannot guess the password faster."""

    def get_cache_key(self, request, view) -> str | None:
        digest = hashlib.sha256(request.user.email.lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


def settings_initial(user) -> dict[str, dict]:
    return {
        "profile": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "avatar_color": user.avatar_color,
        },
        "region": {"language": user.language, "time_zone": user.time_zone},
        "notifications": selectors.notification_preferences(user),
    }


def render_settings(
    request: HttpRequest, *, status: int = 200, new_token=None, **bound
) -> HttpResponse:
    """Render the settings page: the ``bound`` forms as posted, every other one fresh.

    ``new_token`` (a CreatedPersonalToken) shows a token just made, with its secret: only in
    this one answer, which no cache keeps.
    """
    initial = settings_initial(request.user)
    forms = {
        name: bound.get(name) or form_class(prefix=name, initial=initial.get(name))
        for name, form_class in SETTINGS_FORMS.items()
    }
    context = {
        "forms": forms,
        "tokens": selectors.personal_token_list(actor=request.user),
        "new_token": new_token,
    }
    response = render(request, "accounts/settings.html", context, status=status)
    if new_token is not None:
        add_never_cache_headers(response)
    return response


def settings_saved(request: HttpRequest, message, section: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(f"{reverse('accounts:settings')}#{section}")


class SettingsPage(LoginRequiredMixin, View):
    """The signed-in user's own account: profile, language, time zone, password, address,
    notifications and sessions. Each section posts to its own view below."""

    def get(self, request):
        return render_settings(request)


class SettingsFormView(LoginRequiredMixin, View, ABC):
    """Save one section of the settings page; an invalid post shows the page again (422)
    with the input kept and the errors on the fields, and changes nothing."""

    http_method_names = ["post"]
    section = ""
    throttle_classes: tuple = ()

    def post(self, request):
        refusal = throttled_page(request, self.throttle_classes, self)
        if refusal is not None:
            return refusal
        form = SETTINGS_FORMS[self.section](request.POST, request.FILES, prefix=self.section)
        if form.is_valid():
            try:
                return self.save(form.cleaned_data)
            except ValidationError as exc:
                request.user.refresh_from_db()  # a refused write may have touched the instance
                form.add_service_errors(exc)
        return render_settings(request, status=422, **{self.section: form})

    @abstractmethod
    def save(self, data: dict) -> HttpResponse:
        """Write the section's cleaned data through its service and answer (each section's own)."""


class ProfileSettingsView(SettingsFormView):
    section = "profile"

    def save(self, data):
        services.user_update_profile(user=self.request.user, **data)
        return settings_saved(self.request, _("Your profile is saved."), self.section)


class AvatarSettingsView(SettingsFormView):
    section = "avatar"

    def save(self, data):
        services.user_avatar_set(user=self.request.user, image=data["avatar"])
        return settings_saved(self.request, _("Your picture is saved."), "profile")


class AvatarRemoveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        services.user_avatar_remove(user=request.user)
        return settings_saved(request, _("Your picture is removed."), "profile")


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Keep the chosen language in Django's language cookie, as set_language does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class RegionSettingsView(SettingsFormView):
    section = "region"

    def save(self, data):
        services.user_update_profile(user=self.request.user, **data)
        translation.activate(data["language"])  # the message reads in the new language
        response = settings_saved(
            self.request, _("Your language and time zone are saved."), self.section
        )
        set_language_cookie(response, data["language"])
        return response


@method_decorator(
    sensitive_post_parameters(
        "password-old_password", "password-new_password", "password-new_password_confirm"
    ),
    name="dispatch",
)
class PasswordSettingsView(SettingsFormView):
    section = "password"
    throttle_classes = (PasswordGuessThrottle,)

    def save(self, data):
        user = services.user_password_change(
            user=self.request.user,
            old_password=data["old_password"],
            new_password=data["new_password"],
        )
        update_session_auth_hash(self.request, user)  # this session stays, all others end
        return settings_saved(
            self.request,
            _("Your password is changed. Every other session and token has been signed out."),
            self.section,
        )


@method_decorator(sensitive_post_parameters("email-password"), name="dispatch")
class EmailSettingsView(SettingsFormView):
    section = "email"
    throttle_classes = (PasswordGuessThrottle,)

    def save(self, data):
        services.user_email_change_request(
            user=self.request.user, new_email=data["new_email"], password=data["password"]
        )
        message = _("We sent a link to %(email)s. Your address changes when you open it.") % {
            "email": services.normalize_email(data["new_email"])
        }
        return settings_saved(self.request, message, self.section)


class NotificationSettingsView(SettingsFormView):
    section = "notifications"

    def save(self, data):
        services.user_notification_preferences_set(user=self.request.user, deliveries=data)
        return settings_saved(self.request, _("Your notification choices are saved."), self.section)


class TokenSettingsView(SettingsFormView):
    """Make a personal access token and show it, this once, at the top of its section."""

    section = "tokens"

    def save(self, data):
        created = services.personal_token_create(
            owner=self.request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=timezone.now() + timedelta(days=data["lifetime"]),
        )
        return render_settings(self.request, new_token=created)


class TokenRevokeView(LoginRequiredMixin, View):
    """Revoke one of the user's own personal access tokens (anyone else's is a 404)."""

    http_method_names = ["post"]

    def post(self, request, token_id):
        try:
            token = selectors.personal_token_get(actor=request.user, token_id=token_id)
        except NotFoundError:
            raise Http404 from None
        services.personal_token_revoke(token=token)
        message = _("The token %(name)s is revoked. It no longer works.") % {"name": token.name}
        return settings_saved(request, message, "tokens")


class LogoutEverywhereView(LoginRequiredMixin, View):
    """End every session and token of the user, this one included."""

    http_method_names = ["post"]

    def post(self, request):
        services.user_revoke_tokens(user=request.user)
        auth_logout(request)
        messages.success(request, _("You have been logged out everywhere."))
        return redirect("accounts:login")


@method_decorator(never_cache, name="dispatch")
class EmailChangeConfirmView(ThrottledPostMixin, View):
    """Confirm a new address from the link mailed to it: the link shows the change, the button
    makes it (a mail scanner opening the link changes nothing)."""

    throttle_classes = (AnonSensitiveThrottle,)
    template_name = "accounts/settings_email_confirm.html"

    def get(self, request):
        token = request.GET.get("token", "")
        found = selectors.email_change_for_token(token=token)
        if found is None:
            return self.invalid_link(services.EMAIL_CHANGE_LINK_INVALID)
        form = EmailChangeConfirmForm(initial={"token": token})
        context = {"form": form, "new_email": found[1]}
        return render(request, self.template_name, context)

    def post(self, request):
        form = EmailChangeConfirmForm(request.POST)
        if not form.is_valid():
            return self.invalid_link(services.EMAIL_CHANGE_LINK_INVALID)
        try:
            user = services.user_email_change_confirm(token=form.cleaned_data["token"])
        except (BadRequestError, ConflictError) as exc:
            return self.invalid_link(exc.message)
        messages.success(
            request, _("Your e-mail address is now %(email)s.") % {"email": user.email}
        )
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("accounts:settings")
        return redirect("accounts:login")

    def invalid_link(self, message) -> HttpResponse:
        return invalid_link_page(
            self.request, message, reverse_lazy("accounts:settings"), _("Go to your settings")
        )


AVATAR_NAME = re.compile(r"[0-9a-f]{32}\.png")


@login_required
def avatar(request: HttpRequest, name: str) -> HttpResponse:
    """Serve an avatar image to signed-in people.

    Its name is random and changes with every upload, so only a page that shows the person
    gives it away; the file is a PNG Nexus wrote itself, sent as such and never sniffed.
    """
    if not AVATAR_NAME.fullmatch(name) or not selectors.avatar_exists(name=name):
        raise Http404
    path = f"avatars/{name}"
    try:
        handle = default_storage.open(path, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
