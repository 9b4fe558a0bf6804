"""No input a client can send makes a workspace endpoint answer 500: every field of every write,
and the query parameters of the lists, stats and diff, with values of every wrong shape."""

import itertools

import pytest

from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db
GARBAGE = [
    None,
    "",
    "x",
    -1,
    10**30,
    [],
    {},
    {"a": 1},
    [1, 2],
    True,
    "2026-13-45",
    "01930000-0000-7000-8000-000000000000",
]


def test_wrong_shaped_input_never_answers_500(auth_client, user):
    doc = DocumentFactory(owner=user, title="T", doc_type="word")
    f = upload_file(user)
    posts = [
        ("/api/v1/documents/", ["title", "doc_type", "content", "project"]),
        (f"/api/v1/documents/{doc.pk}/shares/", ["user", "permission", "expires_at"]),
        (f"/api/v1/documents/{doc.pk}/attachments/", ["file"]),
        (
            "/api/v1/ai/interactions/",
            [
                "module",
                "model",
                "usage",
                "latency_ms",
                "status",
                "cost",
                "occurred_at",
                "project",
                "prompt",
            ],
        ),
        (f"/api/v1/files/{f.pk}/public-link/", ["expires_at", "max_downloads"]),
    ]
    bad = []
    for url, fields in posts:
        for field, value in itertools.product(fields, GARBAGE):
            r = auth_client.post(url, {field: value}, format="json")
            if r.status_code >= 500:
                bad.append((url, field, value, r.status_code))
    for field, value in itertools.product(["version", "title", "content"], GARBAGE):
        r = auth_client.patch(
            f"/api/v1/documents/{doc.pk}/",
            {field: value, "version": 1} if field != "version" else {field: value},
            format="json",
        )
        if r.status_code >= 500:
            bad.append(("patch", field, value, r.status_code))
    for field, value in itertools.product(["name", "project"], GARBAGE):
        r = auth_client.patch(f"/api/v1/files/{f.pk}/", {field: value}, format="json")
        if r.status_code >= 500:
            bad.append(("fpatch", field, value, r.status_code))
    for q in [
        "group_by=model&from=x",
        "group_by=zzz",
        "group_by=day&from=2026-01-01&to=2025-01-01",
        "from=2026-01-01T00:00:00&to=",
        "group_by=user&limit=x",
    ]:
        r = auth_client.get(f"/api/v1/ai/stats/?{q}")
        if r.status_code >= 500:
            bad.append(("stats", q, r.status_code))
    for q in [
        "from=1&to=2",
        "deleted=maybe",
        "ordering=zzz",
        "limit=-1",
        "offset=x",
        "project=notauuid",
        "doc_type=zzz",
    ]:
        for base in ["/api/v1/documents/", "/api/v1/files/", "/api/v1/ai/interactions/"]:
            r = auth_client.get(f"{base}?{q}")
            if r.status_code >= 500:
                bad.append((base, q, r.status_code))
    for q in ["from=a&to=b", "from=&to=", "from=1", "to=x"]:
        r = auth_client.get(f"/api/v1/documents/{doc.pk}/diff/?{q}")
        if r.status_code >= 500:
            bad.append(("diff", q, r.status_code))
    assert bad == []


def test_wrong_shaped_input_to_mail_and_chat_never_answers_500(auth_client, user, other_user):
    draft = write(user, to=[other_user], send=False)
    room = make_room(user, members=[other_user])
    message = post(user, room, "hello")
    writes = [
        ("post", "/api/v1/mail/messages/", ["to", "cc", "bcc", "subject", "body", "attachments"]),
        ("post", "/api/v1/mail/messages/", ["in_reply_to"]),
        ("patch", f"/api/v1/mail/messages/{draft.pk}/", ["to", "subject", "is_read"]),
        ("post", "/api/v1/chat/rooms/", ["kind", "name", "members", "project", "topic"]),
        ("post", f"/api/v1/chat/rooms/{room.pk}/members/", ["user", "role"]),
        ("post", f"/api/v1/chat/rooms/{room.pk}/messages/", ["body", "reply_to", "attachments"]),
        ("patch", f"/api/v1/chat/rooms/{room.pk}/messages/{message.pk}/", ["body"]),
    ]
    bad = []
    for method, url, fields in writes:
        for field, value in itertools.product(fields, GARBAGE):
            response = getattr(auth_client, method)(url, {field: value}, format="json")
            if response.status_code >= 500:
                bad.append((method, url, field, value, response.status_code))
    for query in ["folder=zzz", "is_read=maybe", "ordering=zzz", "limit=x", "thread=nope"]:
        response = auth_client.get(f"/api/v1/mail/messages/?{query}")
        if response.status_code >= 500:
            bad.append(("mail list", query, response.status_code))
    for query in ["cursor=garbage", "limit=-5", "limit=x"]:
        response = auth_client.get(f"/api/v1/chat/rooms/{room.pk}/messages/?{query}")
        if response.status_code >= 500:
            bad.append(("chat history", query, response.status_code))
    response = auth_client.post(
        f"/api/v1/mail/messages/{draft.pk}/send/", "[", content_type="application/json"
    )
    if response.status_code >= 500:
        bad.append(("send with broken JSON", response.status_code))
    assert bad == []
