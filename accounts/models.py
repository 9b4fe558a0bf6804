from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions import constants
from nexus_site.definitions.enums import Language, Role
from nexus_site.ids import uuid7

STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
SESSION_HASH_SALT = "accounts.User.get_session_auth_hash"
DEFAULT_TIME_ZONE = "UTC"


@cache
def time_zone_names() -> frozenset[str]:
    """Return the IANA time zone names this system knows (read from disk once per process)."""
    return frozenset(available_timezones()) | {DEFAULT_TIME_ZONE}


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


class AvatarColor(models.TextChoices):
    """The colours a person's initials may be drawn in (static/css/nexus.css, .avatar--*)."""

    INDIGO = "indigo", _("Indigo")
    TEAL = "teal", _("Teal")
    GREEN = "green", _("Green")
    AMBER = "amber", _("Amber")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")
    PINK = "pink", _("Pink")
    SLATE = "slate", _("Slate")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        fields.pop("is_staff", None)
        fields.pop("is_superuser", None)
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields["role"] = Role.ADMIN
        fields.setdefault("email_verified", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email__iexact=email)


class User(AbstractBaseUser):
    """A person who signs in with an e-mail address. The role decides staff rights."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.USER)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    preferences = models.JSONField(_("preferences"), default=dict, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("Dates and times in the pages are shown in this time zone."),
    )
    avatar_color = models.CharField(
        _("avatar colour"), max_length=16, choices=AvatarColor.choices, default=AvatarColor.INDIGO
    )
    # Always a PNG re-encoded by accounts.avatars under a random name, served by accounts:avatar.
    avatar = models.FileField(_("avatar image"), upload_to="avatars/", blank=True, max_length=100)
    # Set when an address change is asked for; only the link carrying it may complete the change.
    email_change_nonce = models.CharField(max_length=32, blank=True, default="", editable=False)
    email_verified = models.BooleanField(_("e-mail verified"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    failed_login_attempts = models.PositiveSmallIntegerField(
        _("failed login attempts in a row"), default=0
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    token_version = models.PositiveIntegerField(
        _("token version"),
        default=0,
        help_text=_("Raised to revoke every token issued to this user."),
    )
    created_at = models.DateTimeField(_("joined"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["role"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def initials(self) -> str:
        letters = [name[:1] for name in (self.first_name, self.last_name) if name.strip()]
        return "".join(letters).upper() or self.email[:1].upper()

    @property
    def avatar_url(self) -> str:
        """Return the address of the uploaded avatar image, or "" when there is none."""
        if not self.avatar:
            return ""
        return reverse("accounts:avatar", args=[self.avatar.name.rsplit("/", 1)[-1]])

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def date_joined(self):
        return self.created_at

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_superuser(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def lock_expires_at(self):
        if self.locked_at is None:
            return None
        return self.locked_at + timedelta(seconds=constants.LOCKOUT_SECONDS)

    @property
    def is_locked(self) -> bool:
        expires = self.lock_expires_at
        return expires is not None and timezone.now() < expires

    def get_session_auth_hash(self) -> str:
        """Return the hash that keeps a page session valid: of the password and token version.

        A new password, logout-all or deactivation (both raise ``token_version``) changes it,
        so Django ends every session made before, as it does for a new password alone.
        """
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, secret=None) -> str:
        value = f"{self.password}:{self.token_version}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def has_perm(self, perm: str, obj=None) -> bool:
        if not (self.is_active and self.is_staff):
            return False
        if self.is_superuser:
            return True
        # Managers run the workspace; only administrators manage accounts.
        return not perm.startswith("accounts.") or perm.startswith("accounts.view_")

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_staff


class PersonalAccessToken(models.Model):
    """A long-lived credential for scripts: ``Authorization: Bearer nxp_<public>_<secret>``.

    Only the public prefix and a SHA-256 hash of the whole token are kept; the token itself is
    shown once, when it is made. The scopes (``<app>:read`` or ``<app>:write``, see
    accounts.token_scopes) bound what it may do, never beyond what its owner may do.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="personal_tokens",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A name tells the owner's tokens apart while they work; a revoked one frees it.
            models.UniqueConstraint(
                "owner",
                "name",
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_pat_owner_name_unique_active",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="accounts_pat_expires_after_created",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
