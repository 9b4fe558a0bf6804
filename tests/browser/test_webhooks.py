"""Browser tests of the webhooks pages: make a webhook from the form (its secret shown once),
and every page fits a phone in Arabic, the delivery log scrolling inside its card."""

import pytest

from accounts.tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_made_from_the_form_and_its_secret_is_shown_once(
    live_server, browser, settings
):
    from playwright.sync_api import expect

    from tests.browser.test_comments import log_in
    from webhooks.models import WebhookSubscription

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    alice = UserFactory()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/webhooks/")
    page.locator("#new-webhook").click()
    page.locator("#id_url").fill("http://127.0.0.1:9/hook")
    page.locator("input[name=event_types][value=task_created]").check()
    page.locator("#webhook-form button[type=submit]").click()
    expect(page.locator("#secret")).to_have_text(WebhookSubscription.objects.get().secret)
    page.reload()
    expect(page.locator("#secret")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_fit_a_phone_in_arabic(live_server, browser):
    from playwright.sync_api import expect

    from tests.browser.test_comments import log_in
    from webhooks.models import DeliveryStatus
    from webhooks.tests.factories import DeliveryFactory, SubscriptionFactory

    alice = UserFactory(language="ar")
    long_url = "https://receiver.example/" + "a-rather-long-path-segment/" * 6
    subscription = SubscriptionFactory(owner=alice, url=long_url)
    for status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        DeliveryFactory(
            subscription=subscription,
            status=status,
            attempts=3,
            response_status=500,
            response_time_ms=1234,
            error="The receiver answered 500. " * 3,
        )
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, live_server, alice)
    for path in (
        "/webhooks/",
        "/webhooks/new/",
        f"/webhooks/{subscription.pk}/",
        "/webhooks/incoming/new/",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, path
