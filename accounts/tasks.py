"""Background work of accounts, run by Celery workers and beat."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import aware_utcnow


@shared_task(name="accounts.tasks.flush_expired_tokens")
def flush_expired_tokens() -> int:
    """Delete expired refresh tokens and their blacklist entries; return how many went.

    The same query as simplejwt's ``flushexpiredtokens`` command. Blacklist rows go with their
    token (on delete cascade); an expired token is refused by its signature anyway.
    """
    _total, per_model = OutstandingToken.objects.filter(expires_at__lte=aware_utcnow()).delete()
    return per_model.get(OutstandingToken._meta.label, 0)


@shared_task(
    name="accounts.tasks.send_account_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_account_email(subject: str, body: str, recipient: str) -> None:
    """Send one rendered account e-mail; SMTP stays out of the request that caused it."""
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
