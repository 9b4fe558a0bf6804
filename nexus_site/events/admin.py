from django.contrib import admin

from nexus_site.events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The outbox, read only: events are written by services, never by hand."""

    list_display = ["id", "type", "audience_node", "actor", "created_at"]
    list_filter = ["type"]
    search_fields = ["type", "audience_node"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "type",
        "payload",
        "audience_users",
        "audience_node",
        "actor",
        "created_at",
    ]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
