"""PostgreSQL: the access filter is asked of the index or checked on each match, whichever the
statistics say costs less (search.selectors.access_on_matches); the answers are the same."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import MemberRole, Role
from projects import services as project_services
from relations.access import reachable_containers
from search import selectors
from search.selectors import EntryCounts, access_on_matches, search
from search.tests.helpers import project_of, task_in

PARTITIONS = importlib.import_module("search.migrations.0004_searchentry_gates").PARTITIONS
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statistics and plans"
)

MILLION = EntryCounts(entries=1_000_000, partitions=8, containers=1_000)


@pytest.fixture
def million(monkeypatch):
    """Statistics of a million entries in 1,000 containers (the bench's corpus)."""
    monkeypatch.setattr(selectors, "entry_counts", lambda: MILLION)


def test_a_member_of_many_projects_has_suggestions_checked_on_each_match(million):
    seen = 0.1  # 100 of the 1,000 projects
    assert access_on_matches(0.002, seen, selectors.TITLES_CAP)  # a rare beginning
    assert access_on_matches(0.9, seen, selectors.TITLES_CAP)  # a common one: 1,010 rows read


def test_a_first_page_of_common_words_asks_the_index(million):
    assert not access_on_matches(0.03, 0.1, selectors.RESULT_CAP)
    assert not access_on_matches(0.9, 0.1, selectors.RESULT_CAP)


def test_a_member_of_few_projects_asks_the_index_for_common_words(million):
    # One project of 1,000: its bitmap is a thousand entries, the matches read to find a
    # hundred of them a hundred thousand.
    assert not access_on_matches(0.9, 0.001, selectors.TITLES_CAP)
    # A word in two entries of a million: reading its matches costs less than any bitmap.
    assert access_on_matches(0.000002, 0.001, selectors.TITLES_CAP)


@pytest.mark.django_db
def test_the_share_seen_is_the_reach_among_the_containers_or_one_project(million):
    member, admin = UserFactory(), UserFactory(role=Role.ADMIN)
    projects = [project_of(UserFactory(), name=f"P{n}") for n in range(3)]
    for project in projects:
        project_services.project_member_add(actor=project.owner, project=project, user=member)

    assert selectors.seen_share(member) == len(reachable_containers(member)) / 1_000
    assert selectors.seen_share(member) >= 3 / 1_000
    assert selectors.seen_share(admin) == 1.0
    # Within one project, one container's entries: a common word's matches are not read one by
    # one to find the few of that project.
    assert selectors.seen_share(member, project=projects[0].pk) == 1 / 1_000
    assert not access_on_matches(0.9, 1 / 1_000, selectors.TITLES_CAP)


def test_without_statistics_the_index_answers(monkeypatch):
    unknown = EntryCounts(entries=0, partitions=0, containers=0)
    monkeypatch.setattr(selectors, "entry_counts", lambda: unknown)

    assert not access_on_matches(0.0, 0.1, selectors.TITLES_CAP)


@pytest.fixture
def corpus(db):
    """Two people's projects of tasks alike, and a third project of the stranger's that the
    owner is a member of: each sees 31 tasks about okapis, 30 of them notes."""
    owner, stranger = UserFactory(), UserFactory()
    mine, theirs = project_of(owner, name="Mine"), project_of(stranger, name="Theirs")
    tasks = {owner: set(), stranger: set()}
    for n in range(30):
        tasks[owner].add(task_in(mine, owner, title=f"Okapi note {n}", description="savanna").pk)
        theirs_task = task_in(theirs, stranger, title=f"Okapi note {n}", description="savanna")
        tasks[stranger].add(theirs_task.pk)
    shared = project_of(stranger, name="Shared")
    both = task_in(shared, stranger, title="Okapi shared", description="savanna").pk
    project_services.project_member_add(
        actor=stranger, project=shared, user=owner, role=MemberRole.MEMBER
    )
    tasks[owner].add(both)
    tasks[stranger].add(both)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchentry")
    selectors.forget_cached()
    yield tasks
    selectors.forget_cached()


# (query, as you type, how many each person finds)
QUERIES = [("okapi", False, 31), ("okapi savanna", False, 31), ("okapi no", True, 30)]
QUERIES += [("oka", True, 31)]


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(("q", "titles", "found"), QUERIES)
def test_both_ways_give_the_same_answers(corpus, monkeypatch, q, titles, found):
    ways = {}
    for name, row_cost in (("index", float("inf")), ("matches", 0)):
        monkeypatch.setattr(selectors, "ROW_COST", row_cost)
        with CaptureQueriesContext(connection) as statements:
            ways[name] = {user: search(user, q, titles=titles, limit=50) for user in corpus}
        searched = [s["sql"] for s in statements.captured_queries if "WITH matched" in s["sql"]]
        assert len(searched) == len(corpus)
        assert all(("IS TRUE" in sql) == (name == "matches") for sql in searched)

    for user, visible in corpus.items():
        by_index, on_matches = ways["index"][user], ways["matches"][user]
        assert [hit.id for hit in on_matches.hits] == [hit.id for hit in by_index.hits]
        assert on_matches.counts == by_index.counts
        assert on_matches.total == found
        assert {hit.id for hit in on_matches.hits} <= visible


@postgres_only
@pytest.mark.django_db
def test_the_statistics_count_entries_partitions_and_containers(corpus):
    counts = selectors.entry_counts()

    assert counts.partitions == PARTITIONS
    assert counts.entries >= 63
    with connection.cursor() as cursor:  # ANALYZE read every row of these small partitions
        cursor.execute(
            "SELECT max(n) FROM (SELECT count(DISTINCT gates[2]) AS n FROM search_searchentry "
            "GROUP BY tableoid) AS partition"
        )
        (containers,) = cursor.fetchone()
    assert counts.containers == containers > 0
    titles = selectors.common_terms("title_vector")
    assert titles.shares["okapi"] > 0.5
    # A term no partition lists is held by fewer entries than the least common one listed.
    assert 0 < titles.floor <= 1
    assert titles.at_most(["zebra"]) == titles.floor
    assert titles.at_most(["zebra", "okapi"]) == titles.shares["okapi"]
