"""The system patterns: installed by migration 0002 and the installer, and run for real."""

import copy
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import services as accounts_services
from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType, Role
from nexus_site.events.models import Event
from patterns.models import Execution, ExecutionStatus, Pattern, PatternVersion, StepStatus
from patterns.services import execution_start
from patterns.system import (
    SYSTEM_KEYS,
    SYSTEM_PATTERNS,
    SystemPatternError,
    onboarding_start,
    system_patterns_install,
    system_patterns_remove,
)
from projects import services as project_services
from projects.models import Project, Task
from projects.selectors import project_role
from relations.models import Relationship

pytestmark = pytest.mark.django_db

PASSWORD = "a-fine-long-passphrase-1"


@pytest.fixture
def installed(db):
    """The system patterns, whatever an earlier test flushed (the installer is idempotent)."""
    system_patterns_install()
    return {pattern.key: pattern for pattern in Pattern.objects.filter(key__in=SYSTEM_KEYS)}


def run(actor, key, data, capture, **options):
    """Start ``key`` as ``actor`` and let it run (eager Celery, after commit)."""
    with capture(execute=True):
        execution, _created = execution_start(
            actor=actor, pattern=Pattern.objects.get(key=key), input=data, **options
        )
    execution.refresh_from_db()
    return execution


def node(user) -> str:
    return f"accounts.user:{user.pk}"


def linked_between(first, second) -> bool:
    return Relationship.objects.filter(
        type=RelationType.LINKED,
        source_id__in=[first.pk, second.pk],
        target_id__in=[first.pk, second.pk],
    ).exists()


# --- installing -----------------------------------------------------------------------------


def test_the_installer_creates_each_system_pattern_with_a_first_version_and_its_translations(
    installed,
):
    # then
    assert set(installed) == set(SYSTEM_KEYS)
    onboarding = installed["user_onboarding"]
    assert onboarding.kind == "system"
    assert installed["project_kickoff"].kind == "composite"
    assert onboarding.current_version >= 1
    assert onboarding.name_en == "User onboarding"
    assert onboarding.name_de == "Benutzer-Onboarding"
    assert all(
        getattr(onboarding, f"description_{code}") for code in ("ar", "es", "fr", "it", "ru")
    )


def test_installing_again_publishes_nothing(installed):
    # given
    versions = PatternVersion.objects.count()

    # when
    report = system_patterns_install()

    # then
    assert {item.action for item in report} == {"unchanged"}
    assert PatternVersion.objects.count() == versions


def test_a_changed_definition_publishes_a_new_version_once(installed):
    # given
    specs = copy.deepcopy(SYSTEM_PATTERNS)
    link = next(spec for spec in specs if spec["key"] == "link_if_connected")
    link["definition"]["steps"][0]["parameters"]["max_depth"] = 2
    before = installed["link_if_connected"].current_version

    # when
    first = {item.key: item for item in system_patterns_install(specs=specs)}
    second = {item.key: item for item in system_patterns_install(specs=specs)}

    # then
    assert first["link_if_connected"].action == "published"
    assert first["link_if_connected"].version == before + 1
    assert first["user_onboarding"].action == "unchanged"
    assert second["link_if_connected"].action == "unchanged"
    versions = PatternVersion.objects.filter(pattern__key="link_if_connected").order_by("number")
    assert versions.last().definition["steps"][0]["parameters"]["max_depth"] == 2
    assert versions.first().checksum != versions.last().checksum


def test_an_invalid_system_definition_is_refused_and_nothing_is_written(installed):
    # given
    specs = copy.deepcopy(SYSTEM_PATTERNS)
    specs[0]["definition"]["steps"][0]["type"] = "no.such.type"
    versions = PatternVersion.objects.count()

    # when
    with pytest.raises(SystemPatternError) as raised:
        system_patterns_install(specs=specs)

    # then
    assert raised.value.key == specs[0]["key"]
    assert raised.value.problems[0]["path"] == "steps/0/type"
    assert PatternVersion.objects.count() == versions


