"""The authorization matrix, generated from the URL configuration.

Every API route and page whose path takes an object id is walked from the resolver. For each,
``ROUTES`` names the object behind the id, made for user A by ``tests.owned_objects``; then

- user B (no relation to A's objects) gets 404 for every method the route allows;
- a viewer of the object (a guest of its project, a view share, a mail recipient) gets 403 or
  404 for every write.

A route without an entry fails ``test_every_route_with_an_object_id_is_in_the_matrix``: add it
to ``ROUTES`` (or, when its id names no object of a user, to ``NOT_AN_OBJECT`` with the reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

import pytest
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.services import personal_token_create
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.tests.isolation import clear_cache
from notifications.tests.factories import notification_for
from tests.owned_objects import OwnedObjects, owned_objects

WRITES = ("POST", "PUT", "PATCH", "DELETE")
METHODS = ("GET", "HEAD", *WRITES)
Kwargs = Callable[[OwnedObjects], dict]


def document(o: OwnedObjects) -> dict:
    return {"document_id": o.document.pk}


def room(o: OwnedObjects) -> dict:
    return {"room_id": o.room.pk}


def project(o: OwnedObjects) -> dict:
    return {"project_id": o.project.pk}


def task(o: OwnedObjects) -> dict:
    return {"task_id": o.task.pk}


def file(o: OwnedObjects) -> dict:
    return {"file_id": o.file.pk}


def sent(o: OwnedObjects) -> dict:
    return {"entry_id": o.sent.pk}


def pattern(o: OwnedObjects) -> dict:
    return {"key": o.pattern.key}


def execution(o: OwnedObjects) -> dict:
    return {"execution_id": o.execution.pk}


def webhook(o: OwnedObjects) -> dict:
    return {"webhook_id": o.webhook_delivery.subscription_id}


def webhook_delivery(o: OwnedObjects) -> dict:
    return {**webhook(o), "delivery_id": o.webhook_delivery.pk}


# Route name -> the URL kwargs of one of A's objects.
def personal_token_of(user):
    return personal_token_create(
        owner=user,
        name=f"matrix {uuid4()}",
        scopes=["projects:read"],
        expires_at=timezone.now() + timedelta(days=1),
    ).token


ROUTES: dict[str, Kwargs] = {
    # projects
    "projects-api:project-detail": project,
    "projects-api:project-members": project,
    "projects-api:project-member": lambda o: {**project(o), "user_id": o.member.pk},
    "projects-api:project-activity": project,
    "projects-api:project-schedule": project,
    "projects-api:task-detail": task,
    "projects-api:task-dependencies": task,
    "projects-api:task-dependency": lambda o: {**task(o), "depends_on_id": o.depends_on.pk},
    "projects:board": project,
    "projects:schedule": project,
    "projects:task": task,
    "projects:task-move": task,
    "projects:edit": project,
    "projects:archive": project,
    "projects:delete": project,
    "projects:members": project,
    "projects:task-add": project,
    "projects:task-delete": task,
    "projects:task-dependencies": task,
    "task-attachments-api:task-attachments": task,
    "task-attachments-api:task-attachment": lambda o: {**task(o), "file_id": o.task_file.pk},
    "task-attachments-api:task-attachment-download": lambda o: {
        **task(o),
        "file_id": o.task_file.pk,
    },
    "task-attachments:add": task,
    "task-attachments:download": lambda o: {**task(o), "file_id": o.task_file.pk},
    "task-attachments:remove": lambda o: {**task(o), "file_id": o.task_file.pk},
    # documents
    "documents-api:document-detail": document,
    "documents-api:document-restore": document,
    "documents-api:document-versions": document,
    "documents-api:document-version": lambda o: {**document(o), "number": 1},
    "documents-api:document-version-restore": lambda o: {**document(o), "number": 1},
    "documents-api:document-diff": document,
    "documents-api:document-shares": document,
    "documents-api:document-share": lambda o: {**document(o), "user_id": o.viewer.pk},
    "documents-api:document-export": document,
    "documents-api:document-attachments": document,
    "documents-api:document-attachment": lambda o: {**document(o), "file_id": o.attachment.pk},
    "documents-api:document-attachment-download": lambda o: {
        **document(o),
        "file_id": o.attachment.pk,
    },
    "documents:editor": document,
    "documents:history": document,
    "documents:version-restore": lambda o: {**document(o), "number": 1},
    "documents:delete": document,
    "documents:restore": document,
    "documents:shares": document,
    # files
    "files-api:file-detail": file,
    "files-api:file-download": file,
    "files-api:file-public-link": file,
    "files:download": file,
    "files:delete": file,
    "files:public-link": file,
    "files:public-link-revoke": file,
    "files:detail": file,
    # mail: A's own copy of a message A sent to the viewer
    "mail-api:message-detail": sent,
    "mail-api:message-send": lambda o: {"entry_id": o.draft.pk},
    "mail-api:message-restore": sent,
    "mail-api:attachment-download": lambda o: {**sent(o), "file_id": o.mail_file.pk},
    "mail-api:thread": lambda o: {"thread_id": o.sent.message.thread_id},
    "mail:thread": lambda o: {"thread_id": o.sent.message.thread_id},
    "mail:message": sent,
    "mail:edit": lambda o: {"entry_id": o.draft.pk},
    "mail:send": lambda o: {"entry_id": o.draft.pk},
    "mail:trash": sent,
    "mail:restore": sent,
    "mail:unread": sent,
    "mail:attachment": lambda o: {**sent(o), "file_id": o.mail_file.pk},
    # chat
    "chat-api:room-detail": room,
    "chat-api:room-join": room,
    "chat-api:room-read": room,
    "chat-api:members": room,
    "chat-api:member-detail": lambda o: {**room(o), "user_id": o.member.pk},
    "chat-api:messages": room,
    "chat-api:message-detail": lambda o: {**room(o), "message_id": o.message.pk},
    "chat-api:attachment-download": lambda o: {
        **room(o),
        "message_id": o.message.pk,
        "file_id": o.chat_file.pk,
    },
    "chat:room": room,
    "chat:attachment": lambda o: {
        **room(o),
        "message_id": o.message.pk,
        "file_id": o.chat_file.pk,
    },
    # comments
    "comments-api:task-comments": lambda o: {"target_id": o.task.pk},
    "comments-api:task-comment-people": lambda o: {"target_id": o.task.pk},
    "comments-api:task-comment": lambda o: {"target_id": o.task.pk, "comment_id": o.comment.pk},
    "comments-api:task-comment-history": lambda o: {
        "target_id": o.task.pk,
        "comment_id": o.comment.pk,
    },
    "comments-api:task-comment-attachment": lambda o: {
        "target_id": o.task.pk,
        "comment_id": o.comment.pk,
        "file_id": o.comment_file.pk,
    },
    "comments-api:document-comments": lambda o: {"target_id": o.document.pk},
    "comments-api:document-comment-people": lambda o: {"target_id": o.document.pk},
    "comments-api:document-comment": lambda o: {
        "target_id": o.document.pk,
        "comment_id": o.document_comment.pk,
    },
    "comments-api:document-comment-history": lambda o: {
        "target_id": o.document.pk,
        "comment_id": o.document_comment.pk,
    },
    "comments-api:document-comment-attachment": lambda o: {
        "target_id": o.document.pk,
        "comment_id": o.document_comment.pk,
        "file_id": o.comment_file.pk,
    },
    "comments:task-create": lambda o: {"target_id": o.task.pk},
    "comments:document-create": lambda o: {"target_id": o.document.pk},
    "comments:edit": lambda o: {"comment_id": o.comment.pk},
    "comments:delete": lambda o: {"comment_id": o.comment.pk},
    "comments:attachment": lambda o: {"comment_id": o.comment.pk, "file_id": o.comment_file.pk},
    # patterns
    "patterns-api:pattern-detail": pattern,
    "patterns-api:pattern-versions": pattern,
    "patterns-api:pattern-version": lambda o: {**pattern(o), "number": 1},
    "patterns-api:pattern-validate": pattern,
    "patterns-api:pattern-execute": pattern,
    "patterns-api:pattern-dry-run": pattern,
    "patterns-api:pattern-stats": pattern,
    "patterns-api:execution-detail": execution,
    "patterns-api:execution-cancel": execution,
    "patterns:execution": execution,
    "patterns:execution-cancel": execution,
    "patterns:pattern": pattern,
    "patterns-api:execution-signal": lambda o: {"execution_id": o.execution.pk, "name": "approval"},
    "patterns:approval": lambda o: {"execution_id": o.execution.pk, "step_id": "only"},
    "patterns-api:trigger-detail": lambda o: {"trigger_id": o.trigger.pk},
    "patterns-api:trigger-runs": lambda o: {"trigger_id": o.trigger.pk},
    "patterns:trigger": lambda o: {"trigger_id": o.trigger.pk},
    "patterns:trigger-edit": lambda o: {"trigger_id": o.trigger.pk},
    "patterns:trigger-active": lambda o: {"trigger_id": o.trigger.pk},
    "patterns:trigger-delete": lambda o: {"trigger_id": o.trigger.pk},
    "patterns-api:schedule-detail": lambda o: {"schedule_id": o.schedule.pk},
    "patterns:schedule": lambda o: {"schedule_id": o.schedule.pk},
    "patterns:schedule-edit": lambda o: {"schedule_id": o.schedule.pk},
    "patterns:schedule-enabled": lambda o: {"schedule_id": o.schedule.pk},
    "patterns:schedule-delete": lambda o: {"schedule_id": o.schedule.pk},
    # relations, AI usage
    "relations-api:detail": lambda o: {"relationship_id": o.relationship.pk},
    "ai_usage-api:interaction-detail": lambda o: {"interaction_id": o.interaction.pk},
    # personal access tokens: one of A's, made when the route is walked
    "accounts-api:token-detail": lambda o: {"token_id": personal_token_of(o.owner).pk},
    "accounts:settings-token-revoke": lambda o: {"token_id": personal_token_of(o.owner).pk},
    # notifications: one of A's, made when the route is walked
    "notifications-api:read": lambda o: {"notification_id": notification_for(o.owner).pk},
    "notifications:read": lambda o: {"notification_id": notification_for(o.owner).pk},
    # webhooks: only their owner reaches them
    "webhooks-api:detail": webhook,
    "webhooks-api:ping": webhook,
    "webhooks-api:deliveries": webhook,
    "webhooks-api:delivery": webhook_delivery,
    "webhooks-api:redeliver": webhook_delivery,
    "webhooks-api:incoming-detail": lambda o: {"hook_id": o.incoming_webhook.pk},
    "webhooks:detail": webhook,
    "webhooks:active": webhook,
    "webhooks:ping": webhook,
    "webhooks:delete": webhook,
    "webhooks:redeliver": webhook_delivery,
    "webhooks:incoming-revoke": lambda o: {"hook_id": o.incoming_webhook.pk},
}

# Routes whose id is not an object a user owns, and why they are not in the matrix.
NOT_AN_OBJECT: dict[str, str] = {
    "public-files:download": "a public link serves anyone who holds its token, by design",
    "accounts:avatar": "a random name per upload, served to any signed-in person who is shown it "
    "beside its owner's name (never to anonymous visitors); accounts/tests/test_settings_pages.py",
    "notifications:unsubscribe": "a signed token naming one user and kinds, sent only to that "
    "user's address, that can only turn their e-mails off; notifications/tests/test_emails.py",
    "incoming-webhooks:call": "the URL's token is the credential (stored hashed, shown once to "
    "its owner), not an object id; webhooks/tests/test_incoming.py",
}

# Staff-only routes: every non-staff caller gets 403 whatever the id, so nothing leaks.
STAFF_ONLY: dict[str, Kwargs] = {
    "accounts-admin-api:user-detail": lambda o: {"user_id": o.owner.pk},
    "accounts-admin-api:user-unlock": lambda o: {"user_id": o.owner.pk},
}

# Writes a viewer of the object may make, and why.
VIEWER_MAY: dict[tuple[str, str], str] = {
    ("chat-api:room-read", "POST"): "the read pointer is the viewer's own, not the room's",
}


def new_user_id(o: OwnedObjects) -> str:
    return str(UserFactory().pk)


# Valid bodies for a viewer's writes, so a refusal comes from access, not from validation.
# A write without an entry sends an empty body.
BODIES: dict[tuple[str, str], Kwargs] = {
    ("projects-api:project-detail", "PATCH"): lambda o: {"name": "Taken"},
    ("projects-api:project-members", "POST"): lambda o: {"user": new_user_id(o), "role": "manager"},
    ("projects-api:project-member", "PATCH"): lambda o: {"role": "manager"},
    ("projects-api:task-detail", "PATCH"): lambda o: {"title": "Taken"},
    ("projects-api:task-dependencies", "POST"): lambda o: {"depends_on": str(o.depends_on.pk)},
    ("documents-api:document-detail", "PATCH"): lambda o: {
        "version": o.document.version,
        "title": "Taken",
    },
    ("documents-api:document-shares", "POST"): lambda o: {
        "user": new_user_id(o),
        "permission": "manage",
    },
    ("documents-api:document-attachments", "POST"): lambda o: {"file": str(o.file.pk)},
    ("files-api:file-detail", "PATCH"): lambda o: {"name": "taken.txt"},
    ("mail-api:message-detail", "PATCH"): lambda o: {"is_read": False},
    ("chat-api:members", "POST"): lambda o: {"user": new_user_id(o), "role": "admin"},
    ("chat-api:messages", "POST"): lambda o: {"body": "Posted by a viewer"},
    ("chat-api:message-detail", "PATCH"): lambda o: {"body": "Edited by a viewer"},
    ("comments-api:task-comments", "POST"): lambda o: {"body": "Posted by a viewer"},
    ("comments-api:document-comments", "POST"): lambda o: {"body": "Posted by a viewer"},
    ("comments-api:task-comment", "PATCH"): lambda o: {"body": "Edited by a viewer"},
    ("comments-api:document-comment", "PATCH"): lambda o: {"body": "Edited by a viewer"},
    ("comments:task-create", "POST"): lambda o: {"body": "Posted by a viewer"},
    ("comments:document-create", "POST"): lambda o: {"body": "Posted by a viewer"},
    ("comments:edit", "POST"): lambda o: {"body": "Edited by a viewer"},
    ("patterns-api:pattern-detail", "PATCH"): lambda o: {"name": "Taken"},
    ("patterns-api:execution-signal", "POST"): lambda o: {"payload": {"decision": "approve"}},
    ("patterns:approval", "POST"): lambda o: {"decision": "approve"},
    ("patterns-api:trigger-detail", "PATCH"): lambda o: {"is_active": False},
    ("patterns-api:schedule-detail", "PATCH"): lambda o: {"enabled": False},
    ("webhooks-api:detail", "PATCH"): lambda o: {"is_active": False},
    ("patterns-api:pattern-execute", "POST"): lambda o: {"input": {}},
    ("patterns-api:pattern-dry-run", "POST"): lambda o: {"input": {}},
    ("projects:task-move", "POST"): lambda o: {"status": "done"},
    ("projects:task", "POST"): lambda o: {
        "title": "Taken",
        "status": "todo",
        "priority": "low",
        "actual_hours": "0",
    },
    ("projects:edit", "POST"): lambda o: {
        "name": "Taken",
        "status": "active",
        "priority": "low",
        "budget": "0",
    },
    ("projects:members", "POST"): lambda o: {
        "action": "add",
        "person": UserFactory().email,
        "role": "manager",
    },
    ("projects:task-add", "POST"): lambda o: {"title": "Taken", "status": "todo"},
    ("projects:task-dependencies", "POST"): lambda o: {"remove": str(o.depends_on.pk)},
    ("task-attachments-api:task-attachments", "POST"): lambda o: {"file": str(o.file.pk)},
    ("task-attachments:add", "POST"): lambda o: {"existing": str(o.file.pk)},
    ("documents:shares", "POST"): lambda o: {"email": UserFactory().email, "permission": "manage"},
    ("files:public-link", "POST"): lambda o: {"max_downloads": "5"},
}


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]


def allowed_methods(callback) -> tuple[str, ...]:
    """Return the HTTP methods a class-based view answers (all of them for a function view)."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return METHODS
    names = {name for name in view_class.http_method_names if hasattr(view_class, name)}
    if "get" in names and "head" in view_class.http_method_names:
        names.add("head")  # View.setup() answers HEAD with get()
    return tuple(method for method in METHODS if method.lower() in names)


