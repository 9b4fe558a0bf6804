"""The pages work under the Content-Security-Policy, and nothing on them violates it.

Chromium reports every blocked script, style, connection or frame as a
``securitypolicyviolation`` event and a console error; both are recorded across navigations
while a user walks the main pages (the kanban board's script moves a card, the chat socket
connects, the document editor draws its content), staff open the admin and Swagger UI.
"""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions.enums import Role
from patterns.services import execution_start
from patterns.tests.factories import make_pattern
from projects.tests.factories import ProjectFactory, TaskFactory
from tests.browser.test_chat import asgi_url
from workspace.tests.chat.factories import make_room
from workspace.tests.documents.factories import DocumentFactory

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` on ${document.location.pathname}`);
});
"""


class Recorder:
    """Collect CSP violations (events and console errors) of every page of a context."""

    def __init__(self, context):
        self.violations: list[str] = []
        context.expose_function("reportViolation", self.record)
        context.add_init_script(RECORD_VIOLATIONS)

    def record(self, violation: str) -> None:
        self.violations.append(violation)

    def watch(self, page):
        page.on("console", self.console)
        return page

    def console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.record(message.text)


def logged_in(browser, url: str, user):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    recorder = Recorder(context)
    page = recorder.watch(context.new_page())
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{url}/")
    return page, recorder


def script_src(response) -> str:
    policy = response.headers["content-security-policy"]
    return next(part for part in policy.split(";") if "script-src" in part)


def open_page(page, url: str):
    """Open ``url``; its policy allows no inline script (a nonce only where the page needs one)."""
    response = page.goto(url)
    assert response.status == 200, url
    assert "unsafe-inline" not in script_src(response)
    assert "unsafe-eval" not in script_src(response)
    return response


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_work_under_the_policy_without_a_violation(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    user = UserFactory()
    project = ProjectFactory(owner=user, name="Apollo")
    task = TaskFactory(project=project, title="Write the plan")
    document = DocumentFactory(owner=user, title="Plan")
    room = make_room(user, name="Launch")
    execution, _ = execution_start(actor=user, pattern=make_pattern(user), input={})
    url = asgi_url()
    page, recorder = logged_in(browser, url, user)

    for path in ("/", "/projects/", "/documents/", "/files/", "/mail/", "/chat/", "/ai/"):
        open_page(page, f"{url}{path}")
    open_page(page, f"{url}/graph/")
    open_page(page, f"{url}/patterns/")
    open_page(page, f"{url}/patterns/executions/{execution.pk}/")
    open_page(page, f"{url}/projects/{project.pk}/schedule/")

    # The board's inline script (it carries the nonce) moves a card through the API.
    board = open_page(page, f"{url}/projects/{project.pk}/")
    assert "'nonce-" in script_src(board)
    card = page.locator(f'.kanban__column[data-status="todo"] #task-{task.pk}')
    with page.expect_response(f"**/api/v1/tasks/{task.pk}/") as moved:
        card.locator(".kanban-card__menu-toggle").click()
        card.get_by_role("button", name="In progress", exact=True).click()
    assert moved.value.status == 200
    page.locator(f'.kanban__column[data-status="in_progress"] #task-{task.pk}').wait_for()

    # The editor's script draws the document; the chat's socket connects.
    open_page(page, f"{url}/documents/{document.pk}/")
    page.locator("#doc-body > *").first.wait_for()
    open_page(page, f"{url}/chat/{room.pk}/")
    page.wait_for_selector('#chat-room[data-connected="true"]')

    assert recorder.violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_swagger_ui_work_under_the_policy_without_a_violation(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    staff = UserFactory(role=Role.ADMIN)
    url = asgi_url()
    page, recorder = logged_in(browser, url, staff)

    open_page(page, f"{url}/admin/")
    page.locator("#content").wait_for()
    open_page(page, f"{url}/admin/accounts/user/")
    page.locator("#result_list").wait_for()
    open_page(page, f"{url}/admin/accounts/user/{staff.pk}/change/")
    page.locator("form").first.wait_for()

    open_page(page, f"{url}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()

    assert recorder.violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_inline_script_without_the_nonce_is_blocked_and_recorded(
    browser, settings, fresh_channel_layer
):
    settings.ALLOWED_HOSTS = ["*"]
    url = asgi_url()
    page, recorder = logged_in(browser, url, UserFactory())
    open_page(page, f"{url}/projects/")

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )

    page.wait_for_function("() => true")
    assert page.evaluate("() => window.injected === undefined")
    page.wait_for_timeout(200)
    assert any("script-src" in violation for violation in recorder.violations)
