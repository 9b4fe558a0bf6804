from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Who was told of what, read only: notifications are derived from events, never typed."""

    list_display = ["created_at", "recipient", "kind", "action", "title", "read_at", "emailed_at"]
    list_filter = ["kind", "action"]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
