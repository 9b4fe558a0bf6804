"""Server-rendered mail pages: a mailbox per folder with unread counts and search, a message
with its reply form, the compose and draft forms, and a thread. Thin, like the API: they read
through workspace.mail.selectors (another user's message is 404) and write through its
services."""

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import ListView

from nexus_site.exceptions import BaseAppException, GoneError, NotFoundError, ValidationError
from workspace.files.responses import counted_download
from workspace.files.selectors import files_visible_to
from workspace.files.views import public_error
from workspace.mail import selectors, services
from workspace.mail.models import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    MailboxEntry,
    MailFolder,
    MailStatus,
    RecipientKind,
)

ATTACHABLE_FILES_SHOWN = 200
ADDRESS_FIELD_LENGTH = 10_000


def mine_or_404(load, *args):
    """Return what ``load`` finds; someone else's message is as missing as a deleted one."""
    try:
        return load(*args)
    except NotFoundError as exc:
        raise Http404 from exc


def with_addresses(entries):
    """Give each copy its address lists and files for the templates (from the prefetch)."""
    for entry in entries:
        entry.to_list = selectors.recipient_emails(entry, RecipientKind.TO)
        entry.cc_list = selectors.recipient_emails(entry, RecipientKind.CC)
        entry.bcc_list = selectors.recipient_emails(entry, RecipientKind.BCC)
        entry.files = selectors.attachment_files(entry)
    return entries


