import importlib

from django.db import migrations

# PostgreSQL: a document's vector is kept in its entry's row (compressed), not in the TOAST
# table beside it. A search that leaves a common word out of the index's question checks it on
# each of the rarer words' matches (search.selectors.lead_words), reading that match's vector:
# from the TOAST table, an index lookup and several chunks each; from the row, one decompression.
#
# - The vector (stripped of positions and weights since this version: search.index.vectors)
#   and the short columns a search reads on each match are stored MAIN: compressed in the row,
#   moved out only when the row could not fit in a page otherwise.
# - The text (``body``) stays EXTENDED: it is moved out first.
# - Each partition keeps rows up to ``ROW_TARGET`` bytes before compressing or moving anything
#   (the default, about 2 kB, would compress the title's vector and the gates of a document's
#   row once its text is out).
#
# The settings apply to rows written from now on; ``manage.py rebuild_search_index`` rewrites
# the entries already there.
PARTITIONED = importlib.import_module("search.migrations.0004_searchentry_gates")
TABLE = PARTITIONED.TABLE
IN_ROW = ["vector", "title_vector", "title", "path", "gates"]
ROW_TARGET = 8160  # the most PostgreSQL allows: about a page


def partitions() -> list[str]:
    return [f"{TABLE}_{n}" for n in range(PARTITIONED.PARTITIONS)]


def rows_keep_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in IN_ROW:  # the partitioned table passes it on to its partitions
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET STORAGE MAIN")
    for table in partitions():
        schema_editor.execute(f"ALTER TABLE {table} SET (toast_tuple_target = {ROW_TARGET})")


def rows_toast_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in IN_ROW:
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET STORAGE EXTENDED")
    for table in partitions():
        schema_editor.execute(f"ALTER TABLE {table} RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_searchentry_gates"),
    ]

    operations = [migrations.RunPython(rows_keep_vectors, rows_toast_vectors)]
