"""Demo patterns and runs: a user pattern for the demo user and one for the manager, and a
few executions (user patterns, a project kickoff, a link between colleagues, one failure)
so the pattern pages and statistics have something to show.

Every run has an idempotency key, so seeding again starts nothing new. The demo accounts
themselves are onboarded by the ``user_onboarding`` system pattern when accounts creates
them (the guest is not: guests may not run patterns); each gets a project named "Personal",
which the demo renames after its owner, so the admin, who sees them all, can tell them apart.
"""

from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import translation

from accounts.models import User
from nexus_site.exceptions import BaseAppException
from patterns.models import Pattern, PatternKind
from patterns.services import execution_start, pattern_create
from patterns.system import ONBOARDING_PROJECT_NAME
from projects.models import Project
from projects.services import project_update

# key, owner, name, description, input schema, steps
DEMO_PATTERNS = (
    (
        "focus-hour",
        "user@nexus.local",
        "Focus hour",
        "Check the length asked for and announce a focus block to yourself.",
        {
            "type": "object",
            "properties": {"minutes": {"type": "integer", "minimum": 1, "maximum": 240}},
            "required": ["minutes"],
        },
        [
            {
                "id": "long_enough",
                "type": "condition",
                "action": "Only blocks of 25 minutes or more count",
                "parameters": {"left": "{{ input.minutes }}", "operator": "ge", "right": 25},
            },
            {
                "id": "announce",
                "type": "event.publish",
                "action": "Tell yourself the focus block has started",
                "parameters": {
                    "type": "focus_started",
                    "payload": {"minutes": "{{ input.minutes }}"},
                },
                "depends_on": ["long_enough"],
            },
        ],
    ),
    (
        "review-reminder",
        "manager@nexus.local",
        "Review reminder",
        "Put a review task in a project and announce it to its people.",
        {
            "type": "object",
            "properties": {
                "project": {"type": "string"},
                "title": {"type": "string", "minLength": 1, "maxLength": 300},
            },
            "required": ["project", "title"],
        },
        [
            {
                "id": "task",
                "type": "task.create",
                "action": "Create the review task",
                "parameters": {
                    "project": "{{ input.project }}",
                    "title": "{{ input.title }}",
                    "priority": "high",
                },
                "compensation": True,
            },
            {
                "id": "announce",
                "type": "event.publish",
                "action": "Tell the project a review is due",
                "parameters": {
                    "type": "review_due",
                    "payload": {"task": "{{ steps.task.output.task }}"},
                    "node": "projects.project:{{ input.project }}",
                },
                "depends_on": ["task"],
            },
        ],
    ),
)


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo patterns that are missing and start the demo runs not yet started."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    created = 0
    for key, email, name, description, input_schema, steps in DEMO_PATTERNS:
        owner = users.get(email)
        if owner is None or Pattern.objects.filter(key=key).exists():
            continue
        pattern_create(
            actor=owner,
            key=key,
            name=name,
            description=description,
            kind=PatternKind.USER,
            input_schema=input_schema,
            definition={"steps": steps},
        )
        created += 1
    started = sum(start(*run) for run in demo_runs(users))
    renamed = sum(name_personal_project(user) for user in users.values())
    stdout.write(
        f"Patterns: {created} demo pattern(s) created, {started} demo run(s) started, "
        f"{renamed} personal project(s) named after their owner."
    )


def name_personal_project(user: User) -> int:
    """Rename ``user``'s onboarding project after them (once); return 1 if it was renamed now.

    A project the onboarding has not created yet (a worker still to run it) is renamed by the
    next seeding.
    """
    with translation.override(user.language or None):
        onboarding_name = str(ONBOARDING_PROJECT_NAME)
    project = Project.objects.filter(owner=user, name=onboarding_name).first()
    if project is None:
        return 0
    project_update(actor=user, project=project, name=f"{onboarding_name} ({user.full_name})")
    return 1


def demo_runs(users: dict[str, User]) -> list[tuple]:
    """Return ``(user, pattern key, input, idempotency key)`` for each demo run."""
    user, manager = users.get("user@nexus.local"), users.get("manager@nexus.local")
    guest = users.get("guest@nexus.local")
    if user is None or manager is None:
        return []
    launch = Project.objects.filter(name="Nexus launch", owner=manager).first()
    runs = [
        (user, "focus-hour", {"minutes": minutes}, f"demo:focus-hour:{minutes}")
        for minutes in (25, 50, 90, 10)  # 10 minutes skips the announcement
    ]
    runs.append(
        (
            manager,
            "project_kickoff",
            {
                "name": "Mobile app",
                "members": [str(user.pk)],
                "tasks": ["Collect requirements", "Sketch the screens", "Plan the sprints"],
            },
            "demo:kickoff:mobile-app",
        )
    )
    if launch is not None:
        runs.append(
            (
                manager,
                "review-reminder",
                {"project": str(launch.pk), "title": "Review the launch checklist"},
                "demo:review:launch",
            )
        )
    if launch is not None and guest is not None:
        # The manager and the guest are not linked, but both work on the launch project.
        runs.append(
            (
                manager,
                "link_if_connected",
                {"from": str(manager.pk), "to": str(guest.pk)},
                "demo:link:manager-guest",
            )
        )
    # A run that fails (the manager has no such project), so failures show in the stats.
    runs.append(
        (
            manager,
            "review-reminder",
            {"project": "00000000-0000-7000-8000-000000000000", "title": "Nobody sees this"},
            "demo:review:missing",
        )
    )
    return runs


def start(actor: User, key: str, data: dict, idempotency_key: str) -> int:
    """Start one demo run unless it was started before; return 1 if it was started now."""
    pattern = Pattern.objects.filter(key=key, is_active=True).first()
    if pattern is None:
        return 0
    try:
        _execution, created = execution_start(
            actor=actor, pattern=pattern, input=data, idempotency_key=idempotency_key
        )
    except BaseAppException:
        return 0
    return int(created)
