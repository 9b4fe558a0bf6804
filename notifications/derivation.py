"""Turn a committed event into notifications for everyone who should hear of it.

The hook. The events publisher calls the listener this app registers
(``nexus_site.events.listeners.set_committed_listener``, as relations registers its "may see"
test) once the publishing transaction commits, with the ids of the events of the types below;
the listener enqueues one Celery task, sent by name, that derives them. Chosen over a
beat-driven consumer reading the outbox from a stored cursor because a notification must reach
the bell within a second (a beat tick is seconds away, and beat runs as one process), and
because the core then knows nothing of notifications. Its cost: an event whose task could not
be enqueued (broker down at that moment) waits for the catch-up sweep
(``notifications.catch_up``, beat, reading the outbox from a stored cursor); the derivation is
idempotent (the unique (recipient, event) constraint), so the sweep never notifies twice (see
docs/notifications.md).

The rules. Each event type names its candidates (the assignee, the mentioned, the person a
document or file was shared with, the mail recipient, the member, the run's starter) and the
object as a graph node. The actor never hears of their own act (except a run of theirs that
failed: the failure is the run's, not an act of theirs). A candidate who cannot see the object
is dropped: the check is the relations rule (``relations.access.viewer_ids``: the users a live
owner or member grant lets see the node, read in SQL) plus the administrators, inside the
insert's WHERE clause. Objects that are not graph nodes (a mailbox entry, a pattern run) belong
to the one person named, and are not checked further. A removed member is told of the removal
without a link: the project is exactly what they just lost.

The fan-out. One ``INSERT ... SELECT`` per notice: the rows are built in SQL from the user
table (a ``VALUES`` row of id and candidate per candidate, joined to the users who are active
and may see the object), with ``ON CONFLICT DO NOTHING RETURNING`` so a second run inserts
nothing and says so. PostgreSQL and SQLite (3.35+) both run it as one statement, whatever the
number of recipients. The candidates are a ``VALUES`` list, not one ``SELECT`` per candidate
glued with ``UNION ALL``: PostgreSQL plans a 1,000-branch union in 0.6-1.8 s, the list in under
a millisecond (docs/PERFORMANCE.md, Notifications).
"""

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse

from accounts.notification_kinds import NotificationKind
from nexus_site.definitions.enums import EventType, RelationType, Role
from nexus_site.events.models import Event
from nexus_site.events.services import event_of, publish_many
from nexus_site.ids import uuid7
from notifications import emails
from notifications.models import Action, Notification
from relations.access import viewer_ids
from relations.nodes import Node

# The event type of a notification sent live to its recipient over /ws/events/.
NOTIFICATION_EVENT = "notification"


# Published by notifications.due (beat), once per task and day.
TASK_DUE = "task_due"

DERIVED_TYPES = frozenset(
    {
        EventType.TASK_CREATED,
        EventType.TASK_UPDATED,
        EventType.MENTION,
        EventType.DOCUMENT_SHARED,
        EventType.RELATIONSHIP_CREATED,
        EventType.MAIL_RECEIVED,
        EventType.PROJECT_MEMBER_ADDED,
        EventType.PROJECT_MEMBER_REMOVED,
        EventType.PATTERN_FAILED,
        EventType.AI_BUDGET_EXCEEDED,
        EventType.APPROVAL_REQUESTED,
        TASK_DUE,
    }
)

TASK = "projects.task"
PROJECT = "projects.project"
DOCUMENT = "workspace.document"
FILE = "workspace.file"
ROOM = "workspace.room"
MAILBOX_ENTRY = "workspace.mailboxentry"
EXECUTION = "patterns.execution"
AI_BUDGET = "workspace.aibudget"
USER = "accounts.user"


@dataclass(frozen=True)
class Notice:
    """Who may hear of an event, as what, about which object."""

    kind: str
    action: str
    recipients: tuple[str, ...]
    label: str
    object_id: str
    title: str = ""
    url: str = ""
    # The node whose viewers alone may be told; "" when the object is the recipient's own.
    checked: bool = True
    tell_actor: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def node(self) -> Node:
        return Node(self.label, self.object_id)