def test_the_migration_installs_with_historical_models_and_runs_again_harmlessly(db):
    # given
    from importlib import import_module

    migration = import_module("patterns.migrations.0002_system_patterns")
    state = MigrationExecutor(connection).loader.project_state(("patterns", "0002_system_patterns"))
    Pattern.objects.filter(key__in=SYSTEM_KEYS).delete()

    # when
    migration.install(state.apps, None)
    versions = PatternVersion.objects.count()
    migration.install(state.apps, None)

    # then
    assert set(Pattern.objects.filter(key__in=SYSTEM_KEYS).values_list("key", flat=True)) == set(
        SYSTEM_KEYS
    )
    assert PatternVersion.objects.count() == versions
    assert Pattern.objects.get(key="link_if_connected").name_fr == "Lier les utilisateurs connectés"


def test_reversing_the_migration_keeps_the_system_patterns_that_have_run(
    installed, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory()
    run(
        user,
        "link_if_connected",
        {"from": str(user.pk), "to": str(UserFactory().pk)},
        django_capture_on_commit_callbacks,
    )

    # when
    removed = system_patterns_remove()

    # then
    assert removed == len(SYSTEM_KEYS) - 1
    assert list(Pattern.objects.filter(key__in=SYSTEM_KEYS).values_list("key", flat=True)) == [
        "link_if_connected"
    ]


# --- user_onboarding -----------------------------------------------------------------------


def test_registering_a_user_onboards_them(installed, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts_services.user_register(email="new@example.com", password=PASSWORD)

    # then
    execution = Execution.objects.get(pattern__key="user_onboarding", started_by=user)
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.idempotency_key == f"onboarding:{user.pk}"
    project = Project.objects.get(owner=user)
    assert project_role(project, user) == "owner"
    assert Relationship.objects.filter(
        type=RelationType.OWNER, source_id=user.pk, target_id=project.pk
    ).exists()
    task = Task.objects.get(project=project)
    assert task.assignee == user
    assert task.title == "Welcome to Nexus: look around"
    event = Event.objects.get(type="custom.user_onboarded")
    assert event.payload["user"] == str(user.pk)
    assert event.payload["project"] == str(project.pk)


def test_a_user_created_by_staff_is_onboarded_in_their_language(
    installed, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts_services.user_create(
            email="neu@example.com", password=PASSWORD, language="de"
        )

    # then
    execution = Execution.objects.get(pattern__key="user_onboarding", started_by=user)
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.input["user"] == str(user.pk)
    assert Project.objects.filter(owner=user).count() == 1


def test_onboarding_runs_once_per_user(installed, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts_services.user_create(email="once@example.com", password=PASSWORD)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        again = onboarding_start(user)

    # then
    assert again == Execution.objects.get(pattern__key="user_onboarding", started_by=user)
    assert Project.objects.filter(owner=user).count() == 1


def test_guests_and_an_inactive_onboarding_pattern_start_nothing(
    installed, django_capture_on_commit_callbacks
):
    # given
    Pattern.objects.filter(key="user_onboarding").update(is_active=False)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.user_create(email="off@example.com", password=PASSWORD)
    Pattern.objects.filter(key="user_onboarding").update(is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.user_create(email="guest@example.com", password=PASSWORD, role=Role.GUEST)

    # then
    assert not Execution.objects.filter(pattern__key="user_onboarding").exists()
    assert not Project.objects.exists()


def test_without_the_onboarding_pattern_registration_still_works(
    db, django_capture_on_commit_callbacks
):
    # given
    Pattern.objects.filter(key="user_onboarding").delete()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts_services.user_register(email="plain@example.com", password=PASSWORD)

    # then
    assert user is not None
    assert not Execution.objects.exists()


# --- link_if_connected -----------------------------------------------------------------------


def test_two_users_who_share_a_project_are_linked(installed, django_capture_on_commit_callbacks):
    # given
    owner, member = UserFactory(), UserFactory()
    project = project_services.project_create(actor=owner, name="Shared")
    project_services.project_member_add(actor=owner, project=project, user=member)

    # when
    execution = run(
        owner,
        "link_if_connected",
        {"from": str(owner.pk), "to": str(member.pk)},
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.SUCCEEDED, execution.error
    link = Relationship.objects.get(type=RelationType.LINKED, source_id__in=[owner.pk, member.pk])
    assert link.metadata["pattern"] == "link_if_connected"
    assert link.metadata["via"] == 2
    assert link.metadata["path"] == [node(owner), f"projects.project:{project.pk}", node(member)]


def test_users_with_no_path_between_them_are_not_linked(
    installed, django_capture_on_commit_callbacks
):
    # given
    first, second = UserFactory(), UserFactory()

    # when
    execution = run(
        first,
        "link_if_connected",
        {"from": str(first.pk), "to": str(second.pk)},
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "path_not_found"
    assert execution.error["step"] == "find"
    assert execution.steps.get(step_id="link").status == StepStatus.SKIPPED
    assert not linked_between(first, second)


# --- project_kickoff -------------------------------------------------------------------------


def test_a_kickoff_creates_the_project_members_and_tasks_through_child_executions(
    installed, django_capture_on_commit_callbacks
):
    # given
    lead, first, second = UserFactory(), UserFactory(), UserFactory()

    # when
    execution = run(
        lead,
        "project_kickoff",
        {
            "name": "Moon base",
            "members": [str(first.pk), str(second.pk), str(first.pk)],
            "tasks": ["Pick a crater", "Order the domes"],
        },
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.SUCCEEDED, execution.error
    project = Project.objects.get(name="Moon base")
    assert project.owner == lead
    assert project_role(project, first) == "member"
    assert project_role(project, second) == "member"
    assert sorted(Task.objects.filter(project=project).values_list("title", flat=True)) == [
        "Order the domes",
        "Pick a crater",
    ]
    children = Execution.objects.filter(parent_step__execution=execution).select_related(
        "pattern", "parent_step"
    )
    assert {(child.pattern.key, child.parent_step.step_id) for child in children} == {
        ("project_setup", "setup"),
        ("task_batch", "tasks"),
    }
    assert all(child.status == ExecutionStatus.SUCCEEDED for child in children)
    event = Event.objects.get(type="custom.project_kicked_off")
    assert event.payload["project"] == str(project.pk)
    assert len(event.payload["tasks"]) == 2


def test_a_kickoff_with_an_unknown_member_creates_nothing(
    installed, django_capture_on_commit_callbacks
):
    # given
    lead = UserFactory()

    # when
    execution = run(
        lead,
        "project_kickoff",
        {"name": "Ghost town", "members": [str(uuid.uuid4())], "tasks": ["Haunt"]},
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["step"] == "setup"
    assert execution.error["code"] == "pattern_failed"
    assert not Project.objects.filter(name="Ghost town").exists()
    assert not Task.objects.exists()


def test_adding_members_skips_those_already_in_the_project(
    installed, django_capture_on_commit_callbacks
):
    # given
    lead, member = UserFactory(), UserFactory()

    # when
    execution = run(
        lead,
        "project_setup",
        {"name": "Crew", "members": [str(lead.pk), str(member.pk)]},
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.SUCCEEDED, execution.error
    output = execution.steps.get(step_id="members").output
    assert output["added"] == [str(member.pk)]
    assert output["skipped"] == [str(lead.pk)]


def test_a_kickoff_whose_tasks_fail_undoes_the_project_and_its_members(
    installed, django_capture_on_commit_callbacks
):
    # given
    lead, member = UserFactory(), UserFactory()
    Pattern.objects.filter(key="task_batch").update(is_active=False)

    # when
    execution = run(
        lead,
        "project_kickoff",
        {"name": "Half done", "members": [str(member.pk)], "tasks": ["Never made"]},
        django_capture_on_commit_callbacks,
    )

    # then
    assert execution.status == ExecutionStatus.COMPENSATED
    assert execution.error["step"] == "tasks"
    assert execution.steps.get(step_id="setup").status == StepStatus.COMPENSATED
    assert not Project.objects.filter(name="Half done").exists()
    assert not Relationship.objects.filter(source_id=member.pk).exists()
