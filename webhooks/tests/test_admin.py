"""The staff screens for webhooks: they open, and never show a secret."""

import pytest
from django.test import Client
from django.urls import reverse

from webhooks.tests.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_the_admin_lists_and_shows_webhooks_without_their_secret(admin_client):
    delivery = DeliveryFactory()
    subscription = delivery.subscription
    for name, args in [
        ("admin:webhooks_webhooksubscription_changelist", []),
        ("admin:webhooks_webhooksubscription_change", [subscription.pk]),
        ("admin:webhooks_webhookdelivery_changelist", []),
        ("admin:webhooks_webhookdelivery_change", [delivery.pk]),
        ("admin:webhooks_incomingwebhook_changelist", []),
    ]:
        page = admin_client.get(reverse(name, args=args))
        assert page.status_code == 200, name
        assert subscription.secret not in page.content.decode()
