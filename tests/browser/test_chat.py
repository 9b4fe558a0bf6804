"""Chat in two browsers: a message sent by one user appears for the other without a reload.

pytest-django's live_server speaks WSGI only, and channels' ChannelsLiveServerTestCase runs
daphne in another process, which cannot see the in-memory SQLite test database. So this
module runs daphne in a thread of the test process (the shared-cache in-memory database and
the in-memory channel layer are then shared) serving the project's ASGI application, with
static files, on a free port. Twisted's reactor cannot restart: one server per test session.
"""

import re
import socket
import threading
import time

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from workspace.tests.chat.factories import make_room, post

_SERVER: dict = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def asgi_url() -> str:
    """Start (once) daphne on the project's ASGI application; return its base URL."""
    if "url" in _SERVER:
        return _SERVER["url"]
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from nexus_site.asgi import application

    static = ASGIStaticFilesHandler(get_asgi_application())

    async def app(scope, receive, send):
        if scope["type"] == "http":
            return await static(scope, receive, send)
        return await application(scope, receive, send)

    port = free_port()
    server = Server(
        application=app,
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
        signal_handlers=False,
    )
    threading.Thread(target=server.run, daemon=True, name="daphne-live").start()
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    _SERVER["url"] = f"http://127.0.0.1:{port}"
    return _SERVER["url"]


