"""Notification e-mails, each person's choice per kind (accounts.notification_kinds):

- immediately: after the notification commits, through Celery, grouped per person and kind in
  a window of ``NOTIFICATIONS_EMAIL_WINDOW_SECONDS`` (ten comments in a minute are one
  e-mail). The first notification of a window sets a marker in the shared cache and enqueues
  the sending task with that countdown; the others find the marker and wait for that task.
  The task clears the marker before it claims the rows, so a notification committed after the
  claim starts a window of its own and none is left out;
- in a daily digest: a beat task sends each person one e-mail with the notifications of the
  kinds they chose so, not read and not e-mailed yet;
- never: nothing.

Each e-mail is in the recipient's language, carries a one-click unsubscribe link for its kind
(a signed token: GET shows a confirm page, POST unsubscribes) and the List-Unsubscribe headers.
Rows are claimed under a row lock and marked ``emailed_at`` in the sending transaction: a retried
task sends nothing twice. Mail received is e-mailed at once by workspace.mail itself, so it
comes here only in the digest.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.notification_kinds import NotificationDelivery, NotificationKind
from accounts.selectors import notification_preference
from notifications import wording
from notifications.models import Notification

SEND_TASK = "notifications.tasks.send_immediate_email"
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
TEMPLATE = "notifications/email/notifications"
# Sent at once by workspace.mail's own notification e-mail: only digested here.
NOT_SENT_AT_ONCE = frozenset({NotificationKind.MAIL_RECEIVED})
# The digest looks this far back: what a person left unread longer is not mailed again.
DIGEST_LOOKBACK = datetime.timedelta(days=2)


def window_seconds() -> int:
    return int(getattr(settings, "NOTIFICATIONS_EMAIL_WINDOW_SECONDS", 60))


def marker(recipient_id: Any, kind: str) -> str:
    return f"notifications:email-window:{recipient_id}:{kind}"


# --- tokens ----------------------------------------------------------------------------------


def unsubscribe_token(user, kinds: Iterable[str]) -> str:
    """Return the signed token that turns the e-mails of ``kinds`` off for ``user``."""
    return signing.dumps({"u": str(user.pk), "k": sorted(map(str, kinds))}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[Any, list[str]] | None:
    """Return the (active user, kinds) a token is for, or None when it is not one of ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    kinds = data.get("k") if isinstance(data, dict) else None
    if not isinstance(kinds, list) or not kinds:
        return None
    if not all(kind in NotificationKind.values for kind in kinds):
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    return None if user is None else (user, kinds)


def unsubscribe_url(user, kinds: Iterable[str]) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kinds)])
    return settings.SITE_URL + path


# --- at once ---------------------------------------------------------------------------------


def schedule_immediate(recipients_by_kind: dict[str, set]) -> None:
    """Open a window (or join the open one) for each person and kind who wants e-mail at
    once; called once the notifications are committed."""
    wanted = [
        (person, kind)
        for person, kind in wanting(recipients_by_kind, NotificationDelivery.IMMEDIATELY)
        if kind not in NOT_SENT_AT_ONCE
    ]
    # One read for all the markers: inside a window (a burst, or one event for 1,000 members)
    # most are set, and an add per person is a round trip to the cache each.
    markers = {(person.pk, kind): marker(person.pk, kind) for person, kind in wanted}
    open_windows = cache.get_many(list(markers.values())) if markers else {}
    for person, kind in wanted:
        key = markers[(person.pk, kind)]
        if key not in open_windows and cache.add(key, 1, timeout=window_seconds() * 2):
            enqueue(str(person.pk), kind)


def enqueue(recipient_id: str, kind: str) -> None:
    """Send the e-mail task by name, due when the window closes."""
    current_app.signature(SEND_TASK, args=[recipient_id, kind]).apply_async(
        countdown=window_seconds()
    )


