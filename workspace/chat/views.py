"""Server-rendered chat pages: the room list with unread badges and forms to create a room or
start a direct conversation, and a room page whose message pane is live over /ws/chat/<id>/
(static/workspace/chat/room.js). Reads through chat.selectors, writes through chat.services."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from nexus_site.exceptions import BaseAppException, GoneError, NotFoundError, error_text
from workspace.chat import selectors, services
from workspace.chat.consumers import format_cursor
from workspace.chat.models import RoomKind
from workspace.files.responses import counted_download
from workspace.files.views import public_error

PANE_SIZE = 50
SIDEBAR_SIZE = 50  # the user's rooms beside a room
MEMBERS_SHOWN = 100


class NewRoomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=services.MAX_NAME_LENGTH)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(RoomKind.CHANNEL, _("Public channel")), (RoomKind.PRIVATE, _("Private room"))],
    )


class DirectForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the person"))


class RoomListPage(LoginRequiredMixin, ListView):
    template_name = "workspace/chat/list.html"
    context_object_name = "rooms"
    paginate_by = 50

    def get_queryset(self):
        return selectors.rooms_with_unread(self.request.user).order_by("-last_message_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            new_form=NewRoomForm(), direct_form=DirectForm(), **kwargs
        )
        rooms = context["rooms"] = context["object_list"] = list(context["rooms"])
        selectors.name_direct_rooms(self.request.user, rooms)
        return context


class RoomCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = NewRoomForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the room a name and a kind."))
            return HttpResponseRedirect(reverse("chat:list"))
        try:
            room = services.room_create(actor=request.user, **form.cleaned_data)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("chat:list"))
        return HttpResponseRedirect(reverse("chat:room", args=[room.pk]))


class DirectOpenView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = DirectForm(request.POST)
        other = None
        if form.is_valid():
            other = (
                get_user_model()
                .objects.filter(email__iexact=form.cleaned_data["email"], is_active=True)
                .first()
            )
        if other is None:
            messages.error(request, _("Nobody has this e-mail address."))
            return HttpResponseRedirect(reverse("chat:list"))
        try:
            room, _created = services.direct_open(actor=request.user, other=other)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("chat:list"))
        return HttpResponseRedirect(reverse("chat:room", args=[room.pk]))


class RoomPage(LoginRequiredMixin, TemplateView):
    """The last messages, oldest first, and a live pane; opening the room marks it read."""

    template_name = "workspace/chat/room.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            room = selectors.room_get(user, kwargs["room_id"])
        except NotFoundError as exc:
            raise Http404 from exc
        services.room_mark_read(actor=user, room=room)
        latest = list(selectors.room_messages(room).order_by("-created_at", "-id")[:PANE_SIZE])
        top_level = threaded(latest[::-1])
        members = selectors.member_list(room, limit=MEMBERS_SHOWN)
        title = room.name
        if room.kind == RoomKind.DIRECT:
            title = ", ".join(person.full_name for person, _role in members if person != user)
        return super().get_context_data(
            room=room,
            title=title,
            members=members,
            sidebar_rooms=selectors.rooms_of_member(user, limit=SIDEBAR_SIZE),
            chat_messages=top_level,
            user_id=str(user.pk),
            is_room_admin=services.is_room_admin(user, room),
            my_files=selectors.files_to_attach(user),
            # Where the live socket resumes after a drop: changes after this render.
            cursor=format_cursor(timezone.now()),
            **kwargs,
        )


def threaded(messages: list) -> list:
    """Return the messages (oldest first) whose thread root is not in the pane; each message
    gets ``thread``: its replies in the pane, oldest first (threads are one level deep)."""
    by_id = {message.pk: message for message in messages}
    for message in messages:
        message.thread = []
    top_level = []
    for message in messages:
        root = by_id.get(message.reply_to_id)
        if root is None:
            top_level.append(message)
        else:
            root.thread.append(message)
    return top_level


class AttachmentDownloadPage(LoginRequiredMixin, View):
    """Stream a file attached to a message of a room the user may read."""

    http_method_names = ["get"]

    def get(self, request, room_id, message_id, file_id):
        try:
            file = selectors.attachment_get(request.user, room_id, message_id, file_id)
        except NotFoundError as exc:
            raise Http404 from exc
        try:
            return counted_download(request, file)
        except GoneError as exc:
            return public_error(request, exc)