def routes_with_ids(resolver=None, namespace: str = "") -> list[Route]:
    """Return every named route outside Django's admin whose path takes an argument."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin: staff only, its own login redirect
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            found.extend(routes_with_ids(pattern, inner))
        elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
            name = ":".join(filter(None, [namespace, pattern.name]))
            found.append(
                Route(
                    name=name,
                    methods=allowed_methods(pattern.callback),
                )
            )
    return found


ALL_ROUTES = routes_with_ids()
MATRIX = [route for route in ALL_ROUTES if route.name in ROUTES]


def test_every_route_with_an_object_id_is_in_the_matrix():
    known = set(ROUTES) | set(NOT_AN_OBJECT) | set(STAFF_ONLY)
    missing = sorted(route.name for route in ALL_ROUTES if route.name not in known)
    assert not missing, (
        f"Routes that take an id but are not in the authorization matrix: {missing}. Add each to "
        "ROUTES in tests/test_authorization_matrix.py, mapping its name to a function that "
        "returns the URL kwargs of an object owned by A (add the object to "
        "tests/owned_objects.py if it is a new kind), or to NOT_AN_OBJECT with the reason."
    )
    stale = sorted(known - {route.name for route in ALL_ROUTES})
    assert not stale, f"Matrix entries for routes that no longer exist: {stale}"


def client_for(user, url: str):
    if url.startswith("/api/"):
        return bearer_client(user)
    client = Client()
    client.force_login(user)
    return client


def send(client, method: str, url: str, body: dict):
    call = getattr(client, method.lower())
    if method in ("GET", "HEAD"):
        return call(url)
    if url.startswith("/api/"):
        return call(url, data=body, format="json")
    return call(url, data=body)


def outcome(response) -> str:
    """Return the status, or for a page's redirect, whether it flashed an error."""
    if response.status_code != 302 or response.wsgi_request.path.startswith("/api/"):
        return str(response.status_code)
    levels = {message.level for message in get_messages(response.wsgi_request)}
    if constants.ERROR in levels and constants.SUCCESS not in levels:
        return "302 with an error"
    return "302"


