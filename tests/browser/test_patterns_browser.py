"""A pattern run watched live: the user fills the form generated from the input schema, lands
on the execution page while the run is still going, and sees every step and the final status
arrive over /ws/events/ without reloading.

The run has to be truly asynchronous for this to prove anything. With the suite's eager Celery
a run ends inside the submit request (the executor sleeps through waits in eager mode), so
this test turns eager mode off and starts a real Celery worker in a thread of the test process
(celery.contrib.testing.worker) on the in-memory broker: the submit request only enqueues the
run, the worker picks it up, sleeps through the 1.5 s wait step, and the events it publishes
on commit reach the page's socket through the channel layer the daphne thread listens on. The
worker shares the test database because it runs in the same process (the shared in-memory
SQLite database, or the PostgreSQL test database when DATABASE_URL is set).
"""

import tempfile
import uuid

import pytest

from accounts.tests.factories import UserFactory
from patterns.models import Execution, ExecutionStatus, StepStatus
from patterns.tests.factories import make_pattern
from tests.browser.test_chat import asgi_url, logged_in_page

WAIT_SECONDS = 1.5
STEPS = [
    {"id": "check", "type": "condition", "parameters": {"value": "{{ input.title }}"}},
    {
        "id": "pause",
        "type": "wait",
        "action": "Give the team a moment",
        "parameters": {"seconds": WAIT_SECONDS},
        "depends_on": ["check"],
    },
    {
        "id": "announce",
        "type": "event.publish",
        "parameters": {"type": "demo.announced", "payload": {"copies": "{{ input.copies }}"}},
        "depends_on": ["pause"],
    },
]
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "title": "Title", "minLength": 1},
        "copies": {"type": "integer", "minimum": 1, "default": 2},
    },
    "required": ["title"],
}


@pytest.fixture
def readers_not_locked_out():
    """On the shared in-memory SQLite database, let page and socket reads pass the worker's writes.

    Connections to a shared-cache database lock tables: a read of a table another connection
    is writing fails at once with "database table is locked" (no busy timeout applies). A real
    deployment has one file or PostgreSQL, where readers never wait on writers; READ
    UNCOMMITTED gives the web thread that here. Nothing changes on PostgreSQL.
    """
    from django.core.signals import request_started
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return

    def read_uncommitted(**kwargs):
        connection.cursor().execute("PRAGMA read_uncommitted = 1")

    request_started.connect(read_uncommitted, dispatch_uid="patterns-browser-read-uncommitted")
    try:
        yield
    finally:
        request_started.disconnect(dispatch_uid="patterns-browser-read-uncommitted")


