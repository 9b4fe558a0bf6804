"""Input and output serializers of the accounts API, one pair per endpoint where they differ.

Input serializers only parse and check shapes; every write happens in ``accounts.services``.
The token serializers are simplejwt's own, subclassed to carry and check the token version.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenBlacklistSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.authentication import VersionedRefreshToken, token_version_matches
from accounts.models import PersonalAccessToken, User, validate_time_zone
from accounts.token_scopes import scope_choices
from nexus_site.api.fields import JSONObjectField
from nexus_site.definitions.enums import Language, Role

NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length


class PreferencesField(JSONObjectField):
    """The user's preferences: any JSON object. Under "notifications", an object of
    notification kind to delivery ("immediately", "daily_digest" or "never")."""


# --- Users ------------------------------------------------------------------------------------


class UserOutputSerializer(serializers.ModelSerializer):
    """The signed-in user's own account."""

    date_joined = serializers.DateTimeField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "language",
            "preferences",
            "time_zone",
            "email_verified",
            "date_joined",
        ]
        read_only_fields = fields


class ProfileUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True)
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices)
    time_zone = serializers.CharField(
        max_length=User._meta.get_field("time_zone").max_length,
        validators=[validate_time_zone],
        help_text=_("An IANA time zone name, such as Europe/Berlin."),
    )
    preferences = PreferencesField()


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=User._meta.get_field("email").max_length)
    password = PasswordField(trim_whitespace=False)
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, default=Language.EN)


class RegisterOutputSerializer(serializers.Serializer):
    """What registration answers, the same whether or not the address already had an account."""

    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    email_verified = serializers.BooleanField()


class TokenInputSerializer(serializers.Serializer):
    """A one-time token from an e-mail link."""

    token = serializers.CharField(max_length=1024, trim_whitespace=True)


# --- JWT --------------------------------------------------------------------------------------


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = PasswordField(trim_whitespace=False)


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


def refresh_token_user(refresh: VersionedRefreshToken) -> User:
    """Return the active user a refresh token belongs to, or raise TokenError."""
    user = User.objects.filter(pk=refresh.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise TokenError(_("No active account found for the given token."))
    if not token_version_matches(user, refresh):
        raise TokenError(_("The token has been revoked."))
    return user


class TokenRefreshInputSerializer(TokenRefreshSerializer):
    """Rotate a refresh token: the given one is blacklisted and a new pair is issued.

    Raises simplejwt's TokenError for a bad, expired, blacklisted or revoked token.
    """

    token_class = VersionedRefreshToken

    def validate(self, attrs: dict) -> dict:
        refresh = self.token_class(attrs["refresh"])
        refresh_token_user(refresh)
        with transaction.atomic():
            # Lock the token's row so that two requests racing with the same refresh token
            # are served one after the other: the second then finds it blacklisted.
            # order_by() drops the model's ordering by user, an outer join FOR UPDATE refuses.
            list(
                OutstandingToken.objects.select_for_update()
                .filter(jti=refresh[jwt_settings.JTI_CLAIM])
                .order_by()
                .values_list("pk", flat=True)
            )
            try:
                return super().validate(attrs)
            except ObjectDoesNotExist as exc:  # the user was deleted meanwhile
                raise TokenError(_("No active account found for the given token.")) from exc


class LogoutInputSerializer(TokenBlacklistSerializer):
    """Blacklist one refresh token of the calling user; another user's token is refused."""

    token_class = VersionedRefreshToken

    def validate(self, attrs: dict) -> dict:
        refresh = self.token_class(attrs["refresh"])
        owner_id = refresh.get(jwt_settings.USER_ID_CLAIM)
        if owner_id != str(self.context["request"].user.pk):
            # Same answer as for a bad token: nothing tells the caller whose token it was.
            raise TokenError(_("Token is invalid"))
        return super().validate(attrs)


# --- Passwords --------------------------------------------------------------------------------


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = PasswordField(trim_whitespace=False)
    new_password = PasswordField(trim_whitespace=False)


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)
    new_password = PasswordField(trim_whitespace=False)


# --- Staff user management --------------------------------------------------------------------


class AdminUserOutputSerializer(UserOutputSerializer):
    """A user as staff see it: the own-account fields plus activity and lockout state."""

    is_locked = serializers.BooleanField(read_only=True)
    lock_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta(UserOutputSerializer.Meta):
        fields = [
            *UserOutputSerializer.Meta.fields,
            "is_active",
            "is_locked",
            "failed_login_attempts",
            "locked_at",
            "lock_expires_at",
            "last_login",
            "updated_at",
        ]
        read_only_fields = fields


class AdminUserCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=User._meta.get_field("email").max_length)
    password = PasswordField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        help_text=_("Leave out to create an account that must set its password by reset."),
    )
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.USER)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.EN)
    email_verified = serializers.BooleanField(default=False)


class AdminUserUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True)
    last_name = serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices)
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField()
    email_verified = serializers.BooleanField()


# --- Personal access tokens -------------------------------------------------------------------


class PersonalTokenOutputSerializer(serializers.ModelSerializer):
    """A personal access token as its owner sees it: never its secret."""

    scopes = serializers.ListField(child=serializers.ChoiceField(choices=scope_choices()))
    is_expired = serializers.SerializerMethodField(
        help_text=_("True once expires_at has passed; the token then answers 401.")
    )

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "expires_at",
            "is_expired",
            "created_at",
            "last_used_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "prefix": {"help_text": _("The public start of the token, to tell tokens apart.")}
        }

    def get_is_expired(self, token: PersonalAccessToken) -> bool:
        return token.is_expired()


class PersonalTokenCreatedOutputSerializer(PersonalTokenOutputSerializer):
    token = serializers.CharField(
        read_only=True,
        help_text=_(
            "The token to send as Authorization: Bearer. Shown in this answer only: Nexus "
            "keeps a hash of it, so it cannot be shown again."
        ),
    )

    class Meta(PersonalTokenOutputSerializer.Meta):
        fields = [*PersonalTokenOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields


class PersonalTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=PersonalAccessToken._meta.get_field("name").max_length)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=scope_choices()),
        allow_empty=False,
        max_length=len(scope_choices()),
        help_text=_(
            "<app>:read or <app>:write for each app the token may use; write includes read."
        ),
    )
    expires_at = serializers.DateTimeField(
        help_text=_("When the token stops working: at least an hour and at most 366 days ahead.")
    )


class PersonalTokenUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=PersonalAccessToken._meta.get_field("name").max_length)
