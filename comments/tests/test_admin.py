"""The staff screens for comments at /admin/: read-only, with the edit history."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comments import services
from comments.selectors import decided
from comments.tests.factories import comment_on
from projects.tests.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_a_comment_shows_its_history_read_only(admin_client, user):
    task = TaskFactory(project=ProjectFactory(owner=user))
    comment = comment_on(task, user, "before")
    services.comment_edit(actor=user, target=decided(user, task), comment=comment, body="after")
    page = admin_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    assert page.status_code == 200
    assert "before" in page.content.decode()
    assert b'name="body"' not in page.content


def test_the_list_runs_constant_queries(admin_client, user):
    task = TaskFactory(project=ProjectFactory(owner=user))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse("admin:comments_comment_changelist")).status_code == 200
        return len(captured)

    comment_on(task, user)
    few = count()
    for _ in range(5):
        comment_on(TaskFactory(project=task.project), user)
    assert count() == few
