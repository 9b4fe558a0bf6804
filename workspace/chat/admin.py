"""Staff screens for chat: rooms with their members (from the relations graph) and their
messages, read-only, with each message's edit history inline. Chat is written on the pages,
through the API and the socket, so every rule and event applies."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from workspace.chat import services
from workspace.chat.models import ChatMessage, MessageEdit, Room


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "created_by", "created_at", "last_message_at")
    list_filter = ("kind",)
    search_fields = ("name", "topic")
    list_select_related = ("created_by",)
    fields = ("kind", "name", "topic", "created_by", "created_at", "last_message_at", "members")
    readonly_fields = fields

    @admin.display(description=_("members"))
    def members(self, room: Room):
        from django.contrib.auth import get_user_model

        edges = list(services.member_edges(room).order_by("created_at"))
        users = get_user_model().objects.in_bulk([edge.source_id for edge in edges])
        return format_html_join(
            "",
            "<div>{} ({})</div>",
            (
                (users[edge.source_id].email, services.edge_role(edge))
                for edge in edges
                if edge.source_id in users
            ),
        )


class EditInline(admin.TabularInline):
    model = MessageEdit
    fields = ("edited_at", "editor", "old_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "room", "author", "created_at", "edited_at", "deleted_at")
    list_filter = (("deleted_at", admin.EmptyFieldListFilter),)
    search_fields = ("body", "author__email")
    list_select_related = ("room", "author")
    fields = ("room", "author", "body", "reply_to", "created_at", "edited_at", "deleted_at")
    readonly_fields = fields
    inlines = [EditInline]

    def has_delete_permission(self, request, obj=None):
        return False
