"""The dashboard shows what needs the user's attention: unread mail, unread chat rooms and
exceeded AI budgets, each only from what the user may see."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nexus_site.dashboard import set_panels_scope
from projects.tests.factories import ProjectFactory
from workspace.mail.models import MailboxEntry
from workspace.tests.ai_usage.factories import BudgetFactory, InteractionFactory
from workspace.tests.chat.factories import make_room, post
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db
QUIET = "Nothing needs your attention"


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_quiet_workspace_says_nothing_needs_attention(client, user):
    page = dashboard(client, user)

    assert QUIET in page
    assert "panel-mail-heading" not in page


def test_unread_mail_is_counted_and_reading_it_clears_the_panel(client, user, other_user):
    for subject in ("One", "Two"):
        write(other_user, to=[user], subject=subject)

    before = dashboard(client, user)
    MailboxEntry.objects.filter(user=user).update(is_read=True)
    after = dashboard(client, user)

    assert "2 unread messages in your inbox" in before
    assert "panel-mail-heading" not in after


def test_rooms_with_unread_messages_are_listed(client, user, other_user):
    room = make_room(other_user, name="Launch team", members=[user])
    quiet = make_room(other_user, name="Quiet corner", members=[user])
    post(other_user, room, "news")
    post(user, quiet, "my own message is never unread")

    page = dashboard(client, user)

    assert "Launch team" in page
    assert "Quiet corner" not in page


def test_an_exceeded_budget_shows_and_another_users_does_not(client, user, other_user):
    BudgetFactory(user=user, amount=Decimal("1.00"))
    BudgetFactory(user=other_user, amount=Decimal("1.00"))
    InteractionFactory(user=user, cost=Decimal("1.50"))
    InteractionFactory(user=other_user, cost=Decimal("2.50"))

    page = dashboard(client, user)

    assert "AI budgets exceeded" in page
    assert user.email in page
    assert other_user.email not in page


def same_markup(page: str) -> str:
    """Return ``page`` without what differs between two renders (CSRF token, CSP nonce)."""
    return re.sub(r'(value|nonce|content)="[A-Za-z0-9_\-+/=]{20,}"', "", page)


def test_the_panels_read_the_users_grants_once_and_show_the_same(client, user, other_user):
    project = ProjectFactory(owner=user, name="Managed")
    BudgetFactory(project=project, amount=Decimal("1.00"))
    InteractionFactory(user=other_user, project=project, cost=Decimal("1.50"))
    room = make_room(other_user, name="Launch team", members=[user])
    post(other_user, room, "news")
    client.force_login(user)

    def page_and_queries() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as context:
            page = dashboard(client, user)
        return page, len(context.captured_queries)

    shared, shared_queries = page_and_queries()
    previous = set_panels_scope(None)  # each panel reads the grants itself
    try:
        alone, alone_queries = page_and_queries()
    finally:
        set_panels_scope(previous)

    assert "Launch team" in shared
    assert "Managed" in shared
    assert same_markup(shared) == same_markup(alone)
    # Alone, each panel reads the grants (one statement) and, if it needs the reach, the
    # containers below them (one more): chat 2, AI budgets 1, my tasks 2, activity 2, shared
    # documents 1, mentions 2 + 2 (tasks and documents) = 12. Shared: 2 for all of them.
    assert alone_queries - shared_queries == 10
