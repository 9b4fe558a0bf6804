"""A team runs a project in the browser without the API: create a project, add a member with
the people picker, quick-add tasks on the board, edit one in place, add a dependency and see a
cycle refused by the tasks' titles. In English and Arabic, on a desktop and a 390 px phone."""

import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions.enums import MemberRole
from projects.models import Project, Task, TaskDependency
from projects.tests.factories import ProjectFactory, add_member

SHOTS = Path(tempfile.gettempdir())


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def fits(page, width):
    """The page itself never scrolls sideways (the board may scroll inside itself)."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "width"), [("en", 1280), ("en", 390), ("ar", 390)], ids=["en", "phone", "ar"]
)
def test_a_project_is_run_from_the_pages(live_server, browser, language, width):
    from playwright.sync_api import expect

    user = UserFactory(first_name="Iris", last_name="Lane", language=language)
    ada = UserFactory(first_name="Ada", last_name="Byron", email="ada@example.com")
    add_member(ProjectFactory(owner=user, name="Earlier"), MemberRole.MEMBER, ada)
    context = browser.new_context(viewport={"width": width, "height": 860})
    page = context.new_page()
    try:
        log_in(page, live_server, user)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")

        # A new project, from the list's button.
        page.goto(f"{live_server.url}/projects/")
        page.locator("#new-project").click()
        page.locator("#id_name").fill("Apollo")
        page.locator("#id_description").fill("To the moon")
        page.locator("#id_priority").select_option("high")
        page.locator("#id_start_date").fill("2027-01-04")
        page.locator("#id_end_date").fill("2027-03-01")
        page.locator("#id_budget").fill("1200")
        assert fits(page, width)
        page.locator("#project-form button[type=submit]").click()
        project = Project.objects.get(name="Apollo")
        page.wait_for_url(f"**/projects/{project.pk}/")
        expect(page.locator("h1")).to_contain_text("Apollo")

        # A member, found by name with the people picker and picked with the keyboard.
        page.locator(f'.project-nav a[href="/projects/{project.pk}/members/"]').click()
        page.wait_for_url(f"**/projects/{project.pk}/members/")
        expect(page.locator("#id_person-value[data-people-picker-ready]")).to_be_attached()
        picker = page.locator("#id_person")
        picker.fill("ada")
        expect(page.locator(".people-picker__option")).to_have_count(1)
        expect(page.locator(".people-picker__option")).to_contain_text("Ada Byron")
        picker.press("ArrowDown")
        picker.press("Enter")
        expect(picker).to_have_value("Ada Byron <ada@example.com>")
        page.locator("#id_role").select_option("member")
        assert fits(page, width)
        page.screenshot(path=SHOTS / f"nexus-members-{language}-{width}.png", full_page=True)
        page.locator("#add-member-form button[type=submit]").click()
        expect(page.locator("#members")).to_contain_text("Ada Byron")

        # Two tasks typed straight into the board's column, each with Enter.
        page.goto(f"{live_server.url}/projects/{project.pk}/")
        page.locator("#add-todo").fill("Write the plan")
        page.locator("#add-todo").press("Enter")
        todo = page.locator('.kanban__column[data-status="todo"]')
        expect(todo.locator(".kanban-card")).to_have_count(1)
        expect(page.locator("#add-todo")).to_be_focused()
        page.locator("#add-todo").fill("Design")
        page.locator("#add-todo").press("Enter")
        expect(todo.locator(".kanban-card")).to_have_count(2)
        page.screenshot(path=SHOTS / f"nexus-board-{language}-{width}.png", full_page=True)

        # The task page edits in place.
        plan = Task.objects.get(title="Write the plan")
        design = Task.objects.get(title="Design")
        todo.get_by_role("link", name="Write the plan").click()
        page.wait_for_url(f"**/projects/tasks/{plan.pk}/")
        page.locator("#id_title").fill("Write the final plan")
        page.locator("#id_assignee").select_option(label="Ada Byron")
        page.locator("#id_status").select_option("in_progress")
        page.locator("#id_due_date").fill("2027-02-01")
        page.locator("#id_estimated_hours").fill("5")
        page.locator("#id_tags").fill("docs, q1")
        assert fits(page, width)
        page.locator("#task-form button[type=submit]").click()
        expect(page.locator("h1")).to_have_text("Write the final plan")
        expect(page.locator("#id_assignee option:checked")).to_have_text("Ada Byron")
        expect(page.locator("#activity")).to_contain_text("Ada Byron")
        plan.refresh_from_db()
        assert (plan.assignee, plan.tags) == (ada, ["docs", "q1"])

        # It waits on Design; Design waiting on it would close a cycle, refused by titles.
        page.locator("#id_depends_on").select_option(label="Design")
        page.locator("#dependency-form button[type=submit]").click()
        expect(page.locator("#waits-on")).to_contain_text("Design")
        page.goto(f"{live_server.url}/projects/tasks/{design.pk}/")
        page.locator("#id_depends_on").select_option(label="Write the final plan")
        page.locator("#dependency-form button[type=submit]").click()
        error = page.locator(".messages .alert--error")
        expect(error).to_contain_text("Design → Write the final plan → Design")
        assert str(plan.pk) not in error.inner_text()
        page.screenshot(path=SHOTS / f"nexus-task-{language}-{width}.png", full_page=True)
        assert TaskDependency.objects.filter(task=plan, depends_on=design).exists()
        assert not TaskDependency.objects.filter(task=design, depends_on=plan).exists()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_people_picker_chooses_several_people_by_id_with_the_keyboard(live_server, page):
    """The contract other pages rely on (static/js/people-picker.js): data-people-multiple
    with data-people-value="id" sends the chosen people's ids joined with ", "."""
    from playwright.sync_api import expect

    user = UserFactory()
    project = ProjectFactory(owner=user, name="Apollo")
    ada = add_member(project, user=UserFactory(first_name="Ada", last_name="Byron"))
    alan = add_member(project, user=UserFactory(first_name="Alan", last_name="Turing"))
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/projects/{project.pk}/members/")
    page.evaluate(
        """() => {
          const input = document.createElement("input");
          Object.assign(input, {type: "text", name: "people", id: "id_people"});
          input.dataset.peoplePicker = "";
          input.dataset.peopleMultiple = "";
          input.dataset.peopleValue = "id";
          input.dataset.peopleUrl = "/accounts/people/";
          document.querySelector("#add-member-form").append(input);
          window.NexusPeoplePicker.enhance(input);
        }"""
    )
    box = page.locator("#id_people")
    value = page.locator("#id_people-value")
    picker = page.locator(".people-picker", has=box)

    box.fill("ada")
    expect(picker.locator(".people-picker__option", has_text="Ada Byron")).to_be_visible()
    box.press("Enter")
    box.fill("alan")
    expect(picker.locator(".people-picker__option", has_text="Alan Turing")).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")

    expect(value).to_have_value(f"{ada.pk}, {alan.pk}")
    expect(picker.locator(".people-picker__chip")).to_have_count(2)
    box.press("Backspace")
    expect(value).to_have_value(str(ada.pk))
    box.fill("nobody-like-this")
    expect(picker.locator(".people-picker__empty")).to_be_visible()
    box.press("Escape")
    expect(picker.locator(".people-picker__list")).to_be_hidden()
