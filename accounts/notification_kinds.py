"""The kinds of notification a person can hear of, and how each reaches them by e-mail.

Defined once here: the settings page lists them, the API's ``me`` validates them, and the
notifications (issue 17) read a person's choice through
``accounts.selectors.notification_preference``. The choices live in ``User.preferences``
under ``PREFERENCES_KEY`` as ``{kind: delivery}``; a kind not stored there has its default.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

PREFERENCES_KEY = "notifications"
# The older, mail-only switch (workspace.mail.notifications): true meant "e-mail me at once".
LEGACY_MAIL_PREFERENCE = "mail_notifications"


class NotificationKind(models.TextChoices):
    TASK_ASSIGNED = "task_assigned", _("A task is assigned to me or taken from me")
    TASK_DUE = "task_due", _("A task of mine is due soon or overdue")
    MENTION = "mention", _("Someone mentions me")
    SHARED_WITH_ME = "shared_with_me", _("Something is shared with me")
    MAIL_RECEIVED = "mail_received", _("Mail arrives in my inbox")
    PROJECT_MEMBERSHIP = "project_membership", _("My membership of a project changes")
    PATTERN_RUN_FAILED = "pattern_run_failed", _("A pattern run of mine fails")
    PATTERN_APPROVAL = "pattern_approval", _("A pattern run waits for my approval")
    AI_BUDGET = "ai_budget", _("An AI budget I watch is crossed")


class NotificationDelivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY_DIGEST = "daily_digest", _("In a daily digest")
    NEVER = "never", _("Never")


DEFAULT_DELIVERY: dict[str, str] = {
    NotificationKind.TASK_ASSIGNED: NotificationDelivery.IMMEDIATELY,
    NotificationKind.TASK_DUE: NotificationDelivery.DAILY_DIGEST,
    NotificationKind.MENTION: NotificationDelivery.IMMEDIATELY,
    NotificationKind.SHARED_WITH_ME: NotificationDelivery.IMMEDIATELY,
    # Mail already lands in the inbox; an e-mail about it stays opt-in, as it was.
    NotificationKind.MAIL_RECEIVED: NotificationDelivery.NEVER,
    NotificationKind.PROJECT_MEMBERSHIP: NotificationDelivery.DAILY_DIGEST,
    NotificationKind.PATTERN_RUN_FAILED: NotificationDelivery.IMMEDIATELY,
    NotificationKind.PATTERN_APPROVAL: NotificationDelivery.IMMEDIATELY,
    NotificationKind.AI_BUDGET: NotificationDelivery.IMMEDIATELY,
}


def notification_problems(value) -> list[str]:
    """Return what is wrong with a stored ``{kind: delivery}`` mapping (empty when it is fine)."""
    if not isinstance(value, dict):
        return [str(_("Must be an object of notification kinds and deliveries."))]
    problems = []
    for kind, delivery in value.items():
        if kind not in NotificationKind.values:
            problems.append(
                str(_("Unknown notification kind: %(kind)s.") % {"kind": str(kind)[:50]})
            )
        elif delivery not in NotificationDelivery.values:
            problems.append(
                str(
                    _("%(kind)s: must be one of %(values)s.")
                    % {"kind": kind, "values": ", ".join(NotificationDelivery.values)}
                )
            )
    return problems