class ComposeForm(forms.Form):
    to = forms.CharField(
        label=pgettext_lazy("mail recipients", "To"),
        required=False,
        max_length=ADDRESS_FIELD_LENGTH,
        help_text=_("E-mail addresses, separated by commas."),
    )
    cc = forms.CharField(label=_("Cc"), required=False, max_length=ADDRESS_FIELD_LENGTH)
    bcc = forms.CharField(
        label=_("Bcc"),
        required=False,
        max_length=ADDRESS_FIELD_LENGTH,
        help_text=_("Only you will ever see these addresses."),
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=SUBJECT_MAX_LENGTH)
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    attachments = forms.MultipleChoiceField(
        label=_("Attachments"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Recipients may view these files once the message is sent."),
    )
    in_reply_to = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        files = files_visible_to(user).order_by("name", "id")[:ATTACHABLE_FILES_SHOWN]
        self.fields["attachments"].choices = [(str(file.pk), file.name) for file in files]

    def content(self) -> dict:
        data = self.cleaned_data
        return {
            "to": data["to"],
            "cc": data["cc"],
            "bcc": data["bcc"],
            "subject": data["subject"],
            "body": data["body"],
            "attachments": data["attachments"],
        }

    def add_service_error(self, exc: BaseAppException) -> None:
        """Show a refusal of the services next to the fields it names."""
        if not exc.details:
            self.add_error(None, str(exc.message))
            return
        for field, problems in exc.details.items():
            if field == "attachments" or field not in self.fields:
                self.add_error(field if field in self.fields else None, str(exc.message))
            else:
                self.add_error(field, [str(problem) for problem in problems])


def draft_initial(entry: MailboxEntry) -> dict:
    return {
        "to": ", ".join(entry.to_list),
        "cc": ", ".join(entry.cc_list),
        "bcc": ", ".join(entry.bcc_list),
        "subject": entry.message.subject,
        "body": entry.message.body,
        "attachments": [str(file.pk) for file in entry.files],
    }


def quoted(entry: MailboxEntry) -> str:
    lines = entry.message.body.splitlines() or [""]
    intro = _("%(sender)s wrote:") % {"sender": entry.message.sender.full_name}
    return "\n\n" + str(intro) + "\n" + "\n".join(f"> {line}" for line in lines)


def reply_initial(user, entry: MailboxEntry) -> dict:
    """Prefill a reply: to the sender, or to the same people when replying to one's own."""
    own = entry.message.sender_id == user.pk
    return {
        "to": ", ".join(entry.to_list) if own else entry.message.sender.email,
        "subject": services.reply_subject(entry.message.subject),
        "body": quoted(entry),
        "in_reply_to": entry.pk,
    }


class MailboxPage(LoginRequiredMixin, ListView):
    """One folder of the user's mailbox (inbox by default), searchable."""

    template_name = "workspace/mail/mailbox.html"
    context_object_name = "entries"
    paginate_by = 50

    def folder(self) -> str:
        folder = self.request.GET.get("folder", MailFolder.INBOX)
        return folder if folder in MailFolder.values else MailFolder.INBOX

    def search(self) -> str:
        return self.request.GET.get("search", "").strip()[:200]

    def get_queryset(self):
        entries = selectors.mailbox_of(self.request.user).filter(folder=self.folder())
        if self.search():
            entries = entries.filter(selectors.search_filter(self.request.user, self.search()))
        return entries

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        with_addresses(context["entries"])
        return {
            **context,
            "folder": self.folder(),
            "folder_label": MailFolder(self.folder()).label,
            "folders": selectors.folder_counts(self.request.user),
            "search": self.search(),
        }


class ComposePage(LoginRequiredMixin, View):
    """Write a new message (or a reply, with ?reply_to=<id>); save it as a draft or send it."""

    template_name = "workspace/mail/compose.html"

    def render_form(self, request, form, *, entry=None, status=200):
        context = {"form": form, "entry": entry, "folders": selectors.folder_counts(request.user)}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        initial = {}
        if request.GET.get("reply_to"):
            parent = mine_or_404(selectors.entry_get, request.user, request.GET["reply_to"])
            initial = reply_initial(request.user, with_addresses([parent])[0])
        return self.render_form(request, ComposeForm(user=request.user, initial=initial))

    def post(self, request):
        form = ComposeForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(request, form, status=422)
        send = "send" in request.POST
        try:
            parent = None
            if form.cleaned_data["in_reply_to"]:
                parent = selectors.entry_for_reply(request.user, form.cleaned_data["in_reply_to"])
            entry = services.mail_draft_create(
                actor=request.user, in_reply_to=parent, send=send, **form.content()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
            return self.render_form(request, form, status=422)
        return sent_or_saved(request, entry, send)


def sent_or_saved(request, entry: MailboxEntry, send: bool):
    if send:
        messages.success(request, _("Your message is sent."))
        return HttpResponseRedirect(reverse("mail:message", args=[entry.pk]))
    messages.success(request, _("Draft saved."))
    return HttpResponseRedirect(reverse("mail:edit", args=[entry.pk]))


class DraftEditPage(ComposePage):
    """Change a draft, then save or send it."""

    def get(self, request, entry_id):
        entry = with_addresses([mine_or_404(selectors.entry_get, request.user, entry_id)])[0]
        if entry.status != MailStatus.DRAFT or entry.folder != MailFolder.DRAFTS:
            return HttpResponseRedirect(reverse("mail:message", args=[entry.pk]))
        form = ComposeForm(user=request.user, initial=draft_initial(entry))
        form.fields["in_reply_to"].disabled = True
        return self.render_form(request, form, entry=entry)

    def post(self, request, entry_id):
        entry = mine_or_404(selectors.entry_get, request.user, entry_id)
        form = ComposeForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(request, form, entry=entry, status=422)
        send = "send" in request.POST
        try:
            entry = services.mail_draft_update(
                actor=request.user, entry=entry, send=send, **form.content()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
            return self.render_form(request, form, entry=entry, status=422)
        except BaseAppException as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("mail:message", args=[entry.pk]))
        return sent_or_saved(request, entry, send)


class MessagePage(LoginRequiredMixin, View):
    """One message of the user's, marked read on opening, with a reply form."""

    def get(self, request, entry_id):
        entry = mine_or_404(selectors.entry_get, request.user, entry_id)
        if not entry.is_read:
            services.mail_mark_read(actor=request.user, entry=entry, is_read=True)
        with_addresses([entry])
        reply_form = None
        if entry.message.sent_at is not None:
            reply_form = ComposeForm(user=request.user, initial=reply_initial(request.user, entry))
        context = {
            "entry": entry,
            "reply_form": reply_form,
            "folders": selectors.folder_counts(request.user),
        }
        return render(request, "workspace/mail/message.html", context)


class EntryActionView(LoginRequiredMixin, View):
    """A button on a message: call ``service`` on the user's copy, then back to a page.

    ``service`` is a write of workspace.mail.services taking ``actor`` and ``entry``.
    """

    http_method_names = ["post"]
    done_message = ""

    def next_url(self, entry: MailboxEntry) -> str:
        return reverse("mail:message", args=[entry.pk])

    def post(self, request, entry_id):
        entry = mine_or_404(selectors.entry_get, request.user, entry_id)
        try:
            entry = self.service(actor=request.user, entry=entry)
        except BaseAppException as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("mail:message", args=[entry.pk]))
        messages.success(request, self.done_message)
        return HttpResponseRedirect(self.next_url(entry))


class SendView(EntryActionView):
    service = staticmethod(services.mail_send)
    done_message = _("Your message is sent.")


class TrashView(EntryActionView):
    service = staticmethod(services.mail_trash)
    done_message = _("Moved to the trash.")

    def next_url(self, entry):
        return reverse("mail:inbox") + f"?folder={entry.previous_folder}"


class RestoreView(EntryActionView):
    service = staticmethod(services.mail_restore)
    done_message = _("Restored from the trash.")


class MarkUnreadView(EntryActionView):
    service = staticmethod(partial(services.mail_mark_read, is_read=False))
    done_message = _("Marked as unread.")

    def next_url(self, entry):
        return reverse("mail:inbox") + f"?folder={entry.folder}"


class ThreadPage(LoginRequiredMixin, View):
    """The messages of one thread that the user sent or received, oldest first."""

    def get(self, request, thread_id):
        thread = mine_or_404(selectors.thread_get, request.user, thread_id)
        with_addresses(thread.messages)
        context = {"thread": thread, "folders": selectors.folder_counts(request.user)}
        return render(request, "workspace/mail/thread.html", context)


class AttachmentDownloadPage(LoginRequiredMixin, View):
    """Stream a file attached to the user's copy (bcc recipients download it this way too)."""

    http_method_names = ["get"]

    def get(self, request, entry_id, file_id):
        file = mine_or_404(selectors.attachment_get, request.user, entry_id, file_id)
        try:
            return counted_download(request, file)
        except GoneError as exc:
            return public_error(request, exc)