def page(name: str, *args: Any, anchor: str = "") -> str:
    try:
        return reverse(name, args=args) + (f"#{anchor}" if anchor else "")
    except NoReverseMatch:
        return ""


def ids(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(value) for value in values if value))


def worth_deriving(event: Event) -> bool:
    """Return whether ``event`` may notify anyone, from its payload alone (no query): the
    committed listener enqueues a derivation only for these, not for every board move."""
    payload = event.payload or {}
    if event.type == EventType.TASK_CREATED:
        return bool(payload.get("assignee"))
    if event.type == EventType.TASK_UPDATED:
        return "assignee" in (payload.get("fields") or [])
    if event.type == EventType.RELATIONSHIP_CREATED:
        return (
            payload.get("type") == RelationType.MEMBER
            and str(payload.get("source", "")).startswith(f"{USER}:")
            and str(payload.get("target", "")).startswith(f"{FILE}:")
        )
    return event.type in DERIVED_TYPES


def notices_for(event: Event) -> list[Notice]:
    """Return the notices ``event`` gives rise to (candidates before the access check)."""
    rule = RULES.get(event.type)
    return rule(event, event.payload or {}) if rule else []


def task_created(event: Event, payload: dict) -> list[Notice]:
    if not payload.get("assignee"):
        return []
    return [task_notice(Action.ASSIGNED, payload, ids([payload["assignee"]]))]


def task_updated(event: Event, payload: dict) -> list[Notice]:
    if "assignee" not in (payload.get("fields") or []):
        return []
    assignee = payload.get("assignee", event.audience_users[0] if event.audience_users else None)
    notices = []
    if assignee:
        notices.append(task_notice(Action.ASSIGNED, payload, ids([assignee])))
    if payload.get("previous_assignee"):
        notices.append(task_notice(Action.UNASSIGNED, payload, ids([payload["previous_assignee"]])))
    return notices


def task_due(event: Event, payload: dict) -> list[Notice]:
    action = Action.OVERDUE if payload.get("overdue") else Action.DUE_TOMORROW
    notice = task_notice(action, payload, ids(event.audience_users))
    return [dataclasses.replace(notice, kind=NotificationKind.TASK_DUE)]


def task_notice(action: str, payload: dict, recipients: tuple[str, ...]) -> Notice:
    task_id = payload["task"]
    return Notice(
        kind=NotificationKind.TASK_ASSIGNED,
        action=action,
        recipients=recipients,
        label=TASK,
        object_id=task_id,
        title=payload.get("title", ""),
        url=page("projects:task", task_id),
    )


def mention(event: Event, payload: dict) -> list[Notice]:
    recipients = ids(event.audience_users)
    anchor = f"comment-{payload['comment']}" if payload.get("comment") else ""
    if payload.get("task"):
        label, object_id, url = (
            TASK,
            payload["task"],
            page("projects:task", payload["task"], anchor=anchor),
        )
    elif payload.get("document"):
        object_id = payload["document"]
        label, url = DOCUMENT, page("documents:editor", object_id, anchor=anchor)
    elif payload.get("room"):
        label, object_id, url = ROOM, payload["room"], page("chat:room", payload["room"])
    else:
        return []
    title = payload.get("title", "")
    if label == ROOM:
        title = room_name(object_id)
    return [
        Notice(
            kind=NotificationKind.MENTION,
            action=Action.MENTIONED,
            recipients=recipients,
            label=label,
            object_id=object_id,
            title=title or "",
            url=url,
        )
    ]


def room_name(room_id: str) -> str:
    from workspace.chat.models import Room

    return Room.objects.filter(pk=room_id).values_list("name", flat=True).first() or ""


def document_shared(event: Event, payload: dict) -> list[Notice]:
    return [
        Notice(
            kind=NotificationKind.SHARED_WITH_ME,
            action=Action.SHARED,
            recipients=ids([payload.get("user")]),
            label=DOCUMENT,
            object_id=payload["document"],
            title=payload.get("title", ""),
            url=page("documents:editor", payload["document"]),
        )
    ]


