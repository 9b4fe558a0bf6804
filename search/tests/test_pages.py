import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from search.selectors import forget_cached
from search.tests.helpers import project_of, task_in
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db
URL = "/search/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_signed_out_goes_to_the_login_page(client):
    response = client.get(URL, {"q": "x"})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_results_are_grouped_by_kind_with_facets(signed_in, user):
    project = project_of(user, name="Albatross")
    task = task_in(project, user, title="Albatross count")
    document = DocumentFactory(owner=user, title="Albatross notes")

    page = signed_in.get(URL, {"q": "albatross"}).content.decode()

    assert 'id="search-group-project"' in page
    assert 'id="search-group-task"' in page
    assert 'id="search-group-document"' in page
    assert f'href="/projects/tasks/{task.pk}/"' in page
    assert f'href="/documents/{document.pk}/"' in page
    assert 'data-type="task"' in page


def test_a_type_shows_only_that_kind(signed_in, user):
    project = project_of(user, name="Badger")
    task_in(project, user, title="Badger den")

    page = signed_in.get(URL, {"q": "badger", "type": "task"}).content.decode()

    assert 'id="search-group-task"' in page
    assert 'id="search-group-project"' not in page


def test_the_snippet_is_escaped_in_the_page(signed_in, user):
    task_in(project_of(user), user, title="X", description="<img src=x onerror=alert(1)> cobra")

    page = signed_in.get(URL, {"q": "cobra"}).content.decode()

    assert "<mark>cobra</mark>" in page
    assert "<img src=x" not in page


def test_another_users_objects_are_not_shown(signed_in):
    stranger = UserFactory()
    task_in(project_of(stranger), stranger, title="Dingo secret")

    page = signed_in.get(URL, {"q": "dingo"}).content.decode()

    assert 'id="search-nothing"' in page
    assert "Dingo secret" not in page


def test_a_bad_type_shows_a_message_not_an_error(signed_in):
    response = signed_in.get(URL, {"q": "x", "type": "nonsense"})

    assert response.status_code == 200
    assert 'class="form-error"' in response.content.decode()


def test_without_words_the_page_explains_itself(signed_in):
    page = signed_in.get(URL).content.decode()

    assert 'id="search-help"' in page


def test_the_header_has_a_search_box(signed_in):
    page = signed_in.get("/").content.decode()

    assert 'id="header-search-input"' in page


def test_the_page_runs_a_constant_number_of_queries(signed_in, user):
    project = project_of(user)
    task_in(project, user, title="Eland")

    def count() -> int:
        forget_cached()  # each count includes reading the words and statistics
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(URL, {"q": "eland"}).status_code == 200
        return len(captured)

    few = count()
    for n in range(5):
        task_in(project, user, title=f"Eland {n}")
        DocumentFactory(owner=user, title=f"Eland {n}")
    assert count() == few
