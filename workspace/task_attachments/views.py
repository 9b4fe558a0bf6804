"""Task attachment pages, mounted at /task-attachments/: the task page's forms post here
(upload a new file or pick one of mine, remove one) and come back to the task page; an
attached file downloads through the task. The list itself is drawn on the task page by the
``task_attachments`` tag (workspace/templatetags/task_attachments.py).

Thin, like the API: the task is loaded through task_attachments.selectors (a task the user may
not see is a 404), one service writes, and its refusals become a message on the page.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from nexus_site.exceptions import BaseAppException, GoneError, NotFoundError
from workspace.files.responses import counted_download
from workspace.files.uploads import guard_upload
from workspace.files.views import public_error
from workspace.task_attachments import selectors, services


def visible_or_404(load, *args):
    try:
        return load(*args)
    except NotFoundError as exc:
        raise Http404 from exc


def back(task_id) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("projects:task", args=[task_id]) + "#attachments")


class AttachForm(forms.Form):
    upload = forms.FileField(required=False)
    existing = forms.UUIDField(required=False)


@method_decorator(csrf_exempt, name="dispatch")  # the CSRF check runs in post(), see there
class TaskAttachmentAddView(LoginRequiredMixin, View):
    """Attach a new upload, or one of the user's files, to the task of the URL."""

    http_method_names = ["post"]

    def post(self, request, task_id):
        # The size guard must be in place before anything parses the body, CSRF check included.
        try:
            guard_upload(request)
        except BaseAppException as exc:
            task, _level = visible_or_404(selectors.task_and_level, request.user, task_id)
            messages.error(request, exc.message)
            return back(task.pk)
        return csrf_protect(self.attach)(request, task_id)

    def attach(self, request, task_id):
        task, _level = visible_or_404(selectors.task_and_level, request.user, task_id)
        try:
            form = AttachForm(request.POST, request.FILES)
            valid = form.is_valid()
        except BaseAppException as exc:
            messages.error(request, exc.message)
            return back(task.pk)
        data = form.cleaned_data if valid else {}
        if not data.get("upload") and not data.get("existing"):
            messages.error(request, _("Choose a file to upload or one of your files."))
            return back(task.pk)
        try:
            if data.get("upload"):
                attachment = services.task_attachment_upload(
                    actor=request.user, task=task, upload=data["upload"]
                )
            else:
                attachment = services.task_attachment_add(
                    actor=request.user, task=task, file_id=data["existing"]
                )
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Attached %(name)s.") % {"name": attachment.file.name})
        return back(task.pk)


class TaskAttachmentRemoveView(LoginRequiredMixin, View):
    """Remove a file from the task's attachments (the file stays its owner's)."""

    http_method_names = ["post"]

    def post(self, request, task_id, file_id):
        task, _level = visible_or_404(selectors.task_and_level, request.user, task_id)
        attachment = visible_or_404(selectors.task_attachment_get, task, file_id)
        try:
            services.task_attachment_remove(actor=request.user, task=task, file=attachment.file)
        except BaseAppException as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Removed %(name)s.") % {"name": attachment.file.name})
        return back(task.pk)


class TaskAttachmentDownloadPage(LoginRequiredMixin, View):
    """Stream a file attached to a task the user may see."""

    http_method_names = ["get"]

    def get(self, request, task_id, file_id):
        task, _level = visible_or_404(selectors.task_and_level, request.user, task_id)
        attachment = visible_or_404(selectors.task_attachment_get, task, file_id)
        try:
            return counted_download(request, attachment.file)
        except GoneError as exc:
            return public_error(request, exc)
