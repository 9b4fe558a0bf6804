"""Background work of accounts, run by Celery workers and beat."""

from celery import shared_task
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
