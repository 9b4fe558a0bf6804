from django.urls import path

from accounts import people, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("register/done/", views.RegisterDoneView.as_view(), name="register-done"),
    path("verify-email/", views.verify_email, name="verify-email"),
    path("password-reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path(
        "password-reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("language/", views.language_switch, name="set-language"),
    path("settings/", views.SettingsPage.as_view(), name="settings"),
    path("settings/profile/", views.ProfileSettingsView.as_view(), name="settings-profile"),
    path("settings/avatar/", views.AvatarSettingsView.as_view(), name="settings-avatar"),
    path(
        "settings/avatar/remove/", views.AvatarRemoveView.as_view(), name="settings-avatar-remove"
    ),
    path("settings/region/", views.RegionSettingsView.as_view(), name="settings-region"),
    path("settings/password/", views.PasswordSettingsView.as_view(), name="settings-password"),
    path("settings/email/", views.EmailSettingsView.as_view(), name="settings-email"),
    path(
        "settings/email/confirm/",
        views.EmailChangeConfirmView.as_view(),
        name="settings-email-confirm",
    ),
    path(
        "settings/notifications/",
        views.NotificationSettingsView.as_view(),
        name="settings-notifications",
    ),
    path("settings/tokens/", views.TokenSettingsView.as_view(), name="settings-tokens"),
    path(
        "settings/tokens/<uuid:token_id>/revoke/",
        views.TokenRevokeView.as_view(),
        name="settings-token-revoke",
    ),
    path(
        "settings/logout-everywhere/",
        views.LogoutEverywhereView.as_view(),
        name="settings-logout-everywhere",
    ),
    path("avatars/<str:name>", views.avatar, name="avatar"),
    path("people/", people.PeopleView.as_view(), name="people"),
]
