"""One user's objects of every kind, made through the factories and services the apps test with.

The API fuzzing and the authorization matrix both need an object behind every id a route
takes: ``owned_objects(owner, viewer)`` makes them all for ``owner``, with ``viewer`` able to
see as much of them as a guest can (a guest member of the project everything hangs under, a
view share of the document, a recipient of the mail).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accounts.tests.factories import UserFactory
from comments import services as comments
from comments.models import Comment
from comments.selectors import decided
from nexus_site.definitions.enums import MemberRole, RelationType
from patterns.models import Execution, Pattern, PatternSchedule, PatternTrigger
from patterns.services import execution_start, pattern_schedule_save
from patterns.tests.factories import make_pattern
from patterns.triggers.services import trigger_create
from projects.models import Project, Task
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory, add_member
from relations.models import Relationship
from relations.nodes import node_of
from relations.services import relationship_create
from webhooks.models import IncomingWebhook, WebhookDelivery
from webhooks.services import incoming_create
from webhooks.tests.factories import DeliveryFactory, SubscriptionFactory
from workspace.ai_usage.models import AIInteraction
from workspace.chat import services as chat
from workspace.chat.models import ChatMessage, Room
from workspace.documents import services as documents
from workspace.documents.models import Document
from workspace.files.models import File
from workspace.mail.models import MailboxEntry
from workspace.task_attachments.services import task_attachment_add
from workspace.tests.ai_usage.factories import InteractionFactory
from workspace.tests.chat.factories import post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write


@dataclass(frozen=True)
class OwnedObjects:
    owner: object
    viewer: object
    member: object
    project: Project
    task: Task
    depends_on: Task
    document: Document
    attachment: File
    file: File
    sent: MailboxEntry
    received: MailboxEntry
    draft: MailboxEntry
    mail_file: File
    room: Room
    message: ChatMessage
    chat_file: File
    comment: Comment
    document_comment: Comment
    comment_file: File
    task_file: File
    pattern: Pattern
    execution: Execution
    relationship: Relationship
    interaction: AIInteraction
    webhook_delivery: WebhookDelivery
    incoming_webhook: IncomingWebhook
    trigger: PatternTrigger
    schedule: PatternSchedule


def owned_objects(owner, viewer=None) -> OwnedObjects:
    """Return one object of every kind owned by ``owner``; ``viewer`` may only view them."""
    viewer = viewer or UserFactory()
    project = ProjectFactory(owner=owner, name="Owned project")
    add_member(project, role=MemberRole.GUEST, user=viewer)
    member = add_member(project, role=MemberRole.MEMBER)
    dependency = TaskDependencyFactory(
        task=TaskFactory(project=project, title="Owned task"),
        depends_on=TaskFactory(project=project, title="Owned prerequisite"),
    )
    document = DocumentFactory(owner=owner, project=project, title="Owned document")
    documents.document_update(
        actor=owner, document=document, version=document.version, title="Owned, version 2"
    )
    share(document, viewer, permission="view")
    attachment = upload_file(owner, b"attached\n", "attached.txt", project=project)
    documents.document_attach(actor=owner, document=document, file_id=attachment.pk)
    file = upload_file(owner, b"owned\n", "owned.txt", project=project)
    mail_file = upload_file(owner, b"mailed\n", "mailed.txt")
    sent = write(owner, to=[viewer], subject="Owned mail", attachments=[mail_file])
    draft = write(owner, to=[viewer], subject="Owned draft", send=False)
    room = chat.room_create(
        actor=owner, kind="private", name="Owned room", members=[member], project=project
    )
    chat_file = upload_file(owner, b"chatted\n", "chatted.txt")
    pattern = make_pattern(owner)
    execution, _ = execution_start(actor=owner, pattern=pattern, input={})
    comment_file = upload_file(owner, b"commented\n", "commented.txt")
    # Attached to the task, not in its project: the viewer reaches it only through the task.
    task_file = upload_file(owner, b"tasked\n", "tasked.txt")
    task_attachment_add(actor=owner, task=dependency.task, file_id=task_file.pk)
    comment = comments.comment_create(
        actor=owner,
        target=decided(owner, dependency.task),
        body="Owned comment",
        attachments=[comment_file.pk],
    ).comment
    document_comment = comments.comment_create(
        actor=owner,
        target=decided(owner, document),
        body="Owned document comment",
        attachments=[comment_file.pk],
    ).comment
    relationship = relationship_create(
        actor=owner,
        source=node_of(project),
        target=node_of(ProjectFactory(owner=owner, name="Linked project")),
        type=RelationType.LINKED,
    )
    return OwnedObjects(
        owner=owner,
        viewer=viewer,
        member=member,
        project=project,
        task=dependency.task,
        depends_on=dependency.depends_on,
        document=document,
        attachment=attachment,
        file=file,
        sent=sent,
        received=copy_of(viewer, sent),
        draft=draft,
        mail_file=mail_file,
        room=room,
        message=post(owner, room, "Owned message", attachments=[chat_file.pk]),
        chat_file=chat_file,
        comment=comment,
        document_comment=document_comment,
        comment_file=comment_file,
        task_file=task_file,
        pattern=pattern,
        execution=execution,
        relationship=relationship,
        interaction=InteractionFactory(user=owner, cost=Decimal("0.002")),
        webhook_delivery=DeliveryFactory(subscription=SubscriptionFactory(owner=owner)),
        incoming_webhook=incoming_create(actor=owner, pattern=pattern.key)[0],
        trigger=trigger_create(
            actor=owner, pattern=pattern, name="Owned trigger", event_type="task_created"
        ),
        schedule=pattern_schedule_save(
            actor=owner, pattern=pattern, input={}, run_as=owner, every_minutes=60
        ),
    )
