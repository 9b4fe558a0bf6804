"""Choices shared across apps, as Django TextChoices."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    USER = "user", _("User")
    GUEST = "guest", _("Guest")


class Language(models.TextChoices):
    EN = "en", "English"
    AR = "ar", "العربية"
    DE = "de", "Deutsch"
    ES = "es", "Español"
    FR = "fr", "Français"
    IT = "it", "Italiano"
    RU = "ru", "Русский"


class Source(models.TextChoices):
    """Which platform an API call comes from (the X-Source header)."""

    ADMIN = "admin", _("Admin")
    CUSTOMER = "customer", _("Customer")


class EventType(models.TextChoices):
    USER_REGISTERED = "user_registered", _("User registered")
    USER_LOCKED = "user_locked", _("User locked")
    USER_UNLOCKED = "user_unlocked", _("User unlocked")
    RELATIONSHIP_CREATED = "relationship_created", _("Relationship created")
    RELATIONSHIP_DELETED = "relationship_deleted", _("Relationship deleted")
    PATTERN_STARTED = "pattern_started", _("Pattern started")
    PATTERN_EXECUTED = "pattern_executed", _("Pattern executed")
    PATTERN_FAILED = "pattern_failed", _("Pattern failed")
    PATTERN_COMPENSATED = "pattern_compensated", _("Pattern compensated")
    PATTERN_CANCELLED = "pattern_cancelled", _("Pattern cancelled")
    STEP_SUCCEEDED = "step_succeeded", _("Step succeeded")
    STEP_FAILED = "step_failed", _("Step failed")
    STEP_COMPENSATED = "step_compensated", _("Step compensated")
    ERROR = "error", _("Error")
    TRIGGER_LIMITED = "trigger_limited", _("Trigger stopped by a limit")
    TRIGGER_DISABLED = "trigger_disabled", _("Trigger disabled")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    SIGNAL_RECEIVED = "signal_received", _("Signal received")
    WORKER_PING = "worker_ping", _("Worker ping")
    TASK_CREATED = "task_created", _("Task created")
    TASK_STATUS_CHANGED = "task_status_changed", _("Task status changed")
    TASK_UPDATED = "task_updated", _("Task updated")
    TASK_DELETED = "task_deleted", _("Task deleted")
    PROJECT_MEMBER_ADDED = "project_member_added", _("Project member added")
    PROJECT_MEMBER_REMOVED = "project_member_removed", _("Project member removed")
    DOCUMENT_CREATED = "document_created", _("Document created")
    DOCUMENT_UPDATED = "document_updated", _("Document updated")
    DOCUMENT_DELETED = "document_deleted", _("Document moved to the trash")
    DOCUMENT_RESTORED = "document_restored", _("Document restored")
    DOCUMENT_SHARED = "document_shared", _("Document shared")
    FILE_UPLOADED = "file_uploaded", _("File uploaded")
    FILE_DELETED = "file_deleted", _("File deleted")
    AI_BUDGET_EXCEEDED = "ai_budget_exceeded", _("AI budget exceeded")
    MESSAGE_POSTED = "message_posted", _("Chat message posted")
    MESSAGE_EDITED = "message_edited", _("Chat message edited")
    MESSAGE_DELETED = "message_deleted", _("Chat message deleted")
    MENTION = "mention", _("Mentioned in chat")
    MAIL_RECEIVED = "mail_received", _("Mail received")
    COMMENT_CREATED = "comment_created", _("Comment posted")
    COMMENT_EDITED = "comment_edited", _("Comment edited")
    COMMENT_DELETED = "comment_deleted", _("Comment deleted")


class RelationType(models.TextChoices):
    """Read as "source is TYPE of target"; child is the same fact as parent read backwards."""

    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")
    LINKED = "linked", _("Linked")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")


class Permission(models.TextChoices):
    """What a subject may do with an object, weakest first; each level includes the ones before."""

    VIEW = "view", _("View")
    COMMENT = "comment", _("Comment")
    EDIT = "edit", _("Edit")
    MANAGE = "manage", _("Manage")


class MemberRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")
    GUEST = "guest", _("Guest")
