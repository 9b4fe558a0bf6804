"""PostgreSQL: how an entry's row keeps its vectors (migration search.0005): the text's vector
stripped of positions and weights, kept in the row with the title's vector and the gates."""

import importlib

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from search.models import SearchEntry
from search.selectors import search
from search.tests.helpers import project_of, task_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage"),
]
ROWS = importlib.import_module("search.migrations.0005_entry_rows_keep_their_vectors")


def test_the_vector_holds_the_terms_of_title_and_text_without_positions():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Walrus plan", description="icy shores")
    entry = SearchEntry.objects.get(object_id=task.pk)

    assert entry.vector == "'ici' 'plan' 'shore' 'walrus'"  # English stems
    assert "'walrus':1" in entry.title_vector  # the title's vector keeps them: it ranks
    assert [hit.id for hit in search(owner, "walrus shores").hits] == [task.pk]


def test_each_partition_keeps_vectors_and_gates_in_the_row_and_moves_the_text_out():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, a.attstorage, c.reloptions FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE i.inhparent = 'search_searchentry'::regclass AND a.attname = ANY(%s)",
            [[*ROWS.IN_ROW, "body"]],
        )
        rows = cursor.fetchall()

    assert len(rows) == len(ROWS.partitions()) * (len(ROWS.IN_ROW) + 1)
    for _table, column, storage, options in rows:
        assert storage == ("x" if column == "body" else "m")
        assert f"toast_tuple_target={ROWS.ROW_TARGET}" in options
