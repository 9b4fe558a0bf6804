"""Writes of webhooks: subscriptions, redelivery and pings, incoming webhook URLs and their calls.

Each service is one transaction, raises only the project's error types, and queues sends
after commit. The rules: a subscription's URL must pass the egress check (http/https, no
private address unless the operator allows it); its scope must be a node its owner may see
(one they may not see reads as one that does not exist); only its owner reads or changes it
(selectors). An incoming webhook runs its pattern as its owner, who must still be active and
allowed to run it when it is called.
"""

import hashlib
import json
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.events.models import Event
from nexus_site.events.selectors import user_may_see
from nexus_site.exceptions import (
    AuthenticationError,
    AuthorizationError,
    BadRequestError,
    NotFoundError,
    ValidationError,
)
from patterns.selectors import pattern_visible, patterns_visible_to
from patterns.services import ensure_can_run, execution_start
from relations.access import visible_nodes
from relations.nodes import parse_node
from relations.registry import registry
from relations.selectors import ids_by_label
from webhooks import egress, signing
from webhooks.enqueue import enqueue_delivery
from webhooks.matching import SUBSCRIBABLE_TYPES, forget_subscribed_types
from webhooks.models import (
    IncomingWebhook,
    WebhookDelivery,
    WebhookSubscription,
)

MAX_SUBSCRIPTIONS = 50
MAX_INCOMING = 50
PING_EVENT = "ping"
SECRET_PREFIX = "whsec_"
TOKEN_PREFIX = "nxi_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_url(url: Any) -> str:
    """Return ``url`` if outgoing requests may go there; else a 422 on ``url``."""
    try:
        egress.check_url(url)
    except egress.EgressError as exc:
        raise ValidationError(details={"url": [str(exc.message)]}) from exc
    return url


def checked_event_types(event_types: Any) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise ValidationError(details={"event_types": [str(_("Name at least one event type."))]})
    unknown = sorted({str(t) for t in event_types} - SUBSCRIBABLE_TYPES)
    if unknown:
        message = _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
        raise ValidationError(details={"event_types": [str(message)]})
    return sorted(set(event_types))


def checked_scope(actor, scope: Any) -> str:
    """Return the scope node as text ("" for none) if ``actor`` may see it; else a 422 that
    reads the same for a hidden node and a missing one."""
    if scope in (None, ""):
        return ""
    node = parse_node(scope, field="scope")
    model = registry.participants[node.label]
    exists = any(model.objects.filter(pk__in=ids).exists() for ids in ids_by_label([node]).values())
    if not exists or node not in visible_nodes(actor, [node]):
        raise ValidationError(details={"scope": [str(_("No such object."))]})
    return str(node)