def wanting(recipients_by_kind: dict[str, set], delivery: str) -> list[tuple[Any, str]]:
    """Return the (active user, kind) pairs whose choice for the kind is ``delivery``."""
    ids = {person for people in recipients_by_kind.values() for person in people}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).only("id", "preferences")
    by_id = {str(user.pk): user for user in users}
    pairs = []
    for kind, people in recipients_by_kind.items():
        for person in people:
            user = by_id.get(str(person))
            if user is not None and notification_preference(user, kind) == delivery:
                pairs.append((user, kind))
    return pairs


def send_immediate(recipient_id: str, kind: str) -> int:
    """Send ``recipient_id`` one e-mail with their unread, not yet e-mailed notifications of
    ``kind``; return how many it carried (0: nothing left, or no longer wanted)."""
    cache.delete(marker(recipient_id, kind))
    user = get_user_model().objects.filter(pk=recipient_id, is_active=True).first()
    if user is None or notification_preference(user, kind) != NotificationDelivery.IMMEDIATELY:
        return 0
    return send_claimed(user, [kind], digest=False)


# --- daily digest ----------------------------------------------------------------------------


def send_daily_digests(now: datetime.datetime | None = None) -> int:
    """Send each person with digest kinds pending one e-mail; return how many were sent."""
    since = (now or timezone.now()) - DIGEST_LOOKBACK
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True, read_at__isnull=True, created_at__gte=since
        )
        .order_by()
        .values_list("recipient_id", "kind")
        .distinct()
    )
    by_kind: dict[str, set] = defaultdict(set)
    for recipient_id, kind in pending:
        by_kind[kind].add(recipient_id)
    kinds_of: dict[Any, list[str]] = defaultdict(list)
    users: dict[Any, Any] = {}
    for user, kind in wanting(by_kind, NotificationDelivery.DAILY_DIGEST):
        kinds_of[user.pk].append(kind)
        users[user.pk] = user
    sent = 0
    for user_id, kinds in kinds_of.items():
        user = get_user_model().objects.get(pk=user_id)
        if send_claimed(user, kinds, digest=True, since=since):
            sent += 1
    return sent


# --- sending ---------------------------------------------------------------------------------


def send_claimed(
    user, kinds: Iterable[str], *, digest: bool, since: datetime.datetime | None = None
) -> int:
    """Claim ``user``'s unread, not e-mailed notifications of ``kinds``, e-mail them in one
    message and mark them e-mailed, all in one transaction; return how many."""
    with transaction.atomic():
        rows = Notification.objects.filter(
            recipient=user, kind__in=list(kinds), emailed_at__isnull=True, read_at__isnull=True
        )
        if since is not None:
            rows = rows.filter(created_at__gte=since)
        claimed = list(
            rows.select_for_update(of=("self",), skip_locked=True)
            .select_related("actor")
            .order_by("created_at", "id")
        )
        if not claimed:
            return 0
        message = compose(user, claimed, digest=digest)
        message.send()
        Notification.objects.filter(pk__in=[row.pk for row in claimed]).update(
            emailed_at=timezone.now()
        )
    return len(claimed)


def compose(user, notifications: list[Notification], *, digest: bool) -> EmailMessage:
    """Return the e-mail for ``notifications`` of ``user``, in their language."""
    kinds = list(dict.fromkeys(row.kind for row in notifications))
    with translation.override(user.language or settings.LANGUAGE_CODE):
        items = [
            {
                "sentence": wording.sentence(row),
                "title": row.title or str(wording.UNTITLED),
                "url": settings.SITE_URL + row.url if row.url else "",
            }
            for row in notifications
        ]
        unsubscribe = [
            {"kind": NotificationKind(kind).label, "url": unsubscribe_url(user, [kind])}
            for kind in kinds
        ]
        context = {
            "user": user,
            "items": items,
            "count": len(items),
            "digest": digest,
            "unsubscribe": unsubscribe,
            "list_url": settings.SITE_URL + reverse("notifications:list"),
            "settings_url": settings.SITE_URL + reverse("accounts:settings"),
        }
        subject = render_to_string(f"{TEMPLATE}_subject.txt", context).strip()
        body = render_to_string(f"{TEMPLATE}.txt", context)
    # One click in the mail client: no more e-mail of the kinds this one carries.
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(user, kinds)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], headers=headers)