def logged_in_page(browser, url, user):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{url}/")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_message_sent_by_one_user_appears_for_the_other_without_reload(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice, bob = UserFactory(), UserFactory()
    room = make_room(alice, name="Launch", members=[bob])
    url = asgi_url()
    alice_page = logged_in_page(browser, url, alice)
    bob_page = logged_in_page(browser, url, bob)
    for page in (alice_page, bob_page):
        page.goto(f"{url}/chat/{room.pk}/")
        page.wait_for_selector('#chat-room[data-connected="true"]')

    alice_page.locator("#chat-body").fill("Lift-off at noon")
    alice_page.locator("#chat-form button[type=submit]").click()

    bob_page.locator(".chat-message__body", has_text="Lift-off at noon").wait_for()
    alice_page.locator(".chat-message__body", has_text="Lift-off at noon").wait_for()
    assert bob_page.locator("#chat-messages li").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_message_edited_by_its_author_updates_for_the_other_user_without_reload(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice, bob = UserFactory(), UserFactory()
    room = make_room(alice, name="Edits", members=[bob])
    message = post(alice, room, "Meet at 10")
    url = asgi_url()
    alice_page = logged_in_page(browser, url, alice)
    bob_page = logged_in_page(browser, url, bob)
    for page in (alice_page, bob_page):
        page.goto(f"{url}/chat/{room.pk}/")
        page.wait_for_selector('#chat-room[data-connected="true"]')
    assert bob_page.locator(f"#message-{message.pk} [data-action=edit]").count() == 0

    alice_page.locator(f"#message-{message.pk} [data-action=edit]").click()
    assert alice_page.locator("#chat-body").input_value() == "Meet at 10"
    alice_page.locator("#chat-body").fill("Meet at 11")
    alice_page.locator("#chat-form button[type=submit]").click()

    item = bob_page.locator(f"#message-{message.pk}")
    item.locator(".chat-message__body", has_text="Meet at 11").wait_for()
    item.locator(".chat-message__edited").wait_for()
    assert bob_page.locator("#chat-messages > li").count() == 1


# Records every socket the page opens, so a test can drop one as a network would.
RECORD_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  function Recorded(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    // The room's sockets only: the header's notification bell holds one of its own.
    if (String(url).includes("/ws/chat/")) window.__sockets.push(socket);
    return socket;
  }
  Recorded.prototype = Native.prototype;
  Object.assign(Recorded, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Recorded;
})();
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dropped_socket_reconnects_and_shows_what_was_posted_meanwhile(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice, bob = UserFactory(), UserFactory()
    room = make_room(alice, name="Flaky", members=[bob])
    url = asgi_url()
    page = logged_in_page(browser, url, bob)
    page.add_init_script(RECORD_SOCKETS)
    page.goto(f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')

    page.evaluate("window.__sockets[0].close(4000)")  # dropped, as by a proxy or a network
    # Another thread: Playwright's loop runs in this one, and posting broadcasts through sync
    # wrappers of the channel layer.
    poster = threading.Thread(target=post, args=(alice, room, "Posted while you were away"))
    poster.start()
    poster.join()

    page.locator(".chat-message__body", has_text="Posted while you were away").wait_for()
    page.wait_for_selector('#chat-room[data-connected="true"]')
    assert page.evaluate("window.__sockets.length") == 2
    assert "after=" in page.evaluate("window.__sockets[1].url")
    assert page.locator("#chat-messages > li").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_message_keeps_its_text_and_shows_the_error_once(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory()
    room = make_room(alice, name="Limits")
    url = asgi_url()
    page = logged_in_page(browser, url, alice)
    page.goto(f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')
    too_long = (
        "x" * 10_001
    )  # past the server's limit (the box's own limit lifted, as a script could)

    page.locator("#chat-body").evaluate("input => input.removeAttribute('maxlength')")
    page.locator("#chat-body").fill(too_long)
    page.locator("#chat-form button[type=submit]").click()

    error = page.locator("#chat-error")
    error.wait_for()
    sentence = "Ensure this field has no more than 10000 characters."
    assert error.inner_text().count(sentence) == 1
    assert page.locator("#chat-body").input_value() == too_long
    assert page.locator("#chat-messages > li").count() == 0

    page.locator("#chat-body").fill("Short enough")
    page.locator("#chat-form button[type=submit]").click()
    page.locator(".chat-message__body", has_text="Short enough").wait_for()
    assert page.locator("#chat-body").input_value() == ""
    assert page.locator("#chat-error").is_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rendered_and_live_messages_show_their_time_in_one_format_and_the_users_zone(
    browser, settings, fresh_channel_layer
):
    import datetime

    from workspace.chat.models import ChatMessage

    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory(time_zone="Asia/Tokyo")
    room = make_room(alice, name="Clocks")
    earlier = post(alice, room, "Rendered by the server")
    noon_utc = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
    ChatMessage.objects.filter(pk=earlier.pk).update(created_at=noon_utc)
    url = asgi_url()
    page = logged_in_page(browser, url, alice)
    page.goto(f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')

    page.locator("#chat-body").fill("Appended live")
    page.locator("#chat-form button[type=submit]").click()
    page.locator(".chat-message__body", has_text="Appended live").wait_for()

    times = page.locator(".chat-message__time").all_inner_texts()
    assert times[0] == "1/15/26, 9:00 PM"  # noon UTC in Tokyo, as the live one is written
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s[AP]M", times[1])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_room_page_fits_a_phone_with_its_sidebar_and_members(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice, bob = UserFactory(), UserFactory(first_name="Bob", last_name="Builder")
    room = make_room(alice, name="Phones", members=[bob])
    url = asgi_url()
    page = logged_in_page(browser, url, alice)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')

    assert page.locator("#chat-members li", has_text="Bob Builder").is_visible()
    assert page.locator('#chat-sidebar a[aria-current="page"]').inner_text() == "Phones"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_room_page_in_arabic_on_a_phone_mirrors_and_fits(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    alice, bob = UserFactory(language="ar"), UserFactory(first_name="Bob", last_name="Builder")
    room = make_room(alice, name="Phones", members=[bob])
    post(bob, room, "مرحبا")
    url = asgi_url()
    page = logged_in_page(browser, url, alice)
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": url}])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#chat-members li", has_text="Bob Builder").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboards_unread_badge_is_as_wide_as_its_figure(live_server, page):
    alice, bob = UserFactory(), UserFactory()
    room = make_room(alice, name="Badges", members=[bob])
    post(alice, room, "unread")
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(bob.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    badge = page.locator("#panel-chat-heading + ul .badge").first
    card = page.locator("#panel-chat-heading + ul li").first

    assert badge.inner_text() == "1"
    assert badge.bounding_box()["width"] < 48
    assert badge.bounding_box()["width"] < card.bounding_box()["width"] / 4