@transaction.atomic
def subscription_create(
    *,
    actor,
    url: str,
    event_types: list[str],
    scope: str = "",
    with_descendants: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """Subscribe ``url`` to events; the new secret is on the returned instance, shown once."""
    if WebhookSubscription.objects.filter(owner=actor).count() >= MAX_SUBSCRIPTIONS:
        raise ValidationError(
            _("You have %(count)d webhooks, the most one person may have.")
            % {"count": MAX_SUBSCRIPTIONS}
        )
    subscription = WebhookSubscription.objects.create(
        owner=actor,
        url=checked_url(url),
        event_types=checked_event_types(event_types),
        scope=checked_scope(actor, scope),
        with_descendants=bool(with_descendants),
        description=description,
        secret=new_secret(),
    )
    transaction.on_commit(forget_subscribed_types)
    return subscription


@transaction.atomic
def subscription_update(
    *, actor, subscription: WebhookSubscription, **fields: Any
) -> WebhookSubscription:
    """Change a subscription's URL, types, scope, description or active flag (its owner's).

    Turning it on again clears an automatic disabling and its failure count.
    """
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if "url" in fields:
        subscription.url = checked_url(fields["url"])
    if "event_types" in fields:
        subscription.event_types = checked_event_types(fields["event_types"])
    if "scope" in fields:
        subscription.scope = checked_scope(actor, fields["scope"])
    if "with_descendants" in fields:
        subscription.with_descendants = bool(fields["with_descendants"])
    if "description" in fields:
        subscription.description = fields["description"]
    if "is_active" in fields:
        set_active(subscription, bool(fields["is_active"]))
    subscription.save()
    transaction.on_commit(forget_subscribed_types)
    return subscription


def set_active(subscription: WebhookSubscription, active: bool) -> None:
    if active and not subscription.is_active:
        subscription.consecutive_failures = 0
        subscription.disabled_at = None
        subscription.disabled_reason = ""
    elif not active and subscription.is_active:
        subscription.disabled_at = timezone.now()
        subscription.disabled_reason = ""
    subscription.is_active = active


@transaction.atomic
def subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log; pending deliveries are never sent."""
    subscription.delete()
    transaction.on_commit(forget_subscribed_types)


@transaction.atomic
def delivery_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's payload again, as a new delivery of the same event, now.

    Refused (403) when the owner may no longer see the event: losing access ends deliveries,
    by hand too.
    """
    if delivery.event_id is not None:
        event = Event.objects.filter(pk=delivery.event_id).first()
        if event is not None and not (actor.is_active and user_may_see(actor, event)):
            raise AuthorizationError(_("You may no longer see this event."))
    again = WebhookDelivery.objects.create(
        subscription=delivery.subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        redelivery_of=delivery.redelivery_of or delivery,
    )
    transaction.on_commit(lambda: enqueue_delivery(again.pk))
    return again


@transaction.atomic
def subscription_ping(*, actor, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a test delivery (type ``ping``) to the subscription's URL now."""
    ping = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type=PING_EVENT,
        payload={
            "id": None,
            "type": PING_EVENT,
            "created_at": timezone.now().isoformat(),
            "node": None,
            "actor": str(actor.pk),
            "data": {"webhook": str(subscription.pk)},
        },
    )
    transaction.on_commit(lambda: enqueue_delivery(ping.pk))
    return ping


# --- incoming webhooks ---------------------------------------------------------------------


def runnable_pattern(actor, key: Any):
    pattern = pattern_visible(actor, key)
    if pattern is None:
        raise ValidationError(details={"pattern": [str(_("No such pattern."))]})
    return pattern


@transaction.atomic
def incoming_create(
    *, actor, pattern: Any, name: str = "", signed: bool = False
) -> tuple[IncomingWebhook, str]:
    """Make a URL that starts the pattern with key ``pattern`` as ``actor``; return the hook
    and its token (shown once).

    ``signed``: calls must also carry ``X-Nexus-Signature`` made with the returned hook's
    ``signing_secret`` (shown once as well).
    """
    ensure_can_run(actor)
    pattern = runnable_pattern(actor, pattern)
    if IncomingWebhook.objects.filter(owner=actor, revoked_at__isnull=True).count() >= (
        MAX_INCOMING
    ):
        raise ValidationError(
            _("You have %(count)d incoming webhooks, the most one person may have.")
            % {"count": MAX_INCOMING}
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    hook = IncomingWebhook.objects.create(
        owner=actor,
        pattern=pattern,
        name=name,
        token_hash=token_hash(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 4],
        signing_secret=new_secret() if signed else "",
    )
    return hook, token


@transaction.atomic
def incoming_revoke(*, actor, hook: IncomingWebhook) -> IncomingWebhook:
    """Stop a URL from working, for good (its calls answer 404 from now on)."""
    if hook.revoked_at is None:
        hook.revoked_at = timezone.now()
        hook.save(update_fields=["revoked_at"])
    return hook


def incoming_hook_for(token: str) -> IncomingWebhook:
    """Return the live hook of ``token`` whose owner is active; else 404 (which one is wrong is
    not said)."""
    hook = (
        IncomingWebhook.objects.select_related("owner", "pattern")
        .filter(token_hash=token_hash(token or ""), revoked_at__isnull=True)
        .first()
    )
    if hook is None or not hook.owner.is_active:
        raise NotFoundError()
    return hook


def incoming_receive(
    *, token: str, body: bytes, signature_header: str = "", idempotency_key: str = ""
):
    """Start the hook's pattern as its owner with the JSON ``body`` as input; return
    ``(execution, created)``.

    404: unknown or revoked token, inactive owner, or a pattern the owner may no longer run;
    401: a required signature missing or wrong; 400: not JSON, or not what the pattern takes.
    """
    hook = incoming_hook_for(token)
    if hook.requires_signature:
        try:
            signing.verify(hook.signing_secret, body, signature_header)
        except signing.SignatureError as exc:
            raise AuthenticationError(
                _("The signature is missing, wrong or too old."), code="invalid_signature"
            ) from exc
    try:
        data = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequestError(_("The body is not JSON.")) from exc
    owner = hook.owner
    pattern = patterns_visible_to(owner).filter(pk=hook.pattern_id).first()
    if pattern is None:
        raise NotFoundError()
    key = f"hook:{hook.pk}:{idempotency_key.strip()}" if idempotency_key.strip() else ""
    try:
        execution, created = execution_start(
            actor=owner, pattern=pattern, input=data, idempotency_key=key
        )
    except ValidationError as exc:
        raise BadRequestError(exc.message, details=exc.details) from exc
    except AuthorizationError as exc:
        raise NotFoundError() from exc
    IncomingWebhook.objects.filter(pk=hook.pk).update(last_used_at=timezone.now())
    return execution, created
