"""Site-wide layout in a real browser: the hidden attribute hides, the navigation collapses
behind a menu button on a 390 px phone (left to right and right to left, open without
JavaScript) and the board scrolls inside itself instead of the page."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from projects.tests.factories import ProjectFactory, TaskFactory
from workspace.tests.chat.factories import make_room

PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_hidden_button_is_not_shown_although_its_class_sets_display(live_server, page):
    from playwright.sync_api import expect

    user = UserFactory()
    room = make_room(user, name="Launch team")
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/chat/{room.pk}/")

    cancel = page.locator("#chat-context-cancel")
    expect(cancel).to_be_attached()
    expect(cancel).to_be_hidden()  # .chat-context sets display: flex on its hidden paragraph


def test_on_a_phone_the_navigation_is_collapsed_and_the_menu_button_opens_it(live_server, phone):
    from playwright.sync_api import expect

    user = UserFactory()
    log_in(phone, live_server, user)

    toggle = phone.get_by_role("button", name="Menu")
    projects = phone.locator("#main-nav").get_by_role("link", name="Projects")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(projects).to_be_hidden()

    toggle.click()

    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(projects).to_be_visible()
    header_height = phone.locator(".site-header").bounding_box()["height"]
    toggle.click()
    expect(projects).to_be_hidden()
    assert phone.locator(".site-header").bounding_box()["height"] < header_height
    assert phone.locator(".site-header").bounding_box()["height"] < PHONE["height"] / 5


def test_in_arabic_the_menu_button_sits_on_the_left_end_of_the_header(live_server, phone):
    from playwright.sync_api import expect

    user = UserFactory(language="ar")
    log_in(phone, live_server, user)
    phone.goto(f"{live_server.url}/")  # the saved language applies from the next page

    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    toggle = phone.locator("#nav-toggle")
    expect(toggle).to_be_visible()
    brand = phone.locator(".brand").bounding_box()
    box = toggle.bounding_box()
    assert box["x"] < brand["x"]  # mirrored: the brand on the right, the button on the left
    toggle.click()
    expect(phone.locator("#main-nav")).to_be_visible()


def test_without_javascript_the_navigation_stays_open(live_server, browser):
    from playwright.sync_api import expect

    user = UserFactory()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, user)

        expect(page.locator("#nav-toggle")).to_be_hidden()
        expect(page.locator("#main-nav").get_by_role("link", name="Projects")).to_be_visible()
    finally:
        context.close()


def test_on_a_phone_the_board_scrolls_inside_itself_not_the_page(live_server, phone):
    from playwright.sync_api import expect

    user = UserFactory()
    project = ProjectFactory(owner=user, name="Apollo")
    for n in range(3):
        TaskFactory(project=project, title=f"A rather long task title number {n} to wrap")
    log_in(phone, live_server, user)

    phone.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(phone.locator(".kanban")).to_be_visible()

    page_width = phone.evaluate("document.documentElement.scrollWidth")
    board = phone.locator(".kanban").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert page_width == PHONE["width"]
    assert board[0] > board[1]  # the columns are wider than the screen: the board scrolls
