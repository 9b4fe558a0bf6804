"""Browser tests of notifications: the bell follows a mention live; the page opens the object
and fits a phone in Arabic."""

import pytest

from accounts.tests.factories import UserFactory
from projects.tests.factories import ProjectFactory, TaskFactory, add_member


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_bell_counts_a_mention_live_and_the_page_opens_the_comment(
    browser, settings, fresh_channel_layer
):
    # daphne in a thread of this process (see tests/browser/test_chat.py): one per session.
    from playwright.sync_api import expect

    from tests.browser.test_chat import asgi_url, logged_in_page

    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory(first_name="Alice")
    bob = UserFactory(first_name="Bob", last_name="Stone")
    project = ProjectFactory(owner=alice, name="Apollo")
    add_member(project, user=bob)
    task = TaskFactory(project=project, title="Launch plan")
    url = asgi_url()
    alice_page = logged_in_page(browser, url, alice)
    alice_page.goto(f"{url}/projects/")
    bell = alice_page.locator("#notification-bell")
    expect(bell).to_have_attribute("data-connected", "true")
    expect(alice_page.locator("#notification-count")).to_be_hidden()

    bob_page = logged_in_page(browser, url, bob)
    bob_page.goto(f"{url}/projects/tasks/{task.pk}/")
    bob_page.locator("#comment-new-body").fill(f"Ready for you @{alice.email} ")
    bob_page.locator("#comment-new button[type=submit]").click()
    bob_page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-*")

    expect(alice_page.locator("#notification-count")).to_have_text("1", timeout=5000)
    expect(alice_page.locator("#notification-count")).to_be_visible()

    bell.click()
    alice_page.wait_for_url(f"{url}/notifications/")
    item = alice_page.locator(".notification--unread")
    expect(item).to_contain_text("Bob Stone mentioned you")
    item.get_by_role("button", name="Launch plan").click()
    alice_page.wait_for_url(f"**/projects/tasks/{task.pk}/#comment-*")
    expect(alice_page.locator("#notification-count")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_fits_a_phone_in_arabic_and_marks_all_read(live_server, browser):
    from playwright.sync_api import expect

    from notifications.tests.factories import notification_for
    from tests.browser.test_comments import log_in

    alice = UserFactory(language="ar")
    for index in range(3):
        notification_for(alice, actor=UserFactory(), title=f"A rather long task title {index} " * 3)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".notification")).to_have_count(3)
    expect(page.locator("#notification-count")).to_have_text("3")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

    page.locator("#read-all").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator("#notification-count")).to_be_hidden()
