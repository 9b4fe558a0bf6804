"""Past ``RESULT_CAP`` matches, counts are those of the first matches found and say so."""

import pytest

from accounts.tests.factories import UserFactory
from search import selectors
from search.selectors import search
from search.tests.helpers import project_of, task_in
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(selectors, "RESULT_CAP", 3)
    monkeypatch.setattr(selectors, "TITLES_CAP", 3)


def tasks(owner, count: int, title: str = "Gecko") -> list:
    project = project_of(owner, name="Reptiles")
    return [task_in(project, owner, title=f"{title} {n}") for n in range(count)]


def test_up_to_the_cap_counts_are_exact_and_not_capped(cap_of_three):
    owner = UserFactory()
    made = tasks(owner, 3)

    results = search(owner, "gecko")

    assert results.capped is False
    assert results.total == 3
    assert results.counts["task"] == 3
    assert {hit.id for hit in results.hits} == {task.pk for task in made}


def test_past_the_cap_the_counts_are_the_caps_and_flagged(cap_of_three):
    owner = UserFactory()
    made = tasks(owner, 5)

    results = search(owner, "gecko")

    assert results.capped is True
    assert results.total == 3
    assert sum(results.counts.values()) == 3
    assert len(results.hits) == 3
    assert {hit.id for hit in results.hits} <= {task.pk for task in made}
    assert len({hit.id for hit in results.hits}) == 3


def test_titles_only_is_capped_too(cap_of_three):
    owner = UserFactory()
    tasks(owner, 4)

    results = search(owner, "gec", titles=True)

    assert results.capped is True
    assert results.total == 3


def test_what_the_caller_may_not_see_never_fills_the_cap(cap_of_three):
    owner, stranger = UserFactory(), UserFactory()
    tasks(stranger, 5)
    [mine] = tasks(owner, 1)

    results = search(owner, "gecko")

    assert results.capped is False
    assert results.total == 1
    assert [hit.id for hit in results.hits] == [mine.pk]


def test_a_kind_asked_for_has_its_own_first_matches(cap_of_three):
    owner = UserFactory()
    tasks(owner, 4)
    documents = [DocumentFactory(owner=owner, title=f"Gecko notes {n}") for n in range(2)]

    results = search(owner, "gecko", type="document")

    assert results.capped is True
    assert sorted(hit.id for hit in results.hits) == sorted(doc.pk for doc in documents)


def test_the_pages_of_a_capped_search_cover_the_cap_without_repeats(cap_of_three):
    owner = UserFactory()
    tasks(owner, 6)

    first = search(owner, "gecko", limit=2)
    second = search(owner, "gecko", limit=2, offset=2)

    assert first.capped
    assert second.capped
    assert first.more_after(0, 2) is True
    assert len(second.hits) == 1  # the third of the three counted
    assert second.more_after(2, 2) is False
    assert not {hit.id for hit in first.hits} & {hit.id for hit in second.hits}


def test_the_api_says_when_counts_are_capped(cap_of_three, auth_client, user):
    tasks(user, 5)

    capped = auth_client.get(URL, {"q": "gecko", "limit": 2}).json()
    exact = auth_client.get(URL, {"q": "nothingsuch"}).json()

    assert capped["capped"] is True
    assert capped["count"] == 3
    assert capped["next"] is not None
    assert exact["capped"] is False


def test_the_page_shows_a_capped_count_as_a_lower_bound(cap_of_three, client):
    owner = UserFactory()
    tasks(owner, 5)
    client.force_login(owner)

    response = client.get("/search/", {"q": "gecko"})

    assert response.status_code == 200
    assert '<span class="badge">3+</span>' in response.content.decode()


def test_as_you_type_keeps_to_its_own_smaller_cap(monkeypatch):
    monkeypatch.setattr(selectors, "RESULT_CAP", 10)
    monkeypatch.setattr(selectors, "TITLES_CAP", 2)
    owner = UserFactory()
    tasks(owner, 3)

    full, typed = search(owner, "gecko"), search(owner, "gec", titles=True)

    assert (full.capped, full.total) == (False, 3)
    assert (typed.capped, typed.total, len(typed.hits)) == (True, 2, 2)
