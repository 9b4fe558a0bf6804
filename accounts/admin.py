"""Staff screens for accounts: users, their roles, lockouts and passwords, and personal access
tokens (seen, never their secret or hash, and revoked)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import PersonalAccessToken, User
from nexus_site.definitions import constants

# What staff may change on an existing account; all of it goes through the service.
STAFF_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "language",
    "time_zone",
    "avatar_color",
    "preferences",
    "role",
    "is_active",
    "email_verified",
)
# Staff may not take away their own rights from this screen (the service refuses it too).
OWN_ACCOUNT_LOCKED_FIELDS = ("role", "is_active")


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "language", "email_verified")

    def clean_email(self) -> str:
        return services.normalize_email(self.cleaned_data["email"])


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = ("password", *STAFF_EDITABLE_FIELDS)


class UserPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """Set a user's password from the admin; every token issued before stops working."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            services.user_revoke_tokens(user=user)
        return user


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return (("yes", _("Locked")), ("no", _("Not locked")))

    def queryset(self, request, queryset):
        # Mirrors User.is_locked: a lock lasts LOCKOUT_SECONDS from locked_at.
        cutoff = timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS)
        if self.value() == "yes":
            return queryset.filter(locked_at__gt=cutoff)
        if self.value() == "no":
            return queryset.filter(Q(locked_at__isnull=True) | Q(locked_at__lte=cutoff))
        return queryset


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = UserPasswordChangeForm

    list_display = (
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "email_verified",
        "locked",
        "last_login",
        "created_at",
    )
    list_filter = ("role", "is_active", LockedFilter, "email_verified", "language")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    date_hierarchy = "created_at"
    filter_horizontal = ()
    actions = ("unlock_users",)
    readonly_fields = (
        "email",
        "failed_login_attempts",
        "locked_at",
        "lock_expires_at",
        "token_version",
        "last_login",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "language",
                    "time_zone",
                    "avatar_color",
                    "preferences",
                )
            },
        ),
        (_("Access"), {"fields": ("role", "is_active", "email_verified")}),
        (
            _("Login security"),
            {
                "fields": (
                    "failed_login_attempts",
                    "locked_at",
                    "lock_expires_at",
                    "token_version",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Access"), {"fields": ("role", "email_verified")}),
    )

    @admin.display(boolean=True, description=_("locked"))
    def locked(self, obj: User) -> bool:
        return obj.is_locked

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = self.readonly_fields
        if obj.pk == request.user.pk:
            readonly = (*readonly, *OWN_ACCOUNT_LOCKED_FIELDS)
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            # The creation form validated the address and the password and set its hash.
            super().save_model(request, obj, form, change)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in STAFF_EDITABLE_FIELDS
        }
        if changes:
            # A fresh copy: ``obj`` already holds the new values, the service compares.
            services.user_update_by_staff(
                user=User.objects.get(pk=obj.pk), actor=request.user, **changes
            )

    @admin.action(description=_("Unlock selected users"), permissions=("change",))
    def unlock_users(self, request, queryset) -> None:
        count = 0
        for user in queryset.filter(Q(locked_at__isnull=False) | Q(failed_login_attempts__gt=0)):
            services.user_unlock(user=user, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d user was unlocked.", "%(count)d users were unlocked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked")))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are made by their owners; staff who manage accounts may revoke them.
    The hash is never shown (nor is the secret, which Nexus does not have)."""

    list_display = (
        "name",
        "owner",
        "prefix",
        "scope_list",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (TokenStateFilter, "created_at")
    list_select_related = ("owner",)
    search_fields = ("name", "prefix", "owner__email")
    ordering = ("-created_at",)
    actions = ("revoke_tokens",)
    fields = (
        "name",
        "owner",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: PersonalAccessToken) -> str:
        return ", ".join(obj.scopes)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row stays as a record

    @admin.action(description=_("Revoke selected tokens"), permissions=("change",))
    def revoke_tokens(self, request, queryset) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.personal_token_revoke(token=token)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


if admin.site.is_registered(Group):
    admin.site.unregister(Group)
