"""PostgreSQL: a word most entries hold is checked on the rarer words' matches instead of asked
of the index (search.selectors.lead_words); the answers must be those of the plain query."""

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from search import selectors
from search.selectors import search
from search.tests.helpers import project_of, task_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics"),
]


@pytest.fixture
def corpus():
    owner, stranger = UserFactory(), UserFactory()
    mine, theirs = project_of(owner, name="Mine"), project_of(stranger, name="Theirs")
    # Enough entries that each partition holds a few dozen (the partition is a hash of a random
    # id): a term's share is the mean of the partitions' shares, and the two okapis' must stay
    # far below the common word's even when they fall in the two smallest partitions.
    for n in range(200):
        task_in(mine, owner, title=f"Common note {n}", description="ordinary")
    rare = task_in(mine, owner, title="Common okapi", description="ordinary")
    task_in(theirs, stranger, title="Common okapi", description="ordinary")  # not the owner's
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchentry")
    selectors.forget_cached()
    yield owner, stranger, rare
    selectors.forget_cached()


def test_a_word_most_entries_hold_is_left_out_of_the_index_question(corpus):
    shares = selectors.common_terms("vector").shares
    assert shares["ordinari"] > selectors.COMMON_FREQUENCY
    found = ["ordinary", "okapi"]

    assert selectors.lead_words(
        found, "vector", {"ordinary": ["ordinari"], "okapi": ["okapi"]}
    ) == [1]


def test_the_answers_are_those_of_every_word_and_of_what_the_caller_may_see(corpus):
    owner, stranger, rare = corpus

    assert [hit.id for hit in search(owner, "ordinary okapi").hits] == [rare.pk]
    assert [hit.id for hit in search(owner, "common okapi", titles=True).hits] == [rare.pk]
    assert search(owner, "ordinary").total == 201
    assert search(stranger, "ordinary okapi").total == 1
    assert search(UserFactory(), "ordinary okapi").total == 0
