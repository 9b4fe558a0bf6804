"""Account pages: login, logout, registration, e-mail verification, password reset, language."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from django.views.i18n import set_language

from accounts import services, tokens
from accounts.api.throttles import AnonSensitiveThrottle, LoginEmailThrottle, LoginIPThrottle
from accounts.forms import (
    LoginForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    RegisterForm,
)
from nexus_site.exceptions import (
    AccountLockedError,
    AuthenticationError,
    BadRequestError,
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
