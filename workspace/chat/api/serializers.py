"""Input and output serializers of the chat API (also used to render socket frames).

Input serializers only parse shapes; the services decide the rules.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from workspace.chat.models import RoomKind
from workspace.chat.services import ADMIN, MAX_BODY_LENGTH, MAX_NAME_LENGTH, MEMBER


class ChatRoomCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RoomKind.choices)
    name = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    topic = serializers.CharField(max_length=300, required=False, allow_blank=True)
    members = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=200,
        help_text=_("User ids to add (channel, private); for direct, exactly the other user."),
    )
    project = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_("A project you may edit (channel, private): its members see the room."),
    )


class ChatRoomOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    topic = serializers.CharField()
    project = serializers.UUIDField(source="project_id", allow_null=True)
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    unread = serializers.IntegerField(help_text=_("Others' messages after the read pointer."))
    is_member = serializers.BooleanField()
    member_count = serializers.IntegerField()


class ChatMemberInputSerializer(serializers.Serializer):
    user = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[ADMIN, MEMBER], default=MEMBER)


class ChatMemberOutputSerializer(serializers.Serializer):
    user = serializers.UUIDField(source="source_id")
    email = serializers.EmailField(source="member.email")
    name = serializers.CharField(source="member.full_name")
    role = serializers.CharField()
    joined_at = serializers.DateTimeField(source="created_at")


class ChatMessageCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, required=False, allow_blank=True)
    reply_to = serializers.UUIDField(required=False, allow_null=True)
    attachments = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=10
    )


class ChatMessageUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH)


class ChatAttachmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="file.id")
    name = serializers.CharField(source="file.name")
    size = serializers.IntegerField(source="file.size")
    mime_type = serializers.CharField(source="file.mime_type")


class ChatEditOutputSerializer(serializers.Serializer):
    editor = serializers.UUIDField(source="editor_id", allow_null=True)
    old_body = serializers.CharField()
    edited_at = serializers.DateTimeField()


class ChatMessageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    room = serializers.UUIDField(source="room_id")
    author = serializers.UUIDField(source="author_id", allow_null=True)
    author_name = serializers.SerializerMethodField()
    body = serializers.CharField()
    reply_to = serializers.UUIDField(source="reply_to_id", allow_null=True)
    reply_count = serializers.IntegerField()
    mentions = serializers.ListField(child=serializers.UUIDField())
    attachments = ChatAttachmentOutputSerializer(many=True, source="attachments.all")
    edits = ChatEditOutputSerializer(many=True, source="edits.all")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)

    def get_author_name(self, message) -> str:
        return message.author.full_name if message.author else ""
