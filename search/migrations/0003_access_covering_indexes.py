from django.db import migrations

# PostgreSQL: the search's access filter reads, per kind, the ids of the objects the caller may
# see under the containers they reach (``object_id IN (SELECT id FROM task WHERE project_id IN
# (...))``, search.registrations). With only the foreign key's own index PostgreSQL reads every
# such object's row from the table (a member of 100 projects: 100,000 rows from three tables
# on each search, the largest part of a search over a million entries); with the id in the
# index it reads the index only. Partial where the rule keeps live rows only.
INDEXES = {
    "search_task_project_id": "projects_task (project_id, id)",
    "search_document_project_id": "workspace_document (project_id, id) WHERE deleted_at IS NULL",
    "search_file_project_id": "workspace_file (project_id, id)",
    "search_chatmessage_room_id": "workspace_chatmessage (room_id, id) WHERE deleted_at IS NULL",
    "search_comment_task_id": "comments_comment (task_id, id) WHERE deleted_at IS NULL",
    "search_comment_document_id": "comments_comment (document_id, id) WHERE deleted_at IS NULL",
}
POSTGRES_SQL = [f"CREATE INDEX IF NOT EXISTS {name} ON {on}" for name, on in INDEXES.items()]
POSTGRES_REVERSE = [f"DROP INDEX IF EXISTS {name}" for name in INDEXES]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_searchentry_title_vector"),
        ("projects", "0001_initial"),
        ("workspace", "0002_task_attachments"),
        ("comments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(run({"postgresql": POSTGRES_SQL}), run({"postgresql": POSTGRES_REVERSE})),
    ]
