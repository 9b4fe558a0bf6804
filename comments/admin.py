"""Staff screens for comments: read-only, with each comment's edit history inline. Comments are
written on the pages and through the API, so every rule and event applies."""

from django.contrib import admin

from comments.models import Comment, CommentRevision


class RevisionInline(admin.TabularInline):
    model = CommentRevision
    fields = ("edited_at", "editor", "old_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "task",
        "document",
        "author",
        "created_at",
        "edited_at",
        "deleted_at",
    )
    list_filter = (("deleted_at", admin.EmptyFieldListFilter),)
    search_fields = ("body", "author__email")
    list_select_related = ("task", "document", "author")
    fields = (
        "task",
        "document",
        "author",
        "body",
        "reply_to",
        "mentions",
        "created_at",
        "edited_at",
        "deleted_at",
    )
    readonly_fields = fields
    inlines = [RevisionInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