def answers(user, route: str, url: str, methods, objects) -> dict[str, str]:
    """Return what ``user`` gets for each method, every request rolled back."""
    client = client_for(user, url)
    result = {}
    for method in methods:
        with transaction.atomic():
            body = BODIES.get((route, method), lambda o: {})(objects)
            result[method] = outcome(send(client, method, url, body))
            transaction.set_rollback(True)
    return result


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker, tmp_path_factory) -> OwnedObjects:
    """A's objects for the whole module, in a transaction rolled back at its end."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        yield owned_objects(UserFactory())
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _isolated_cache_and_media():
    """Keep A's files' bytes: the module's media folder, not one per test."""
    clear_cache()
    yield
    clear_cache()


@pytest.mark.parametrize("route", MATRIX, ids=lambda route: route.name)
@pytest.mark.django_db
def test_another_user_gets_404_for_every_method(route, objects):
    url = reverse(route.name, kwargs=ROUTES[route.name](objects))
    got = answers(UserFactory(), route.name, url, route.methods, objects)
    assert got == dict.fromkeys(route.methods, "404"), url


@pytest.mark.parametrize("route", MATRIX, ids=lambda route: route.name)
@pytest.mark.django_db
def test_a_viewer_gets_403_or_404_for_every_write(route, objects):
    url = reverse(route.name, kwargs=ROUTES[route.name](objects))
    writes = [m for m in route.methods if m in WRITES and (route.name, m) not in VIEWER_MAY]
    got = answers(objects.viewer, route.name, url, writes, objects)
    refused = {"403", "404", "302 with an error"}
    assert got == {method: status for method, status in got.items() if status in refused}, url


@pytest.mark.parametrize("name", sorted(STAFF_ONLY))
@pytest.mark.django_db
def test_a_staff_only_route_answers_403_to_everyone_else(name, objects):
    route = next(route for route in ALL_ROUTES if route.name == name)
    url = reverse(name, kwargs=STAFF_ONLY[name](objects))
    client = bearer_client(UserFactory())
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"], HTTP_X_SOURCE="admin"
    )
    got = {}
    for method in route.methods:
        with transaction.atomic():
            got[method] = getattr(client, method.lower())(url).status_code
            transaction.set_rollback(True)
    assert got == dict.fromkeys(route.methods, 403), url
