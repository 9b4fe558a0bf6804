from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from relations.models import Relationship


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    """Read-only view of the graph; writes go through the API so validation and events apply."""

    list_display = ("source_node", "type", "target_node", "created_by", "created_at")
    list_filter = ("type", "source_type", "target_type")
    search_fields = ("=source_id", "=target_id")
    list_select_related = ("source_type", "target_type", "created_by")
    readonly_fields = [field.name for field in Relationship._meta.fields]
    date_hierarchy = "created_at"

    @admin.display(description=_("source"))
    def source_node(self, obj: Relationship) -> str:
        return obj.source_node

    @admin.display(description=_("target"))
    def target_node(self, obj: Relationship) -> str:
        return obj.target_node

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
