import importlib

from django.db import migrations

import search.models

# PostgreSQL: the entries move into a table split in PARTITIONS by a hash of the object's id,
# with each entry's gates (search.registry.Kind.gates) computed as the kinds of this version
# compute them; entries whose object is gone are left behind.
#
# Why partitions: a search reads at most the first ``search.selectors.RESULT_CAP`` matches, and
# PostgreSQL reads the partitions one after another and stops there. Each partition has its own
# GIN indexes, so a common word costs the posting list of one partition (an eighth) instead
# of the whole index's: at a million entries a word found in nine of ten took 60 ms to list
# before a single row was read. Why eight: each partition adds planning and a few index
# descents to every search that reads them all (a rare word's); at a million entries 4, 8 and
# 16 partitions gave p95 55, 56 and 62 ms for the first page and 22, 17 and 19 ms as you type.
# Unique constraints must hold the partition key, so the key is the object's id
# (``(kind, object_id)`` stays unique); the primary key is ``(id, object_id)``.
PARTITIONS = 8
TABLE = "search_searchentry"
OLD = "search_searchentry_unpartitioned"
SEQUENCE = "search_searchentry_id_seq"
COLUMNS = "id, kind, object_id, title, body, config, path, updated_at, vector, title_vector"

# The titles' vector as search.index.vectors writes it now: the words, and every beginning of
# them marked with "^" (search as you type asks for one such term).
TITLE_VECTOR = (
    "to_tsvector(e.config::regconfig, e.title) || array_to_tsvector(ARRAY(SELECT DISTINCT "
    "'^' || left(word, n) FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, "
    "e.title))) AS word, generate_series(1, least(length(word), 32)) AS n))"
)

# Per kind: the joins from the entry ``e`` to its object, and the gates from there.
GATES = {
    "project": ("", "ARRAY[e.object_id]"),
    "task": ("JOIN projects_task t ON t.id = e.object_id", "ARRAY[t.id, t.project_id]"),
    "document": (
        "JOIN workspace_document d ON d.id = e.object_id",
        "array_remove(ARRAY[d.id, d.project_id], NULL)",
    ),
    "file": (
        "JOIN workspace_file f ON f.id = e.object_id",
        "array_remove(ARRAY[f.id, f.project_id], NULL)",
    ),
    "message": (
        "JOIN workspace_chatmessage m ON m.id = e.object_id "
        "JOIN workspace_room r ON r.id = m.room_id",
        "array_remove(ARRAY[r.id, r.project_id], NULL)",
    ),
    "comment": (
        "JOIN comments_comment c ON c.id = e.object_id "
        "LEFT JOIN projects_task t ON t.id = c.task_id "
        "LEFT JOIN workspace_document d ON d.id = c.document_id",
        "CASE WHEN c.task_id IS NOT NULL THEN ARRAY[t.id, t.project_id] "
        "WHEN d.deleted_at IS NULL THEN array_remove(ARRAY[d.id, d.project_id], NULL) "
        "ELSE '{}'::uuid[] END",
    ),
    "mail": (
        "",
        "ARRAY(SELECT DISTINCT b.user_id FROM workspace_mailboxentry b "
        "WHERE b.message_id = e.object_id ORDER BY b.user_id)",
    ),
}


def gates_select(kind: str, table: str = TABLE) -> str:
    """``SELECT e.id, <gates>`` for the entries of ``kind`` in ``table`` whose object exists."""
    joins, gates = GATES[kind]
    return f"SELECT e.id, {gates} FROM {table} e {joins} WHERE e.kind = '{kind}'"


