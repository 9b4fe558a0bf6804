"""The patterns demo data: patterns and runs for the demo users, seeded once."""

import io

import pytest
from django.core.management.base import OutputWrapper

from accounts import demo as accounts_demo
from patterns import demo
from patterns.models import Execution, ExecutionStatus, Pattern
from patterns.system import system_patterns_install
from projects import demo as projects_demo

pytestmark = pytest.mark.django_db


def seed_all(capture) -> str:
    out = io.StringIO()
    with capture(execute=True):
        for module in (accounts_demo, projects_demo, demo):
            module.seed(OutputWrapper(out))
    return out.getvalue()


def test_the_demo_gives_the_pattern_pages_patterns_and_runs(django_capture_on_commit_callbacks):
    # given
    system_patterns_install()

    # when
    seed_all(django_capture_on_commit_callbacks)

    # then
    assert Pattern.objects.filter(key__in=["focus-hour", "review-reminder"]).count() == 2
    statuses = set(
        Execution.objects.filter(idempotency_key__startswith="demo:").values_list(
            "status", flat=True
        )
    )
    assert statuses == {ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED}
    assert Execution.objects.filter(
        pattern__key="link_if_connected", status=ExecutionStatus.SUCCEEDED
    ).exists()
    assert Execution.objects.filter(
        pattern__key="user_onboarding", started_by__email="user@nexus.local"
    ).exists()


def test_seeding_the_demo_again_starts_nothing(django_capture_on_commit_callbacks):
    # given
    system_patterns_install()
    seed_all(django_capture_on_commit_callbacks)
    executions = Execution.objects.count()

    # when
    output = seed_all(django_capture_on_commit_callbacks)

    # then
    assert "0 demo pattern(s) created, 0 demo run(s) started" in output
    assert Execution.objects.count() == executions
