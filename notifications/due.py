"""Tasks due tomorrow or overdue: a ``task_due`` event per open, assigned task and day.

Run by beat once a day (and safe to run more often): a task already announced today is left
out, read from the outbox itself (today's ``task_due`` events), so a second run the same day
publishes nothing. The events are derived into notifications like any other, for the assignee
only while they may still see the task.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from nexus_site.events.models import Event
from nexus_site.events.services import event_of, publish_many
from notifications.derivation import PROJECT, TASK_DUE
from projects.models import Task, TaskStatus

# At most this many tasks are announced per run; the rest wait for the next run the same day.
BATCH = 5000


def announce_due_tasks(today: datetime.date | None = None) -> int:
    """Publish ``task_due`` for each open assigned task due tomorrow or overdue that was not
    announced today; return how many were published."""
    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    start_of_day = timezone.now() - datetime.timedelta(days=2)  # bounds the outbox read
    with transaction.atomic():
        announced = set(
            Event.objects.filter(
                type=TASK_DUE, created_at__gte=start_of_day, payload__day=today.isoformat()
            ).values_list("payload__task", flat=True)
        )
        due = (
            Task.objects.filter(assignee__isnull=False, due_date__lte=tomorrow)
            .exclude(status=TaskStatus.DONE)
            .order_by("due_date", "id")
            .values("id", "project_id", "title", "assignee_id", "due_date")
        )
        events = []
        for task in due.iterator():
            if str(task["id"]) in announced:
                continue
            events.append(
                event_of(
                    TASK_DUE,
                    {
                        "task": str(task["id"]),
                        "project": str(task["project_id"]),
                        "title": task["title"],
                        "due_date": task["due_date"].isoformat(),
                        "overdue": task["due_date"] < today,
                        "day": today.isoformat(),
                    },
                    user_ids=[task["assignee_id"]],
                    node=f"{PROJECT}:{task['project_id']}",
                )
            )
            if len(events) == BATCH:
                break
        publish_many(events)
    return len(events)
