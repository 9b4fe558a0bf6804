"""The API shape of a message just posted, written from what the post holds.

``ChatMessageOutputSerializer`` (workspace.chat.api.serializers) is the shape and stays the
OpenAPI response; re-reading a message just written to serialise it cost a third of a post
(bench/workspace_requests.py). A test holds the two equal.
"""

from typing import Any

from rest_framework.fields import DateTimeField

from workspace.chat.models import ChatMessage

_datetime = DateTimeField()


def timestamp(value) -> str | None:
    return None if value is None else _datetime.to_representation(value)


def posted_message_data(message: ChatMessage, *, author, files: list) -> dict[str, Any]:
    """Return ``message``, posted by ``author`` with ``files`` just now, as the API shows it: no
    replies and no edits yet."""
    return {
        "id": str(message.pk),
        "room": str(message.room_id),
        "author": str(author.pk),
        "author_name": author.full_name,
        "body": message.body,
        "reply_to": None if message.reply_to_id is None else str(message.reply_to_id),
        "reply_count": 0,
        "mentions": [str(pk) for pk in message.mentions],
        "attachments": [
            {"id": str(file.pk), "name": file.name, "size": file.size, "mime_type": file.mime_type}
            for file in files
        ],
        "edits": [],
        "created_at": timestamp(message.created_at),
        "edited_at": None,
        "deleted_at": None,
    }
