"""The "My work" patterns panel: the latest runs you started, with their status and links."""

import pytest
from django.urls import reverse

from patterns.models import Execution, ExecutionStatus
from patterns.panels import SHOWN
from patterns.services import execution_start
from patterns.tests.factories import make_pattern

pytestmark = pytest.mark.django_db


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_no_run_started_shows_no_panel(client, user):
    assert "panel-patterns-heading" not in dashboard(client, user)


def test_my_runs_are_linked_with_their_status_and_others_runs_are_not(client, user, other_user):
    mine = make_pattern(user, name="Mine")
    theirs = make_pattern(other_user, name="Theirs")
    running, _ = execution_start(actor=user, pattern=mine, input={})
    succeeded, _ = execution_start(actor=user, pattern=mine, input={})
    Execution.objects.filter(pk=succeeded.pk).update(status=ExecutionStatus.SUCCEEDED)
    execution_start(actor=other_user, pattern=theirs, input={})

    page = dashboard(client, user)

    assert "panel-patterns-heading" in page
    assert reverse("patterns:execution", args=[running.pk]) in page
    assert reverse("patterns:execution", args=[succeeded.pk]) in page
    assert 'data-status="succeeded"' in page
    assert "Theirs" not in page


def test_only_the_latest_runs_are_shown(client, user):
    pattern = make_pattern(user)
    runs = [execution_start(actor=user, pattern=pattern, input={})[0] for _ in range(SHOWN + 1)]

    page = dashboard(client, user)

    assert reverse("patterns:execution", args=[runs[0].pk]) not in page
    assert reverse("patterns:execution", args=[runs[-1].pk]) in page
