"""How a notification reads, in the reader's language: one sentence per thing that happened."""

from django.utils.translation import gettext_lazy as _

from notifications.models import Action

SENTENCES = {
    Action.ASSIGNED: _("%(actor)s assigned you a task"),
    Action.UNASSIGNED: _("%(actor)s took a task from you"),
    Action.MENTIONED: _("%(actor)s mentioned you"),
    Action.SHARED: _("%(actor)s shared something with you"),
    Action.MAIL: _("%(actor)s sent you mail"),
    Action.MEMBER_ADDED: _("%(actor)s added you to a project"),
    Action.MEMBER_REMOVED: _("%(actor)s removed you from a project"),
    Action.RUN_FAILED: _("A pattern run of yours failed"),
    Action.DUE_TOMORROW: _("A task of yours is due tomorrow"),
    Action.OVERDUE: _("A task of yours is overdue"),
    Action.BUDGET_EXCEEDED: _("An AI budget you watch was used up"),
    Action.APPROVAL_REQUESTED: _("%(actor)s asks for your approval"),
}
SOMEONE = _("Someone")
UNTITLED = _("(untitled)")
SOMETHING = _("%(actor)s did something that concerns you")


def sentence(notification) -> str:
    """Return what happened, naming the actor (``select_related("actor")`` on the row)."""
    actor = notification.actor.full_name if notification.actor_id else str(SOMEONE)
    template = SENTENCES.get(notification.action, SOMETHING)
    return str(template) % {"actor": actor}
