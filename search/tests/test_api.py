import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from search.selectors import forget_cached
from search.tests.helpers import project_of, task_in
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


def test_results_carry_type_id_title_snippet_rank_url_and_counts(auth_client, user):
    task = task_in(project_of(user), user, title="Rocket", description="fuel the rocket today")

    response = auth_client.get(URL, {"q": "rocket"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["counts"]["task"] == 1
    assert body["fuzzy"] is False
    [hit] = body["results"]
    assert hit["type"] == "task"
    assert hit["id"] == str(task.pk)
    assert hit["title"] == "Rocket"
    assert "<mark>" in hit["snippet"]
    assert hit["rank"] > 0
    assert hit["url"] == f"/projects/tasks/{task.pk}/"


def test_an_empty_query_is_a_422_with_the_field_message(auth_client):
    response = auth_client.get(URL, {"q": ""})

    assert response.status_code == 422
    assert "q" in response.json()["error"]["details"]


def test_a_query_without_words_is_a_422(auth_client):
    response = auth_client.get(URL, {"q": "?!*"})

    assert response.status_code == 422
    assert "q" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "type": "nonsense"},
        {"q": "x", "project": "not-a-uuid"},
        {"q": "x", "limit": "0"},
        {"q": "x", "limit": "1000"},
        {"q": "x", "offset": "-1"},
    ],
)
def test_bad_parameters_are_a_422(auth_client, params):
    response = auth_client.get(URL, params)

    assert response.status_code == 422


def test_signed_out_is_a_401(api_client):
    assert api_client.get(URL, {"q": "x"}).status_code == 401


def test_another_users_objects_are_neither_listed_nor_counted(auth_client):
    stranger = UserFactory()
    task_in(project_of(stranger), stranger, title="Private heron")
    DocumentFactory(owner=stranger, title="heron")

    body = auth_client.get(URL, {"q": "heron"}).json()

    assert body["results"] == []
    assert body["count"] == 0
    assert set(body["counts"].values()) == {0}


def test_pages_follow_limit_and_offset(auth_client, user):
    project = project_of(user)
    for n in range(3):
        task_in(project, user, title=f"Falcon {n}")

    first = auth_client.get(URL, {"q": "falcon", "type": "task", "limit": 2}).json()
    second = auth_client.get(first["next"]).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {hit["id"] for hit in first["results"] + second["results"]} == {
        str(task.pk) for task in project.tasks.all()
    }


def test_the_answer_runs_a_constant_number_of_queries(auth_client, user):
    project = project_of(user)
    task_in(project, user, title="Osprey")

    def count() -> int:
        forget_cached()  # each count includes reading the words and statistics
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get(URL, {"q": "osprey"}).status_code == 200
        return len(captured)

    few = count()
    for n in range(5):
        task_in(project_of(user, name=f"Osprey {n}"), user, title=f"Osprey {n}")
    assert count() == few


def test_titles_true_searches_titles_only(auth_client, user):
    task_in(project_of(user), user, title="Kestrel", description="the pelican nests")

    assert auth_client.get(URL, {"q": "kest", "titles": "true"}).json()["count"] == 1
    assert auth_client.get(URL, {"q": "pelican", "titles": "true"}).json()["count"] == 0