@pytest.fixture
def celery_worker(monkeypatch):
    """Send tasks to an in-memory broker and run them in a real worker thread; stop it after."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from nexus_site.celery import app

    def close_worker_connections(**kwargs):
        connections.close_all()  # in the worker thread: leave no session on the test database

    monkeypatch.setenv("CELERY_SKIP_CHECKS", "true")
    saved = {
        name: app.conf[name] for name in ("broker_url", "task_always_eager", "task_default_queue")
    }
    # A queue of its own: an earlier test may have left the app's queue table naming another.
    queue = f"nexus-browser-{uuid.uuid4().hex[:12]}"
    app.conf.broker_url = "memory://"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    # Connection and producer pools are made lazily for the configured broker: start afresh.
    app._pool = None
    app.amqp._producer_pool = None
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            queues=[queue],
            perform_ping_check=False,
            shutdown_timeout=30,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)
        for name, value in saved.items():
            app.conf[name] = value
        app._pool = None
        app.amqp._producer_pool = None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_run_started_from_the_form_updates_its_page_live_until_it_succeeds(
    browser, settings, fresh_channel_layer, readers_not_locked_out, celery_worker
):
    settings.ALLOWED_HOSTS = ["*"]
    alice = UserFactory()
    pattern = make_pattern(alice, key="announce", steps=STEPS, input_schema=SCHEMA)
    url = asgi_url()
    page = logged_in_page(browser, url, alice)
    page.goto(f"{url}/patterns/{pattern.key}/")
    assert page.locator("#id_copies").input_value() == "2"  # the schema's default

    page.locator("#id_title").fill("Launch")
    page.locator("#id_copies").fill("3")
    with page.expect_response(lambda response: "/patterns/executions/" in response.url) as shown:
        page.locator("#run-form button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    page.evaluate("window.__loadedOnce = true")

    # The page was rendered while the run was still going...
    rendered = shown.value.text()
    assert 'data-status="succeeded"' not in rendered.split('id="step-timeline"')[0]
    assert 'status-badge--pending" data-status="pending"' in rendered  # at least the last step
    # ...and every later change arrives over the socket.
    page.locator('#execution-status .status-badge[data-status="succeeded"]').wait_for(
        timeout=30_000
    )
    badges = page.locator("#step-timeline .status-badge")
    assert [badges.nth(i).get_attribute("data-status") for i in range(badges.count())] == [
        "succeeded"
    ] * 3
    assert page.locator("#execution-status .status-badge").inner_text() == "Succeeded"
    assert page.locator("#step-pause .step-row__attempts").inner_text() == "1"
    assert page.evaluate("window.__loadedOnce") is True  # no reload happened
    # The finished run's outputs are read again and shown in place.
    from playwright.sync_api import expect

    expect(page.locator("#step-announce .step-row__output")).to_contain_text("demo.announced")
    expect(page.locator("#execution-created")).to_contain_text("Nothing this run created")
    execution = Execution.objects.get()
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.input == {"title": "Launch", "copies": 3}
    assert list(execution.steps.values_list("status", flat=True)) == [StepStatus.SUCCEEDED] * 3
    duration = execution.steps.get(step_id="pause").duration_ms
    assert duration >= WAIT_SECONDS * 1000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)])
def test_a_project_set_up_from_the_form_with_people_picked_by_name(
    live_server, browser, language, width
):
    from django.conf import settings as django_settings
    from playwright.sync_api import expect

    from accounts.tests.factories import DEFAULT_PASSWORD
    from patterns.system import system_patterns_install
    from projects.models import Project
    from projects.tests.factories import ProjectFactory, add_member

    system_patterns_install()  # a transactional test before this one emptied the tables
    runner = UserFactory(first_name="Rita", last_name="Runner")
    ada = UserFactory(first_name="Ada", last_name="Byron", email="ada@example.com")
    add_member(ProjectFactory(owner=runner, name="Earlier"), user=ada)
    context = browser.new_context(viewport={"width": width, "height": 860})
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("#id_email").fill(runner.email)
        page.locator("#id_password").fill(DEFAULT_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/patterns/project_kickoff/")
        page.locator("#id_name").fill("Moonshot")
        picker = page.locator("#id_members")
        picker.fill("ada")
        expect(page.locator(".people-picker__option")).to_contain_text("Ada Byron")
        picker.press("ArrowDown")
        picker.press("Enter")
        page.locator("#id_tasks").fill("Plan\nBuild")
        page.locator("#run-form button[type=submit]").click()
        page.wait_for_url("**/patterns/executions/**")

        project = Project.objects.get(name="Moonshot")
        created = page.locator("#execution-created")
        expect(created.locator("a", has_text="Moonshot")).to_have_attribute(
            "href", f"/projects/{project.pk}/"
        )
        expect(created.locator("a")).to_have_count(3)  # the project and its two tasks
        expect(page.locator("#execution-input")).to_contain_text("Ada Byron")
        expect(page.locator("#execution-input")).to_contain_text("Plan")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        page.screenshot(
            path=f"{tempfile.gettempdir()}/nexus-execution-{language}.png", full_page=True
        )
        created.locator("a", has_text="Moonshot").click()
        page.wait_for_url(f"**/projects/{project.pk}/")
    finally:
        context.close()
