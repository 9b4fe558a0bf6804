"""Demo projects for the demo users: members with roles, tasks with estimates, tags and
dependencies, and a sub-project. A project that already exists (by name and owner) is left as
it is, so seeding again changes nothing."""

import datetime
from decimal import Decimal

from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from nexus_site.definitions.enums import MemberRole
from projects import services
from projects.models import Priority, Project, ProjectStatus, TaskStatus

# name, owner, parent, status, priority, members {email: role}, tasks
# A task: title, estimated hours, status, assignee, tags, titles it depends on.
DEMO_PROJECTS = (
    (
        "Nexus launch",
        "manager@nexus.local",
        None,
        ProjectStatus.ACTIVE,
        Priority.HIGH,
        {"user@nexus.local": MemberRole.MEMBER, "guest@nexus.local": MemberRole.GUEST},
        (
            ("Write the launch plan", "6", TaskStatus.DONE, "manager", ["planning"], ()),
            (
                "Design the landing page",
                "12",
                TaskStatus.IN_PROGRESS,
                "user",
                ["design", "web"],
                ("Write the launch plan",),
            ),
            (
                "Build the sign-up flow",
                "20",
                TaskStatus.TODO,
                "user",
                ["backend", "web"],
                ("Write the launch plan",),
            ),
            (
                "Load test the API",
                "8",
                TaskStatus.TODO,
                None,
                ["backend", "ops"],
                ("Build the sign-up flow",),
            ),
            (
                "Launch review",
                "2",
                TaskStatus.TODO,
                "manager",
                ["review"],
                ("Design the landing page", "Load test the API"),
            ),
        ),
    ),
    (
        "Launch documentation",
        "manager@nexus.local",
        "Nexus launch",
        ProjectStatus.PLANNING,
        Priority.MEDIUM,
        {},
        (
            ("Write the user guide", "5", TaskStatus.TODO, "manager", ["docs"], ()),
            (
                "Write the release notes",
                "1",
                TaskStatus.TODO,
                None,
                ["docs", "release"],
                ("Write the user guide",),
            ),
        ),
    ),
    (
        "Customer portal",
        "user@nexus.local",
        None,
        ProjectStatus.PLANNING,
        Priority.MEDIUM,
        {"manager@nexus.local": MemberRole.MANAGER, "guest@nexus.local": MemberRole.GUEST},
        (
            ("Gather requirements", "4", TaskStatus.IN_PROGRESS, "user", ["planning"], ()),
            (
                "Build a clickable prototype",
                "10",
                TaskStatus.TODO,
                "manager",
                ["design"],
                ("Gather requirements",),
            ),
            ("Security review", None, TaskStatus.TODO, None, ["security"], ()),
        ),
    ),
)


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo projects that are missing."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    today = timezone.localdate()
    created = 0
    for name, owner_email, parent_name, status, priority, members, tasks in DEMO_PROJECTS:
        owner = users.get(owner_email)
        if owner is None or Project.objects.filter(name=name, owner=owner).exists():
            continue
        parent = Project.objects.filter(name=parent_name).first() if parent_name else None
        project = services.project_create(
            actor=owner,
            name=name,
            description=f"Demo project: {name}.",
            status=status,
            priority=priority,
            start_date=today - datetime.timedelta(days=14),
            end_date=today + datetime.timedelta(days=60),
            budget=Decimal("25000"),
            parent=parent,
        )
        for email, role in members.items():
            if email in users:
                services.project_member_add(
                    actor=owner, project=project, user=users[email], role=role
                )
        by_title = {}
        for title, hours, task_status, assignee, tags, depends_on in tasks:
            task = services.task_create(
                actor=owner,
                project=project,
                title=title,
                estimated_hours=hours,
                status=task_status,
                assignee=users.get(f"{assignee}@nexus.local") if assignee else None,
                tags=tags,
            )
            for other in depends_on:
                services.task_dependency_add(actor=owner, task=task, depends_on=by_title[other])
            by_title[title] = task
        created += 1
    stdout.write(f"Demo projects: {created} new project(s) with members, tasks and dependencies.")
