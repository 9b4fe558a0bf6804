"""The kinds that exist today: projects, tasks, documents, files, mail, chat and comments.

Each ``visible`` is the owning app's access rule as a queryset (relations.access.visible_filter,
the user's own mailbox copies, rooms the user belongs to), so the search adds no rule of its
own; each ``gates`` is the same rule as the ids an entry stores (relations.access.gate_ids of the
object, its room or its task or document; the holders of a mail). Languages: none of these
objects carries one, so each reads in its author's language.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from search.query import WORD
from search.registry import Kind, Text, register


def language_of(user) -> str | None:
    return getattr(user, "language", None)


def signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def register_known() -> None:
    """Register the searchable kinds of the apps installed today."""
    from comments.models import Comment
    from projects.models import Project, Task
    from relations.access import gate_ids, visible_filter
    from search.texts import document_strings, joined
    from workspace.chat.models import ChatMessage, Room
    from workspace.documents.models import Document
    from workspace.files.models import File
    from workspace.mail.models import MailboxEntry, MailMessage

    def projects(user):
        return Project.objects.filter(visible_filter(user, Project))

    def tasks(user):
        return Task.objects.filter(visible_filter(user, Task))

    def documents(user):
        return Document.objects.filter(visible_filter(user, Document), deleted_at__isnull=True)

    def files(user):
        return File.objects.filter(visible_filter(user, File))

    def mail(user):
        if not signed_in(user):
            return MailMessage.objects.none()
        mine = MailboxEntry.objects.filter(user=user).values("message_id")
        return MailMessage.objects.filter(pk__in=mine)

    def chat(user):
        rooms = Room.objects.filter(visible_filter(user, Room)).values("pk")
        return ChatMessage.objects.filter(room__in=rooms, deleted_at__isnull=True)

    def comments(user):
        return Comment.objects.filter(
            Q(task__in=tasks(user).values("pk")) | Q(document__in=documents(user).values("pk")),
            deleted_at__isnull=True,
        )

    def mail_gates(message: MailMessage) -> list:
        # Whoever holds a copy (the sender and each recipient, once however many copies).
        return sorted({copy.user_id for copy in message.copies.all()})

    def chat_gates(message: ChatMessage) -> list:
        return gate_ids(message.room)

    def comment_gates(comment: Comment) -> list:
        if comment.task_id is not None:
            return gate_ids(comment.task)
        document = comment.document
        return [] if document.deleted_at is not None else gate_ids(document)

    def project_text(project: Project) -> Text:
        return Text(
            title=project.name,
            body=project.description,
            language=language_of(project.owner),
            path=reverse("projects:board", args=[project.pk]),
        )

    def task_text(task: Task) -> Text:
        return Text(
            title=task.title,
            body=joined([task.description, " ".join(task.tags or ())]),
            language=language_of(task.reporter or task.project.owner),
            path=reverse("projects:task", args=[task.pk]),
        )

    def document_text(document: Document) -> Text | None:
        if document.deleted_at is not None:
            return None
        return Text(
            title=document.title,
            body=joined(document_strings(document.doc_type, document.content)),
            language=language_of(document.owner),
            path=reverse("documents:editor", args=[document.pk]),
        )

    def file_text(file: File) -> Text:
        return Text(
            title=file.name,
            # The name's words as text too: PostgreSQL reads "report.pdf" as one file-name
            # token, so "report" is found through them.
            body=" ".join(WORD.findall(file.name)),
            language=language_of(file.owner),
            path=reverse("files:detail", args=[file.pk]),
        )

    def mail_text(message: MailMessage) -> Text | None:
        if message.sent_at is None:  # a draft is found once sent
            return None
        return Text(
            title=message.subject,
            body=message.body,
            language=language_of(message.sender),
            path=reverse("mail:thread", args=[message.thread_id]),
        )

    def chat_text(message: ChatMessage) -> Text | None:
        if message.deleted_at is not None:
            return None
        return Text(
            title=message.room.name,
            body=message.body,
            language=language_of(message.author),
            path=reverse("chat:room", args=[message.room_id]) + f"#message-{message.pk}",
        )

    def comment_text(comment: Comment) -> Text | None:
        if comment.deleted_at is not None:
            return None
        if comment.task_id is not None:
            title, page = comment.task.title, reverse("projects:task", args=[comment.task_id])
        else:
            title = comment.document.title
            page = reverse("documents:editor", args=[comment.document_id])
        return Text(
            title=title,
            body=comment.body,
            language=language_of(comment.author),
            path=f"{page}#comment-{comment.pk}",
        )

    register(
        Kind("project", Project, project_text, projects, ("pk",), ("owner",), label=_("Projects"))
    )
    register(
        Kind(
            "task",
            Task,
            task_text,
            tasks,
            ("project",),
            ("reporter", "project__owner"),
            label=_("Tasks"),
        )
    )
    register(
        Kind(
            "document",
            Document,
            document_text,
            documents,
            ("project",),
            ("owner",),
            label=_("Documents"),
        )
    )
    register(Kind("file", File, file_text, files, ("project",), ("owner",), label=_("Files")))
    register(
        Kind(
            "mail",
            MailMessage,
            mail_text,
            mail,
            related=("sender",),
            prefetched=("copies",),
            label=_("Mail"),
            gates=mail_gates,
            personal=True,
        )
    )
    register(
        Kind(
            "message",
            ChatMessage,
            chat_text,
            chat,
            ("room__project",),
            ("room", "author"),
            label=_("Chat messages"),
            titled_after=((Room, "room", "name"),),
            gates=chat_gates,
        )
    )
    register(
        Kind(
            "comment",
            Comment,
            comment_text,
            comments,
            ("task__project", "document__project"),
            ("author", "task", "document"),
            label=_("Comments"),
            titled_after=((Task, "task", "title"), (Document, "document", "title")),
            gates=comment_gates,
        )
    )