def relationship_created(event: Event, payload: dict) -> list[Notice]:
    """A file shared with a person: a member edge from their user node to the file."""
    source, target = str(payload.get("source", "")), str(payload.get("target", ""))
    if payload.get("type") != RelationType.MEMBER or not source.startswith(f"{USER}:"):
        return []
    if not target.startswith(f"{FILE}:"):
        return []
    file_id = target.split(":", 1)[1]
    from workspace.files.models import File

    name = File.objects.filter(pk=file_id).values_list("name", flat=True).first()
    if name is None:
        return []
    return [
        Notice(
            kind=NotificationKind.SHARED_WITH_ME,
            action=Action.SHARED,
            recipients=ids([source.split(":", 1)[1]]),
            label=FILE,
            object_id=file_id,
            title=name,
            url=page("files:detail", file_id),
        )
    ]


def mail_received(event: Event, payload: dict) -> list[Notice]:
    return [
        Notice(
            kind=NotificationKind.MAIL_RECEIVED,
            action=Action.MAIL,
            recipients=ids(event.audience_users),
            label=MAILBOX_ENTRY,
            object_id=payload["message"],
            title=payload.get("subject", ""),
            url=page("mail:message", payload["message"]),
            checked=False,  # the mailbox entry is the recipient's own copy
        )
    ]


def member_added(event: Event, payload: dict) -> list[Notice]:
    return [
        membership_notice(
            Action.MEMBER_ADDED, payload, url=page("projects:board", payload["project"])
        )
    ]


def member_removed(event: Event, payload: dict) -> list[Notice]:
    # Told without a link, and without the viewer check: the project is what they just lost,
    # and its name is what they saw a moment ago.
    return [membership_notice(Action.MEMBER_REMOVED, payload, url="", checked=False)]


def membership_notice(action: str, payload: dict, *, url: str, checked: bool = True) -> Notice:
    from projects.models import Project

    project_id = payload["project"]
    name = Project.objects.filter(pk=project_id).values_list("name", flat=True).first() or ""
    return Notice(
        kind=NotificationKind.PROJECT_MEMBERSHIP,
        action=action,
        recipients=ids([payload.get("user")]),
        label=PROJECT,
        object_id=project_id,
        title=name,
        url=url,
        checked=checked,
    )


def pattern_failed(event: Event, payload: dict) -> list[Notice]:
    if not payload.get("execution"):
        return []
    return [
        Notice(
            kind=NotificationKind.PATTERN_RUN_FAILED,
            action=Action.RUN_FAILED,
            recipients=ids(event.audience_users),
            label=EXECUTION,
            object_id=payload["execution"],
            title=payload.get("pattern", ""),
            url=page("patterns:execution", payload["execution"]),
            checked=False,  # the run's starter, who sees their own runs
            tell_actor=True,
        )
    ]


def approval_requested(event: Event, payload: dict) -> list[Notice]:
    """The approvers a run's approval step names: the step lets them answer, so they are
    told without a check on the run (which only its starter may see)."""
    if not payload.get("execution") or not payload.get("step"):
        return []
    return [
        Notice(
            kind=NotificationKind.PATTERN_APPROVAL,
            action=Action.APPROVAL_REQUESTED,
            recipients=ids(payload.get("approvers") or ()),
            label=EXECUTION,
            object_id=payload["execution"],
            title=str(payload.get("message", ""))[:200],
            url=page("patterns:approval", payload["execution"], payload["step"]),
            checked=False,
        )
    ]


def ai_budget_exceeded(event: Event, payload: dict) -> list[Notice]:
    """A project's budget: its managers who may still see it; a personal one: its person."""
    spent = f"{payload.get('month', '')}: {payload.get('spent', '')} / "
    spent += f"{payload.get('amount', '')} {payload.get('currency', '')}".strip()
    common = {
        "kind": NotificationKind.AI_BUDGET,
        "action": Action.BUDGET_EXCEEDED,
        "recipients": ids(event.audience_users),
        "url": page("ai_usage:dashboard"),
    }
    if payload.get("project"):
        from projects.models import Project

        name = Project.objects.filter(pk=payload["project"]).values_list("name", flat=True).first()
        title = f"{name} · {spent}" if name else spent
        return [Notice(label=PROJECT, object_id=payload["project"], title=title, **common)]
    if not payload.get("budget"):
        return []
    return [
        Notice(label=AI_BUDGET, object_id=payload["budget"], title=spent, checked=False, **common)
    ]


