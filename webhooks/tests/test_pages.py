"""The webhooks pages: list, create (secret shown once), detail with the delivery log,
redeliver, ping, on/off, delete, incoming URLs; only the user's own; Arabic right to left."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from patterns.tests.factories import make_pattern
from projects.tests.factories import ProjectFactory
from webhooks.models import DeliveryStatus, IncomingWebhook, WebhookDelivery, WebhookSubscription
from webhooks.tests.factories import DeliveryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_create_shows_the_secret_once_on_the_webhooks_page(signed_in, user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    project = ProjectFactory(owner=user, name="Apollo")
    form = signed_in.get(reverse("webhooks:create")).content.decode()
    assert "Apollo" in form
    response = signed_in.post(
        reverse("webhooks:create"),
        {
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["task_created"],
            "scope": f"projects.project:{project.pk}",
            "with_descendants": "on",
        },
    )
    subscription = WebhookSubscription.objects.get()
    assert response.url == reverse("webhooks:detail", args=[subscription.pk])
    first = signed_in.get(response.url).content.decode()
    assert subscription.secret in first
    second = signed_in.get(response.url).content.decode()
    assert subscription.secret not in second
    assert subscription.scope == f"projects.project:{project.pk}"


def test_a_private_url_is_a_form_error_and_nothing_is_made(signed_in, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    response = signed_in.post(
        reverse("webhooks:create"),
        {"url": "http://169.254.169.254/", "event_types": ["task_created"]},
    )
    assert response.status_code == 422
    assert "field--invalid" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_detail_shows_the_delivery_log_and_why_it_is_off(signed_in, user):
    subscription = SubscriptionFactory(
        owner=user, is_active=False, consecutive_failures=4, disabled_reason="failed_deliveries"
    )
    DeliveryFactory(
        subscription=subscription,
        status=DeliveryStatus.FAILED,
        attempts=8,
        response_status=500,
        response_time_ms=123,
        error="The receiver answered 500.",
    )
    html = signed_in.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert "123 ms" in html
    assert "The receiver answered 500." in html
    assert "4 failed deliveries in a row" in html
    assert "Redeliver" in html


def test_redeliver_ping_toggle_and_delete_from_the_page(signed_in, user):
    subscription = SubscriptionFactory(owner=user)
    done = DeliveryFactory(subscription=subscription, event_id=None, status=DeliveryStatus.FAILED)
    page = reverse("webhooks:detail", args=[subscription.pk])
    response = signed_in.post(reverse("webhooks:redeliver", args=[subscription.pk, done.pk]))
    assert response.url == page
    assert WebhookDelivery.objects.filter(redelivery_of=done).exists()
    signed_in.post(reverse("webhooks:ping", args=[subscription.pk]))
    assert WebhookDelivery.objects.filter(event_type="ping").exists()
    signed_in.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "0"})
    subscription.refresh_from_db()
    assert not subscription.is_active
    signed_in.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.is_active
    response = signed_in.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert response.url == reverse("webhooks:list")
    assert not WebhookSubscription.objects.exists()


def test_another_users_webhook_pages_are_404(signed_in, other_user):
    theirs = DeliveryFactory(subscription=SubscriptionFactory(owner=other_user))
    sub = theirs.subscription
    assert signed_in.get(reverse("webhooks:detail", args=[sub.pk])).status_code == 404
    for name in ("webhooks:active", "webhooks:ping", "webhooks:delete"):
        assert signed_in.post(reverse(name, args=[sub.pk]), {"active": "0"}).status_code == 404
    url = reverse("webhooks:redeliver", args=[sub.pk, theirs.pk])
    assert signed_in.post(url).status_code == 404
    assert sub.url not in signed_in.get(reverse("webhooks:list")).content.decode()
    sub.refresh_from_db()
    assert sub.is_active


def test_an_incoming_url_is_shown_once_then_revoked(signed_in, user, other_user):
    pattern = make_pattern(user)
    response = signed_in.post(
        reverse("webhooks:incoming-create"), {"pattern": pattern.key, "name": "CI"}
    )
    assert response.url == reverse("webhooks:list")
    first = signed_in.get(response.url).content.decode()
    url = re.search(r'id="incoming-url">([^<]+)<', first).group(1)
    assert "/hooks/in/nxi_" in url
    assert url not in signed_in.get(response.url).content.decode()
    hook = IncomingWebhook.objects.get()
    theirs = Client()
    theirs.force_login(other_user)
    assert theirs.post(reverse("webhooks:incoming-revoke", args=[hook.pk])).status_code == 404
    signed_in.post(reverse("webhooks:incoming-revoke", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.revoked_at is not None


def test_the_pages_need_a_sign_in(client):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302


def test_pages_are_right_to_left_in_arabic(signed_in, user):
    subscription = SubscriptionFactory(owner=user)
    signed_in.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "ar"
    for url in (
        reverse("webhooks:list"),
        reverse("webhooks:create"),
        reverse("webhooks:detail", args=[subscription.pk]),
        reverse("webhooks:incoming-create"),
    ):
        html = signed_in.get(url).content.decode()
        assert '<html lang="ar" dir="rtl">' in html, url
