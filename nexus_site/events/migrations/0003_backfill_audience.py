"""Index the audience of events published before EventAudience existed (data only)."""

import uuid

from django.db import migrations

BATCH = 1000


def backfill(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    EventAudience = apps.get_model("events", "EventAudience")
    rows = []
    for event_id, users in Event.objects.order_by("id").values_list("id", "audience_users").iterator():
        for user_id in dict.fromkeys(users or []):
            try:
                rows.append(EventAudience(event_id=event_id, user_id=uuid.UUID(str(user_id))))
            except ValueError:
                continue
        if len(rows) >= BATCH:
            EventAudience.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    EventAudience.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_audience_index"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
