"""Webhook objects for the tests, made directly (no DNS) or through the services."""

import factory

from accounts.tests.factories import UserFactory
from webhooks.matching import forget_subscribed_types
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from webhooks.services import new_secret


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    url = "https://receiver.example/hook"
    event_types = factory.LazyFunction(lambda: ["task_created"])
    secret = factory.LazyFunction(new_secret)

    @factory.post_generation
    def _forget_types(obj, create, extracted, **kwargs):
        # As subscription_create does on commit: the listener's memo of types is per process.
        forget_subscribed_types()


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(SubscriptionFactory)
    event_id = factory.Sequence(lambda n: 10_000 + n)
    event_type = "task_created"
    payload = factory.LazyAttribute(lambda d: {"id": d.event_id, "type": d.event_type})
    status = DeliveryStatus.PENDING
