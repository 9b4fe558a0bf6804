"""Celery tasks of mail: just another interface that calls the mail code; they take ids."""

from celery import shared_task

from workspace.mail import notifications

__all__ = ["notify_recipient"]


@shared_task(
    name="workspace.mail.tasks.notify_recipient",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_recipient(entry_id: str) -> bool:
    """Send the notification e-mail for one delivered copy (idempotent)."""
    return notifications.notify_recipient(entry_id)
