"""Staff screens for documents: read their history, move them to or from the trash and
restore an old version. Every write goes through documents.services, so access rules,
versions and events apply as they do for the API."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nexus_site.exceptions import BaseAppException
from workspace.documents import services
from workspace.documents.models import Document, DocumentVersion


def run_each(modeladmin, request, objects, write, done_message) -> None:
    """Call ``write`` for each object in its own transaction; report successes and refusals."""
    done = 0
    for obj in objects:
        try:
            with transaction.atomic():
                write(obj)
        except BaseAppException as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    fields = ("number", "title", "author", "created_at")
    readonly_fields = fields
    ordering = ("-number",)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "doc_type", "owner", "project", "version", "updated_at", "deleted_at")
    list_filter = ("doc_type", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "owner__email")
    list_select_related = ("owner", "project")
    date_hierarchy = "updated_at"
    readonly_fields = (
        "title",
        "doc_type",
        "owner",
        "project",
        "version",
        "content",
        "deleted_at",
        "created_at",
        "updated_at",
    )
    inlines = [VersionInline]
    actions = ["move_to_trash", "restore_from_trash"]

    def has_add_permission(self, request):
        return False  # documents are written on the pages and through the API

    def has_delete_permission(self, request, obj=None):
        return False  # the trash and its purge delete documents

    @admin.action(description=_("Move the selected documents to the trash"))
    def move_to_trash(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(deleted_at__isnull=True),
            lambda document: services.document_delete(actor=request.user, document=document),
            lambda count: (
                ngettext(
                    "%(count)d document moved to the trash.",
                    "%(count)d documents moved to the trash.",
                    count,
                )
                % {"count": count}
            ),
        )

    @admin.action(description=_("Restore the selected documents from the trash"))
    def restore_from_trash(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(deleted_at__isnull=False),
            lambda document: services.document_restore(actor=request.user, document=document),
            lambda count: (
                ngettext("%(count)d document restored.", "%(count)d documents restored.", count)
                % {"count": count}
            ),
        )


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    list_display = ("document", "number", "title", "author", "created_at")
    search_fields = ("document__title", "title")
    list_select_related = ("document", "author")
    readonly_fields = ("document", "number", "title", "content", "author", "created_at")
    actions = ["restore_version"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # versions are immutable

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Restore the selected versions (each becomes a new version)"))
    def restore_version(self, request, queryset):
        run_each(
            self,
            request,
            queryset.select_related("document"),
            lambda version: services.document_version_restore(
                actor=request.user, document=version.document, number=version.number
            ),
            lambda count: (
                ngettext("%(count)d version restored.", "%(count)d versions restored.", count)
                % {"count": count}
            ),
        )
