"""The chat API: rooms, members, messages (cursor-paginated, newest first), read pointers.

Each view parses its input with an input serializer, loads the room through chat.selectors
(404 for what the caller may not see), calls one service (403 for what the caller may see but
not change) and re-reads through the selector to render.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from nexus_site.exceptions import NotFoundError, ValidationError
from projects import selectors as project_selectors
from workspace.chat import selectors, services
from workspace.chat.api import serializers as s
from workspace.chat.models import ChatMessage, Room, RoomKind
from workspace.files.responses import counted_download

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 422: E422}
TAGS = ["chat"]


class MessageCursorPagination(CursorPagination):
    """History newest first by (created_at, id); follow ``next`` for older messages."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


def body_user(user_id, field: str = "user"):
    user = selectors.user_by_id(user_id)
    if user is None:
        raise ValidationError(details={field: [str(_("No such user."))]})
    return user


def message_body(room: Room, message_id) -> dict:
    return s.ChatMessageOutputSerializer(selectors.message_get(room, message_id)).data


class RoomListView(GenericAPIView):
    queryset = Room.objects.none()
    serializer_class = s.ChatRoomOutputSerializer
    search_fields = ["name", "topic"]
    ordering_fields = ["name", "created_at", "last_message_at"]

    @extend_schema(
        operation_id="chat_rooms_list",
        tags=TAGS,
        summary=_("Rooms the caller may read, with unread counts"),
        responses={200: s.ChatRoomOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        rooms = selectors.rooms_with_unread(request.user)
        page = self.paginate_queryset(self.filter_queryset(rooms))
        return self.get_paginated_response(s.ChatRoomOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="chat_rooms_create",
        tags=TAGS,
        summary=_("Create a channel or private room, or open the direct conversation"),
        description=_(
            "For kind=direct send members=[the other user]; the one conversation of the pair "
            "is returned (201 when new, 200 when it existed)."
        ),
        request=s.ChatRoomCreateInputSerializer,
        responses={
            201: s.ChatRoomOutputSerializer,
            200: s.ChatRoomOutputSerializer,
            **WRITE_ERRORS,
        },
    )
    def post(self, request):
        data = parsed(s.ChatRoomCreateInputSerializer, request)
        member_ids = data.get("members") or []
        if data["kind"] == RoomKind.DIRECT:
            if data.get("project") is not None:
                raise ValidationError(
                    details={"project": [str(_("A direct conversation has no project."))]}
                )
            if len(member_ids) != 1:
                raise ValidationError(details={"members": [str(_("Name exactly one other user."))]})
            room, created = services.direct_open(
                actor=request.user, other=body_user(member_ids[0], "members")
            )
        else:
            members = [body_user(pk, "members") for pk in member_ids]
            room = services.room_create(
                actor=request.user,
                kind=data["kind"],
                name=data.get("name", ""),
                topic=data.get("topic", ""),
                members=members,
                project=project_selectors.named_project(data.get("project")),
            )
            created = True
        room = selectors.room_get(request.user, room.pk)
        return Response(s.ChatRoomOutputSerializer(room).data, status=201 if created else 200)


class RoomDetailView(APIView):
    @extend_schema(
        operation_id="chat_rooms_retrieve",
        tags=TAGS,
        responses={200: s.ChatRoomOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, room_id):
        return Response(s.ChatRoomOutputSerializer(selectors.room_get(request.user, room_id)).data)


class RoomJoinView(APIView):
    @extend_schema(
        operation_id="chat_rooms_join",
        tags=TAGS,
        summary=_("Join a public channel"),
        request=None,
        responses={200: s.ChatRoomOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, room_id):
        room = selectors.room_get(request.user, room_id)
        services.room_join(actor=request.user, room=room)
        return Response(s.ChatRoomOutputSerializer(selectors.room_get(request.user, room_id)).data)


class RoomReadView(APIView):
    @extend_schema(
        operation_id="chat_rooms_read",
        tags=TAGS,
        summary=_("Mark the room read up to now (unread becomes 0)"),
        request=None,
        responses={200: s.ChatRoomOutputSerializer, **READ_ERRORS},
    )
    def post(self, request, room_id):
        room = selectors.room_get(request.user, room_id)
        services.room_mark_read(actor=request.user, room=room)
        return Response(s.ChatRoomOutputSerializer(selectors.room_get(request.user, room_id)).data)


class MemberListView(GenericAPIView):
    queryset = Room.objects.none()
    serializer_class = s.ChatMemberOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="chat_members_list",
        tags=TAGS,
        responses={200: s.ChatMemberOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, room_id):
        room = selectors.room_get(request.user, room_id)
        page = self.paginate_queryset(selectors.room_members(room))
        users = selectors.users_by_id(edge.source_id for edge in page)
        for edge in page:
            edge.member = users[edge.source_id]
            edge.role = services.edge_role(edge)
        return self.get_paginated_response(s.ChatMemberOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="chat_members_add",
        tags=TAGS,
        summary=_("Add a member (room admins)"),
        request=s.ChatMemberInputSerializer,
        responses={201: None, **WRITE_ERRORS},
    )
    def post(self, request, room_id):
        room = selectors.room_get(request.user, room_id)
        data = parsed(s.ChatMemberInputSerializer, request)
        services.room_member_add(
            actor=request.user, room=room, user=body_user(data["user"]), role=data["role"]
        )
        return Response(status=201)


class MemberDetailView(APIView):
    @extend_schema(
        operation_id="chat_members_remove",
        tags=TAGS,
        summary=_("Remove a member (room admins), or leave (yourself)"),
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request, room_id, user_id):
        room = selectors.room_get(request.user, room_id)
        user = selectors.user_by_id(user_id)
        if user is None:
            raise NotFoundError()
        services.room_member_remove(actor=request.user, room=room, user=user)
        return Response(status=204)


class MessageListView(GenericAPIView):
    queryset = ChatMessage.objects.none()
    serializer_class = s.ChatMessageOutputSerializer
    pagination_class = MessageCursorPagination
    filter_backends: list = []

    @extend_schema(
        operation_id="chat_messages_list",
        tags=TAGS,
        summary=_("The room's history, newest first, by cursor (?cursor=&limit=)"),
        responses={200: s.ChatMessageOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, room_id):
        room = selectors.room_get(request.user, room_id)
        page = self.paginate_queryset(selectors.room_messages(room))
        return self.get_paginated_response(s.ChatMessageOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="chat_messages_create",
        tags=TAGS,
        summary=_("Post a message (posting in a public channel joins it)"),
        request=s.ChatMessageCreateInputSerializer,
        responses={201: s.ChatMessageOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, room_id):
        room = selectors.room_to_post_in(request.user, room_id)
        data = parsed(s.ChatMessageCreateInputSerializer, request)
        message = services.message_post(
            actor=request.user,
            room=room,
            body=data.get("body", ""),
            reply_to=data.get("reply_to"),
            attachments=data.get("attachments") or [],
        )
        return Response(message.rendered, status=201)


class MessageDetailView(APIView):
    @extend_schema(
        operation_id="chat_messages_retrieve",
        tags=TAGS,
        responses={200: s.ChatMessageOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, room_id, message_id):
        room = selectors.room_get(request.user, room_id)
        return Response(message_body(room, message_id))

    @extend_schema(
        operation_id="chat_messages_partial_update",
        tags=TAGS,
        summary=_("Edit your message (the old body is kept in edits)"),
        request=s.ChatMessageUpdateInputSerializer,
        responses={200: s.ChatMessageOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, room_id, message_id):
        room = selectors.room_get(request.user, room_id)
        message = selectors.message_get(room, message_id)
        data = parsed(s.ChatMessageUpdateInputSerializer, request)
        services.message_edit(actor=request.user, message=message, body=data["body"])
        return Response(message_body(room, message_id))

    @extend_schema(
        operation_id="chat_messages_destroy",
        tags=TAGS,
        summary=_("Delete a message (its author or a room admin); a marker stays"),
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request, room_id, message_id):
        room = selectors.room_get(request.user, room_id)
        message = selectors.message_get(room, message_id)
        services.message_delete(actor=request.user, message=message)
        return Response(status=204)


class AttachmentDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The body is the file whatever the client accepts; errors still render as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="chat_attachments_download",
        tags=TAGS,
        summary=_("Download a file attached to a message of the room"),
        description=_(
            "Whoever may read the message may download its attachments; they gain no access "
            "to the file itself."
        ),
        responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
    )
    def get(self, request, room_id, message_id, file_id):
        file = selectors.attachment_get(request.user, room_id, message_id, file_id)
        return counted_download(request, file)
