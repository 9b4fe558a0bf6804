"""Staff screens for mail: an audit view. Staff read messages with their recipients (bcc
included: this is the audit trail), attachments and who holds a copy where; nothing here
writes mail, so sent mail can never be edited and drafts change only through their sender."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from workspace.mail.models import MailAttachment, MailboxEntry, MailMessage, MailRecipient


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecipientInline(ReadOnlyInline):
    model = MailRecipient
    fields = ("kind", "user", "position")
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class AttachmentInline(ReadOnlyInline):
    model = MailAttachment
    fields = ("file", "position")
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("file")


class CopyInline(ReadOnlyInline):
    model = MailboxEntry
    fields = ("user", "held_as", "folder", "is_read", "notified_at", "created_at")
    verbose_name = _("copy")
    verbose_name_plural = _("copies (who holds the message, in which folder)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "recipient")

    @admin.display(description=_("held as"))
    def held_as(self, entry: MailboxEntry) -> str:
        if entry.recipient is None:
            return str(_("sender"))
        return entry.recipient.get_kind_display()


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "sender", "status", "sent_at", "thread", "created_at")
    list_filter = ("status",)
    search_fields = ("subject", "sender__email")
    list_select_related = ("sender", "thread")
    date_hierarchy = "created_at"
    fields = (
        "sender",
        "subject",
        "body",
        "status",
        "thread",
        "in_reply_to",
        "sent_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [RecipientInline, AttachmentInline, CopyInline]

    def has_add_permission(self, request):
        return False  # mail is written by its sender, on the pages and through the API

    def has_change_permission(self, request, obj=None):
        return False  # an audit view: bodies and recipients are read-only

    def has_delete_permission(self, request, obj=None):
        return False
