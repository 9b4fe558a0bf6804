"""Forms of the account pages. They only parse input; the views call the services."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.models import AvatarColor, PersonalAccessToken, time_zone_names
from accounts.notification_kinds import NotificationDelivery, NotificationKind
from accounts.token_scopes import ScopeApp, ScopeLevel, scope_choices, scope_name
from nexus_site.definitions.enums import Language
from nexus_site.exceptions import ValidationError

# Lazy, so the validators in settings are read when a form is shown, not at import.
password_rules = lazy(password_validation.password_validators_help_text_html, str)


def email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "dir": "ltr"}),
    )


def password_field(label, autocomplete: str, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PageForm(forms.Form):
    """A form of the account pages: labels without a trailing colon."""

    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ServiceErrorsMixin:
    """Show a service's ValidationError details on the fields they name."""

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in (error.details or {None: [error.message]}).items():
            field = name if name in self.fields else None
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                self.add_error(field, message)


class LoginForm(PageForm):
    email = email_field()
    password = password_field(_("Password"), "current-password")


class RegisterForm(ServiceErrorsMixin, PageForm):
    email = email_field()
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password = password_field(
        _("Password"),
        "new-password",
        help_text=password_rules(),
    )
    password_confirm = password_field(_("Repeat the password"), "new-password")

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return cleaned


class PasswordResetRequestForm(PageForm):
    email = email_field()


class PasswordResetConfirmForm(ServiceErrorsMixin, PageForm):
    token = forms.CharField(widget=forms.HiddenInput)
    new_password = password_field(
        _("New password"),
        "new-password",
        help_text=password_rules(),
    )
    new_password_confirm = password_field(_("Repeat the new password"), "new-password")

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get("new_password"), cleaned.get("new_password_confirm")
        if password and confirm and password != confirm:
            self.add_error("new_password_confirm", _("The two passwords do not match."))
        return cleaned


# --- Account settings -------------------------------------------------------------------------


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


class ProfileForm(ServiceErrorsMixin, PageForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    avatar_color = forms.ChoiceField(
        label=_("Colour of your initials"),
        choices=AvatarColor.choices,
        widget=forms.RadioSelect(attrs={"class": "avatar-colors"}),
    )


class AvatarForm(ServiceErrorsMixin, PageForm):
    avatar = forms.FileField(
        label=_("Image file"),
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MB; it is cut to a square."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )


class LanguageRegionForm(ServiceErrorsMixin, PageForm):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Dates and times in the pages are shown in this time zone."),
    )


class PasswordChangeForm(ServiceErrorsMixin, PageForm):
    old_password = password_field(_("Current password"), "current-password")
    new_password = password_field(_("New password"), "new-password", help_text=password_rules())
    new_password_confirm = password_field(_("Repeat the new password"), "new-password")

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get("new_password"), cleaned.get("new_password_confirm")
        if password and confirm and password != confirm:
            self.add_error("new_password_confirm", _("The two passwords do not match."))
        return cleaned


class EmailChangeForm(ServiceErrorsMixin, PageForm):
    new_email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    password = password_field(_("Current password"), "current-password")


class NotificationsForm(ServiceErrorsMixin, PageForm):
    """One choice of delivery per notification kind."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(label=label, choices=NotificationDelivery.choices)


class EmailChangeConfirmForm(PageForm):
    token = forms.CharField(widget=forms.HiddenInput, max_length=1024)


# Lifetimes offered on the page; the API takes any expiry up to the service's maximum.
TOKEN_LIFETIME_DAYS = (7, 30, 60, 90, 366)


def token_lifetime_choices() -> list[tuple[str, str]]:
    return [
        (str(days), ngettext_lazy("%(days)d day", "%(days)d days", days) % {"days": days})
        for days in TOKEN_LIFETIME_DAYS
    ]


class PersonalTokenForm(ServiceErrorsMixin, PageForm):
    """A new personal access token: a name, its scopes (one checkbox per app and level) and how
    long it lasts."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=PersonalAccessToken._meta.get_field("name").max_length,
        help_text=_("What the token is for, such as the script or machine that uses it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Write includes read. The token never reaches more than you can."),
    )
    lifetime = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=token_lifetime_choices,
        coerce=int,
        initial="30",
    )

    def scope_rows(self) -> list[dict]:
        """Return the scope checkboxes as one row per app: its label, read and write."""
        boxes = {box.data["value"]: box for box in self["scopes"]}
        return [
            {
                "label": label,
                "read": boxes[scope_name(app, ScopeLevel.READ)],
                "write": boxes[scope_name(app, ScopeLevel.WRITE)],
            }
            for app, label in ScopeApp.choices
        ]
