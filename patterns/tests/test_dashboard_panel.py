"""The dashboard's patterns panel: your runs still going and those that failed this week."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patterns.models import Execution, ExecutionStatus
from patterns.services import execution_start
from patterns.tests.factories import make_pattern

pytestmark = pytest.mark.django_db


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_no_open_or_failed_run_shows_no_panel(client, user):
    pattern = make_pattern(user)
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.SUCCEEDED)

    assert "panel-patterns-heading" not in dashboard(client, user)


def test_running_and_failed_runs_are_linked_and_others_runs_are_not(client, user, other_user):
    mine = make_pattern(user, name="Mine")
    theirs = make_pattern(other_user, name="Theirs")
    running, _ = execution_start(actor=user, pattern=mine, input={})
    failed, _ = execution_start(actor=user, pattern=mine, input={})
    Execution.objects.filter(pk=failed.pk).update(status=ExecutionStatus.FAILED)
    old, _ = execution_start(actor=user, pattern=mine, input={})
    Execution.objects.filter(pk=old.pk).update(
        status=ExecutionStatus.FAILED, created_at=timezone.now() - datetime.timedelta(days=8)
    )
    execution_start(actor=other_user, pattern=theirs, input={})

    page = dashboard(client, user)

    assert "panel-patterns-heading" in page
    assert reverse("patterns:execution", args=[running.pk]) in page
    assert reverse("patterns:execution", args=[failed.pk]) in page
    assert reverse("patterns:execution", args=[old.pk]) not in page
    assert "Theirs" not in page
