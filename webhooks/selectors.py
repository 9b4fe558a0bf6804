"""Every read of webhooks on behalf of a user: only the owner's own, anything else is 404."""

from typing import Any

from django.db.models import QuerySet

from nexus_site.exceptions import NotFoundError
from nexus_site.queries import first_or_none
from webhooks.models import IncomingWebhook, WebhookDelivery, WebhookSubscription


def subscriptions_of(user) -> QuerySet[WebhookSubscription]:
    if not getattr(user, "is_authenticated", False):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.filter(owner_id=user.pk).order_by("-created_at", "-id")


def subscription_get(user, subscription_id: Any) -> WebhookSubscription:
    subscription = first_or_none(subscriptions_of(user), pk=subscription_id)
    if subscription is None:
        raise NotFoundError()
    return subscription


def deliveries_of(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-id")


def delivery_get(subscription: WebhookSubscription, delivery_id: Any) -> WebhookDelivery:
    delivery = first_or_none(
        deliveries_of(subscription).select_related("subscription", "redelivery_of"),
        pk=delivery_id,
    )
    if delivery is None:
        raise NotFoundError()
    return delivery


def incoming_of(user) -> QuerySet[IncomingWebhook]:
    if not getattr(user, "is_authenticated", False):
        return IncomingWebhook.objects.none()
    return (
        IncomingWebhook.objects.filter(owner_id=user.pk)
        .select_related("pattern")
        .order_by("-created_at", "-id")
    )


def incoming_get(user, hook_id: Any) -> IncomingWebhook:
    hook = first_or_none(incoming_of(user), pk=hook_id)
    if hook is None:
        raise NotFoundError()
    return hook
