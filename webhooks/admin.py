"""Admin for webhooks: subscriptions (never their secret), the delivery log (read only) and
incoming URLs (never their token or signing secret; revoke by setting revoked at)."""

from django.contrib import admin

from webhooks.models import IncomingWebhook, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "is_active", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__email", "description")
    exclude = ("secret",)
    # Staff turn a webhook on or off; its URL and scope are its owner's (checked by the services).
    readonly_fields = (
        "owner",
        "url",
        "event_types",
        "scope",
        "with_descendants",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    )

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event_type",
        "event_id",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "response_time_ms",
        "created_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("subscription__url", "=event_id")
    list_select_related = ("subscription",)
    raw_id_fields = ("subscription", "redelivery_of")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncomingWebhook)
class IncomingWebhookAdmin(admin.ModelAdmin):
    list_display = ("__str__", "owner", "pattern", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "owner__email", "pattern__key", "token_prefix")
    raw_id_fields = ("owner", "pattern")
    list_select_related = ("owner", "pattern")
    readonly_fields = ("token_prefix", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False
