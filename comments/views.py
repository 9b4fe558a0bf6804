"""Comment pages, mounted at /comments/: the thread's forms post here (new comment or reply,
edit, delete) and come back to the task or document page; attachments download through the
comment. The thread itself is drawn on the target's page by the ``comments_thread`` tag.

Thin, like the API: the target is loaded through comments.selectors (a target the user may
not see is a 404), one service writes, and its refusals become a message on the page.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views import View

from comments import selectors, services
from nexus_site.exceptions import BaseAppException, GoneError, NotFoundError, error_text
from workspace.files.responses import counted_download
from workspace.files.views import public_error


def visible_or_404(load, *args):
    try:
        return load(*args)
    except NotFoundError as exc:
        raise Http404 from exc


def refused_message(target: selectors.Target, email: str) -> str:
    if target.kind == selectors.TASK:
        return _("%(person)s cannot see this task and was not notified.") % {"person": email}
    return _("%(person)s cannot see this document and was not notified.") % {"person": email}


def back(target: selectors.Target, comment=None) -> HttpResponseRedirect:
    anchor = f"#comment-{comment.pk}" if comment is not None else "#comments"
    return HttpResponseRedirect(target.page_url() + anchor)


class CommentForm(forms.Form):
    body = forms.CharField(required=False, max_length=services.MAX_BODY_LENGTH, strip=False)
    reply_to = forms.UUIDField(required=False)
    attachment = forms.UUIDField(required=False)


class EditForm(forms.Form):
    body = forms.CharField(required=False, max_length=services.MAX_BODY_LENGTH, strip=False)


class CommentCreateView(LoginRequiredMixin, View):
    """Post a comment or a reply on the task or document of the URL."""

    http_method_names = ["post"]
    kind = selectors.TASK

    def post(self, request, target_id):
        load = selectors.task_target if self.kind == selectors.TASK else selectors.document_target
        target = visible_or_404(load, request.user, target_id)
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The comment could not be posted: check its length."))
            return back(target)
        data = form.cleaned_data
        try:
            written = services.comment_create(
                actor=request.user,
                target=target,
                body=data["body"],
                reply_to=data["reply_to"],
                attachments=[data["attachment"]] if data["attachment"] else [],
            )
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return back(target)
        for email in written.mentions_refused:
            messages.warning(request, refused_message(target, email))
        return back(target, written.comment)


class DocumentCommentCreateView(CommentCreateView):
    kind = selectors.DOCUMENT


class CommentEditView(LoginRequiredMixin, View):
    """Change a comment's body (its author, or who manages the target)."""

    http_method_names = ["post"]

    def post(self, request, comment_id):
        target, comment = visible_or_404(selectors.target_of_comment, request.user, comment_id)
        form = EditForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The comment could not be saved: check its length."))
            return back(target, comment)
        try:
            written = services.comment_edit(
                actor=request.user, target=target, comment=comment, body=form.cleaned_data["body"]
            )
        except NotFoundError as exc:
            raise Http404 from exc
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return back(target, comment)
        for email in written.mentions_refused:
            messages.warning(request, refused_message(target, email))
        return back(target, comment)


class CommentDeleteView(LoginRequiredMixin, View):
    """Delete a comment, leaving a marker (its author, or who manages the target)."""

    http_method_names = ["post"]

    def post(self, request, comment_id):
        target, comment = visible_or_404(selectors.target_of_comment, request.user, comment_id)
        try:
            services.comment_delete(actor=request.user, target=target, comment=comment)
        except NotFoundError as exc:
            raise Http404 from exc
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return back(target, comment)
        messages.success(request, _("The comment was deleted."))
        return back(target, comment)


class AttachmentDownloadPage(LoginRequiredMixin, View):
    """Stream a file attached to a comment of a task or document the user may see."""

    http_method_names = ["get"]

    def get(self, request, comment_id, file_id):
        target, _comment = visible_or_404(selectors.target_of_comment, request.user, comment_id)
        file = visible_or_404(selectors.attachment_get, target, comment_id, file_id)
        try:
            return counted_download(request, file)
        except GoneError as exc:
            return public_error(request, exc)
