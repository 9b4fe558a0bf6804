"""Account e-mails, rendered in the recipient's language and sent after commit."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from accounts import tasks
from accounts.models import User

TEMPLATES = {
    "verify_email": "accounts/email/verify_email",
    "password_reset": "accounts/email/password_reset",
    "already_registered": "accounts/email/already_registered",
    "email_change_confirm": "accounts/email/email_change_confirm",
    "email_change_notice": "accounts/email/email_change_notice",
    "email_change_taken": "accounts/email/email_change_taken",
}


def link(view_name: str, token: str | None = None) -> str:
    url = settings.SITE_URL + reverse(view_name)
    return f"{url}?{urlencode({'token': token})}" if token else url


def send_account_email(
    user: User, kind: str, *, url: str, to: str | None = None, **context
) -> None:
    """Send one account e-mail of ``kind`` to ``user`` once the current transaction commits.

    ``to`` sends it to another address than the user's own (a new address to confirm);
    ``context`` adds template variables.
    """
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {**context, "user": user, "url": url, "site_url": settings.SITE_URL}
        subject = render_to_string(f"{TEMPLATES[kind]}_subject.txt", context).strip()
        body = render_to_string(f"{TEMPLATES[kind]}.txt", context)
    recipient = to or user.email
    # Through a task: an SMTP round-trip inside the request would hint which addresses exist.
    transaction.on_commit(lambda: tasks.send_account_email.delay(subject, body, recipient))
