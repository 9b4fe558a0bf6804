"""The mail panel of the dashboard: unread messages in the inbox."""

from nexus_site.dashboard import Panel, register_panel
from workspace.mail.models import MailFolder
from workspace.mail.selectors import folder_counts


def unread_mail(user) -> dict | None:
    inbox = next(count for count in folder_counts(user) if count.folder == MailFolder.INBOX)
    return {"unread": inbox.unread} if inbox.unread else None


def register() -> None:
    register_panel(Panel("mail", "workspace/dashboard/mail.html", unread_mail, order=10))