# The indexes of the entries, on the partitioned table (each partition gets its own).
INDEXES = [
    f"CREATE INDEX search_entry_vector_gin ON {TABLE} USING gin (vector)",
    f"CREATE INDEX search_entry_title_vector_gin ON {TABLE} USING gin (title_vector)",
    f"CREATE INDEX search_entry_title_trgm ON {TABLE} USING gin (title gin_trgm_ops)",
    # The access filter: the object's own gate and its container's (search.selectors), and
    # any gate (people: mail's holders; the project filter).
    f"CREATE INDEX search_entry_own_gate ON {TABLE} ((gates[1]))",
    f"CREATE INDEX search_entry_container_gate ON {TABLE} ((gates[2]))",
    f"CREATE INDEX search_entry_gates_gin ON {TABLE} USING gin (gates)",
]
# Compressed with LZ4 where the server has it: a search reads the vectors of the matches it
# checks word by word (common words, see search.selectors.lead_words) and the text of the page's
# snippets, and LZ4 gives them back twice as fast as PostgreSQL's own pglz (a million-entry
# corpus's document vectors: 9 µs against 21 µs each) for a seventh more room.
COMPRESSED = ["body", "vector", "title_vector"]
OLD_INDEXES = ["search_entry_vector_gin", "search_entry_title_vector_gin", "search_entry_title_trgm"]
# 0003's covering indexes served the access subqueries the gates replace on PostgreSQL.
COVERING = importlib.import_module("search.migrations.0003_access_covering_indexes")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    run(f"ALTER TABLE {OLD} DROP CONSTRAINT search_entry_one_per_object")
    run(f"ALTER TABLE {OLD} DROP CONSTRAINT search_searchentry_pkey")
    for name in OLD_INDEXES:
        run(f"DROP INDEX IF EXISTS {name}")
    run(f"ALTER TABLE {OLD} ALTER COLUMN id DROP IDENTITY IF EXISTS")
    run(f"CREATE SEQUENCE {SEQUENCE} AS bigint")
    run(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING STORAGE) "
        "PARTITION BY HASH (object_id)"
    )
    run(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}')")
    for n in range(PARTITIONS):
        run(
            f"CREATE TABLE {TABLE}_{n} PARTITION OF {TABLE} "
            f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
        )
    lz4 = lz4_available(schema_editor)
    if lz4:  # on each table: a partitioned table's own setting does not reach its partitions
        for table in [TABLE, *(f"{TABLE}_{n}" for n in range(PARTITIONS))]:
            for column in COMPRESSED:
                run(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")
    for kind in GATES:
        run(
            f"INSERT INTO {TABLE} ({COLUMNS}, gates) SELECT {prefixed('e', lz4)}, found.gates "
            f"FROM ({gates_select(kind, OLD)}) AS found (id, gates) "
            f"JOIN {OLD} e ON e.id = found.id"
        )
    run(f"INSERT INTO {TABLE} SELECT * FROM {OLD} WHERE kind <> ALL(%s)", [list(GATES)])
    run(f"SELECT setval('{SEQUENCE}', coalesce((SELECT max(id) FROM {TABLE}), 0) + 1, false)")
    run(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id")
    run(f"DROP TABLE {OLD}")
    run(f"ALTER TABLE {TABLE} ADD CONSTRAINT search_searchentry_pkey PRIMARY KEY (id, object_id)")
    run(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT search_entry_one_per_object "
        "UNIQUE (kind, object_id)"
    )
    for statement in INDEXES:
        run(statement)
    for statement in COVERING.POSTGRES_REVERSE:
        run(statement)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    run(f"ALTER SEQUENCE {SEQUENCE} OWNED BY NONE")
    for statement in INDEXES:
        run(f"DROP INDEX IF EXISTS {statement.split()[2]}")
    run(f"ALTER TABLE {OLD} DROP CONSTRAINT search_entry_one_per_object")
    run(f"ALTER TABLE {OLD} DROP CONSTRAINT search_searchentry_pkey")
    run(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING STORAGE)")
    run(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    run(f"DROP TABLE {OLD}")
    run(f"DROP SEQUENCE {SEQUENCE}")
    run(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
    run(f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    run(
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "
        f"coalesce((SELECT max(id) FROM {TABLE}), 0) + 1, false)"
    )
    run(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT search_entry_one_per_object "
        "UNIQUE (kind, object_id)"
    )
    for statement in INDEXES[:3]:
        run(statement)
    for statement in COVERING.POSTGRES_SQL:
        run(statement)


def prefixed(alias: str, recompressed: bool = False) -> str:
    """The columns of ``COLUMNS`` read from the entry ``alias``, the titles' vector made anew;
    ``recompressed``: the long columns as new values (a value copied as it is keeps the
    compression it was written with)."""
    columns = [column.strip() for column in COLUMNS.split(",")]
    fresh = {"title_vector": TITLE_VECTOR}
    if recompressed:
        fresh |= {"body": f"{alias}.body || ''", "vector": f"{alias}.vector || ''::tsvector"}
    return ", ".join(fresh.get(column, f"{alias}.{column}") for column in columns)


def lz4_available(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_access_covering_indexes"),
    ]

    # A nullable column without default: SQLite adds it in place (no table rebuild, so the FTS5
    # triggers stay), as a text column that stays empty there.
    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="gates",
            field=search.models.NodeIdsField(editable=False, null=True),
        ),
        migrations.RunPython(partition, unpartition),
    ]