RULES = {
    EventType.TASK_CREATED: task_created,
    EventType.TASK_UPDATED: task_updated,
    EventType.MENTION: mention,
    EventType.DOCUMENT_SHARED: document_shared,
    EventType.RELATIONSHIP_CREATED: relationship_created,
    EventType.MAIL_RECEIVED: mail_received,
    EventType.PROJECT_MEMBER_ADDED: member_added,
    EventType.PROJECT_MEMBER_REMOVED: member_removed,
    EventType.PATTERN_FAILED: pattern_failed,
    TASK_DUE: task_due,
    EventType.AI_BUDGET_EXCEEDED: ai_budget_exceeded,
    EventType.APPROVAL_REQUESTED: approval_requested,
}

# The fan-out: one statement. {candidates} is one "(%s, %s)" row per candidate (its new
# notification's id, its user id); {seeing} restricts to those who may see the object.
FAN_OUT = """
WITH candidate (new_id, person_id) AS (VALUES {candidates})
INSERT INTO {notification} (id, recipient_id, kind, event_id, action, node_label, node_id,
    title, url, actor_id, created_at, read_at)
SELECT candidate.new_id, person.id, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL
FROM candidate
JOIN {user} AS person ON person.id = candidate.person_id
WHERE person.is_active AND {seeing}
ON CONFLICT (recipient_id, event_id) DO NOTHING
RETURNING id, recipient_id
"""


def notify(event: Event, notice: Notice) -> list[tuple[Any, Any]]:
    """Insert ``notice``'s notifications for ``event`` in one statement; return the
    (notification id, recipient id) pairs inserted (none the second time)."""
    recipients = [
        person
        for person in notice.recipients
        if notice.tell_actor or person != str(event.actor_id or "")
    ]
    if not recipients:
        return []
    user_model = get_user_model()
    fields = {f.name: f for f in Notification._meta.concrete_fields}
    id_field, user_id_field = fields["id"], user_model._meta.pk

    def prep(model_field, value):
        return model_field.get_db_prep_value(value, connection, prepared=False)

    candidates = ", ".join(["(%s, %s)"] * len(recipients))
    params: list[Any] = []
    for person in recipients:
        params += [prep(id_field, uuid7()), prep(user_id_field, person)]
    params += [
        notice.kind,
        event.pk,
        notice.action,
        notice.label,
        prep(fields["node_id"], notice.object_id),
        notice.title[:300],
        notice.url[:500],
        prep(fields["actor"], event.actor_id),
        prep(fields["created_at"], event.created_at),
    ]
    seeing = "TRUE"
    if notice.checked:
        viewers = [prep(user_id_field, viewer) for viewer in viewer_ids(notice.node)]
        seeing = "(person.role = %s"
        params.append(Role.ADMIN)
        if viewers:
            seeing += f" OR person.id IN ({', '.join(['%s'] * len(viewers))})"
            params += viewers
        seeing += ")"
    sql = FAN_OUT.format(
        notification=Notification._meta.db_table,
        user=user_model._meta.db_table,
        candidates=candidates,
        seeing=seeing,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # in the text's order: candidates, the SELECT list, viewers
        return [(uuid.UUID(str(a)), uuid.UUID(str(b))) for a, b in cursor.fetchall()]


def derive(event: Event) -> int:
    """Create the notifications ``event`` gives rise to and announce each to its recipient
    live; return how many were created (0 when the event was derived before)."""
    created = 0
    with transaction.atomic():
        live = []
        told_of: dict[str, set] = {}
        for notice in notices_for(event):
            for notification_id, recipient_id in notify(event, notice):
                created += 1
                told_of.setdefault(notice.kind, set()).add(recipient_id)
                told = event_of(
                    NOTIFICATION_EVENT,
                    {
                        "notification": str(notification_id),
                        "recipient": str(recipient_id),
                        "kind": notice.kind,
                        "action": notice.action,
                        "title": notice.title,
                        "url": notice.url,
                    },
                    user_ids=[recipient_id],
                )
                told.actor_id = event.actor_id
                live.append(told)
        publish_many(live)
        if told_of:
            transaction.on_commit(lambda: emails.schedule_immediate(told_of), robust=True)
    return created
