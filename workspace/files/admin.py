"""Staff screens for files, the blobs behind them and public links. Files and links change
only through the services, so reference counts, graph rows and events stay right."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import BaseAppException
from projects.admin import ServiceErrorsAsMessages, service_error_text
from workspace.files import selectors, services
from workspace.files.models import Blob, File, PublicLink


@admin.register(File)
class FileAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "mime_type",
        "size",
        "download_count",
        "project",
        "is_public",
        "created_at",
    )
    list_filter = ("mime_type", ("project", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "sha256", "owner__email")
    list_select_related = ("owner", "project")
    date_hierarchy = "created_at"
    fields = (
        "name",
        "owner",
        "project",
        "mime_type",
        "size",
        "sha256",
        "blob",
        "download_count",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "owner",
        "project",
        "mime_type",
        "size",
        "sha256",
        "blob",
        "download_count",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return selectors.with_public_flag(super().get_queryset(request))

    @admin.display(description=_("public"), boolean=True, ordering="is_public")
    def is_public(self, obj: File) -> bool:
        return obj.is_public

    def has_add_permission(self, request) -> bool:
        return False  # files arrive as uploads, through the pages or the API

    def save_model(self, request, obj, form, change):
        if "name" in form.changed_data:
            services.file_update(
                actor=request.user, file=File.objects.get(pk=obj.pk), name=obj.name
            )

    def delete_model(self, request, obj):
        services.file_delete(actor=request.user, file=obj)

    def delete_queryset(self, request, queryset):
        for file in queryset:
            services.file_delete(actor=request.user, file=file)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A file's links go with it; nobody deletes link rows one by one.
        perms_needed.discard(str(PublicLink._meta.verbose_name))
        return deleted, counts, perms_needed, protected


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    """Stored contents and who uses them: read only, the services keep them."""

    list_display = ("sha256", "size", "refcount", "file_count", "created_at")
    search_fields = ("sha256",)
    date_hierarchy = "created_at"
    fields = ("sha256", "size", "refcount", "file_count", "storage_name", "files", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(file_count=Count("files"))

    @admin.display(description=_("files using it"), ordering="file_count")
    def file_count(self, obj: Blob) -> int:
        return obj.file_count

    @admin.display(description=_("files"))
    def files(self, obj: Blob):
        return format_html_join(
            "",
            "<div>{} ({})</div>",
            ((file.name, file.owner.email) for file in obj.files.select_related("owner")),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PublicLink)
class PublicLinkAdmin(admin.ModelAdmin):
    list_display = (
        "file",
        "created_by",
        "expires_at",
        "max_downloads",
        "download_count",
        "revoked_at",
        "valid",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    search_fields = ("file__name", "created_by__email")
    list_select_related = ("file", "created_by")
    actions = ["revoke"]
    readonly_fields = (
        "file",
        "created_by",
        "expires_at",
        "max_downloads",
        "download_count",
        "created_at",
        "revoked_at",
    )
    fields = readonly_fields

    @admin.display(description=_("valid"), boolean=True)
    def valid(self, obj: PublicLink) -> bool:
        return obj.is_valid

    @admin.action(description=_("Revoke the selected links"))
    def revoke(self, request, queryset):
        revoked = 0
        for link in queryset.filter(revoked_at__isnull=True).select_related("file"):
            try:
                services.public_link_revoke(actor=request.user, file=link.file)
            except BaseAppException as exc:
                self.message_user(request, service_error_text(exc), messages.ERROR)
            else:
                revoked += 1
        self.message_user(
            request, _("%(count)d links revoked.") % {"count": revoked}, messages.SUCCESS
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
