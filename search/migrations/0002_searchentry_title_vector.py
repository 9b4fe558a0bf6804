import django.contrib.postgres.search
from django.db import migrations

# PostgreSQL: the titles' own vector (search as you type reads it through its GIN index instead
# of rechecking every weighted vector), filled from the entries already there.
POSTGRES_SQL = [
    "UPDATE search_searchentry SET title_vector = to_tsvector(config::regconfig, title)",
    "CREATE INDEX search_entry_title_vector_gin ON search_searchentry USING gin (title_vector)",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS search_entry_title_vector_gin"]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
    ]

    # A nullable column without default: SQLite adds it in place (no table rebuild, so the FTS5
    # triggers stay).
    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="title_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(run({"postgresql": POSTGRES_SQL}), run({"postgresql": POSTGRES_REVERSE})),
    ]
