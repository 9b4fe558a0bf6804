import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions.enums import MemberRole
from projects.models import Task, TaskStatus
from projects.tests.factories import (
    ProjectFactory,
    TaskDependencyFactory,
    TaskFactory,
    add_member,
)

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-kanban.png"


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def card_in(page, status, task):
    return page.locator(f'.kanban__column[data-status="{status}"] #task-{task.pk}')


def move_with_menu(card, column):
    card.locator(".kanban-card__menu-toggle").click()
    card.get_by_role("button", name=column, exact=True).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_moving_a_card_changes_its_status_through_the_api_and_survives_a_reload(live_server, page):
    from playwright.sync_api import expect

    user = UserFactory(first_name="Iris")
    project = ProjectFactory(owner=user, name="Apollo")
    task = TaskFactory(project=project, title="Write the plan")
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="Apollo").click()
    page.wait_for_url(f"**/projects/{project.pk}/")
    assert card_in(page, "todo", task).is_visible()

    with page.expect_response(f"**/api/v1/tasks/{task.pk}/") as api:
        move_with_menu(card_in(page, "todo", task), "In progress")
    assert api.value.status == 200
    card_in(page, "in_progress", task).wait_for()
    page.screenshot(path=SCREENSHOT, full_page=True)

    move_with_menu(card_in(page, "in_progress", task), "Done")
    card_in(page, "done", task).wait_for()
    # A locator assertion, not wait_for_function: that polls with eval, which the page's
    # Content-Security-Policy refuses.
    expect(page.locator("#project-completion progress")).to_have_js_property("value", 100)
    move_with_menu(card_in(page, "done", task), "In progress")
    card_in(page, "in_progress", task).wait_for()

    page.reload()
    assert card_in(page, "in_progress", task).is_visible()
    assert card_in(page, "todo", task).count() == 0
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_blocked_move_shows_the_reason_on_the_card_without_moving_it(live_server, page):
    user = UserFactory()
    project = ProjectFactory(owner=user)
    task = TaskFactory(project=project, title="Ship")
    TaskDependencyFactory(task=task, depends_on=TaskFactory(project=project, title="Test"))
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/projects/{project.pk}/")

    move_with_menu(card_in(page, "todo", task), "Done")

    error = card_in(page, "todo", task).get_by_role("alert")
    error.wait_for()
    assert "not done" in error.inner_text()
    assert "Test" in error.inner_text()
    assert card_in(page, "done", task).count() == 0
    assert Task.objects.get(pk=task.pk).status == TaskStatus.TODO


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_card_moves_with_the_keyboard_alone(live_server, page):
    from playwright.sync_api import expect

    user = UserFactory()
    project = ProjectFactory(owner=user)
    task = TaskFactory(project=project, title="Keyboard")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(page.locator(".kanban-card__move select, select[name=status]")).to_have_count(0)

    card = card_in(page, "todo", task)
    card.focus()
    page.keyboard.press("Shift+ArrowRight")
    card_in(page, "in_progress", task).wait_for()
    expect(card_in(page, "in_progress", task)).to_be_focused()
    page.keyboard.press("Shift+ArrowRight")
    card_in(page, "review", task).wait_for()
    page.keyboard.press("Shift+ArrowLeft")
    card_in(page, "in_progress", task).wait_for()

    # The Move menu, by keyboard: Tab to its toggle, open it, Tab to a column, Enter.
    card = card_in(page, "in_progress", task)
    card.locator(".kanban-card__menu-toggle").focus()
    page.keyboard.press("Enter")
    card.get_by_role("button", name="Blocked", exact=True).focus()
    page.keyboard.press("Enter")
    card_in(page, "blocked", task).wait_for()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.BLOCKED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_arabic_shift_left_moves_a_card_to_the_next_column(live_server, page):
    user = UserFactory(language="ar")
    project = ProjectFactory(owner=user)
    task = TaskFactory(project=project, title="Mirror")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/projects/{project.pk}/")

    card_in(page, "todo", task).focus()
    page.keyboard.press("Shift+ArrowLeft")

    card_in(page, "in_progress", task).wait_for()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_open_board_follows_another_users_moves_and_new_tasks(
    browser, settings, fresh_channel_layer
):
    # daphne in a thread of this process (see tests/browser/test_chat.py): one per session.
    from playwright.sync_api import expect

    from tests.browser.test_chat import asgi_url, logged_in_page

    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory()
    project = ProjectFactory(owner=alice, name="Apollo")
    bob = add_member(project, MemberRole.MEMBER)
    task = TaskFactory(project=project, title="Shared")
    url = asgi_url()
    alice_page = logged_in_page(browser, url, alice)
    bob_page = logged_in_page(browser, url, bob)
    for page in (alice_page, bob_page):
        page.goto(f"{url}/projects/{project.pk}/")
        expect(page.locator("#kanban")).to_have_attribute("data-connected", "true")

    card_in(bob_page, "todo", task).focus()
    bob_page.keyboard.press("Shift+ArrowRight")
    card_in(bob_page, "in_progress", task).wait_for()

    expect(card_in(alice_page, "in_progress", task)).to_be_visible(timeout=3000)
    expect(alice_page.locator('.kanban__column[data-status="todo"] .kanban__count')).to_have_text(
        "0"
    )

    bob_page.locator("#add-review").fill("Fresh from Bob")
    bob_page.locator("#add-review").press("Enter")
    added = alice_page.locator('.kanban__column[data-status="review"] .kanban-card')
    expect(added).to_contain_text("Fresh from Bob", timeout=3000)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_card_dragged_to_another_column_moves_there(live_server, page):
    user = UserFactory()
    project = ProjectFactory(owner=user)
    task = TaskFactory(project=project, title="Dragged")
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/projects/{project.pk}/")

    with page.expect_response(f"**/api/v1/tasks/{task.pk}/"):
        card_in(page, "todo", task).drag_to(
            page.locator('.kanban__column[data-status="review"] .kanban__title')
        )

    card_in(page, "review", task).wait_for()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.REVIEW


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_open_board_follows_another_users_title_edit_and_deletion(
    browser, settings, fresh_channel_layer
):
    from playwright.sync_api import expect

    from tests.browser.test_chat import asgi_url, logged_in_page

    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory()
    project = ProjectFactory(owner=alice, name="Apollo")
    bob = add_member(project, MemberRole.MEMBER)
    task = TaskFactory(project=project, title="Old title")
    url = asgi_url()
    alice_page = logged_in_page(browser, url, alice)
    alice_page.goto(f"{url}/projects/{project.pk}/")
    expect(alice_page.locator("#kanban")).to_have_attribute("data-connected", "true")
    bob_page = logged_in_page(browser, url, bob)

    bob_page.goto(f"{url}/projects/tasks/{task.pk}/")
    bob_page.locator("#id_title").fill("New title from Bob")
    bob_page.locator("#task-form button[type=submit]").click()
    bob_page.wait_for_load_state()

    expect(card_in(alice_page, "todo", task)).to_contain_text("New title from Bob", timeout=3000)

    bob_page.goto(f"{url}/projects/tasks/{task.pk}/delete/")
    bob_page.get_by_role("button", name="Delete task").click()
    bob_page.wait_for_url(f"**/projects/{project.pk}/")

    expect(card_in(alice_page, "todo", task)).to_have_count(0, timeout=3000)
    expect(alice_page.locator('.kanban__column[data-status="todo"] .kanban__count')).to_have_text(
        "0"
    )
