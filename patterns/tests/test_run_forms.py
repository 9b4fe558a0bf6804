"""The run form's people and list inputs, and an execution shown readably: e-mail addresses
resolved among the people the runner works with, empty lists accepted, per-field errors; the
execution page with labelled input, people by name, outputs and links to what the run created."""

import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from patterns.models import Execution, ExecutionStatus, Pattern
from patterns.services import execution_start
from patterns.tests.factories import make_pattern
from projects.models import Project, Task
from projects.tests.factories import ProjectFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db

PEOPLE_SCHEMA = {
    "type": "object",
    "properties": {
        "reviewer": {"type": "string", "format": "uuid", "title": "Reviewer"},
        "members": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "labels": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "array"},
    },
    "required": ["members", "labels", "extra"],
    "additionalProperties": False,
}


@pytest.fixture(autouse=True)
def _keep_the_test_language():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def runner(client):
    user = UserFactory(first_name="Rita", last_name="Runner")
    client.force_login(user)
    return user


@pytest.fixture
def colleague(runner):
    project = ProjectFactory(owner=runner)
    return add_member(project, user=UserFactory(first_name="Carl", last_name="Colleague"))


@pytest.fixture
def people_pattern(runner):
    return make_pattern(runner, key="people", input_schema=PEOPLE_SCHEMA)


def run(client, key: str, data: dict, capture):
    with capture(execute=True):
        return client.post(reverse("patterns:pattern", args=[key]), data)


def people_form(**changes) -> dict:
    return {"reviewer": "", "members": "", "labels": "", "extra": "[]", **changes}


def test_a_people_list_takes_the_addresses_of_people_the_runner_works_with(
    client, runner, colleague, django_capture_on_commit_callbacks
):
    response = run(
        client,
        "project_setup",
        {"name": "Launch", "members": f"{colleague.email.upper()},\n{runner.email}"},
        django_capture_on_commit_callbacks,
    )

    execution = Execution.objects.get()
    assert response.status_code == 302
    assert execution.input == {"name": "Launch", "members": [str(colleague.pk), str(runner.pk)]}
    assert execution.status == ExecutionStatus.SUCCEEDED


def test_user_ids_from_a_picker_are_taken_too(
    client, people_pattern, colleague, django_capture_on_commit_callbacks
):
    run(
        client,
        "people",
        people_form(members=str(colleague.pk), reviewer=colleague.email),
        django_capture_on_commit_callbacks,
    )

    assert Execution.objects.get().input["members"] == [str(colleague.pk)]
    assert Execution.objects.get().input["reviewer"] == str(colleague.pk)


def test_an_exact_address_names_its_owner_as_the_people_picker_does(
    client, people_pattern, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(email="newcomer@example.test")

    run(
        client,
        "people",
        people_form(members="Newcomer@Example.test"),
        django_capture_on_commit_callbacks,
    )

    assert Execution.objects.get().input["members"] == [str(newcomer.pk)]


def test_an_address_nobody_has_is_refused_on_its_field(client, people_pattern):
    response = client.post(
        reverse("patterns:pattern", args=["people"]),
        people_form(members="nobody@nowhere.test, not-an-address"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["members"] == [
        "nobody@nowhere.test: no one you can choose has this address.",
        "not-an-address: no one you can choose has this address.",
    ]
    assert not Execution.objects.exists()


def test_the_id_of_someone_the_runner_cannot_find_is_refused_like_an_unknown_id(
    client, people_pattern
):
    stranger = UserFactory()
    unknown = uuid.uuid4()

    hidden = client.post(
        reverse("patterns:pattern", args=["people"]), people_form(members=str(stranger.pk))
    )
    missing = client.post(
        reverse("patterns:pattern", args=["people"]), people_form(members=str(unknown))
    )

    assert hidden.status_code == missing.status_code == 422
    assert hidden.context["form"].errors["members"][0].replace(
        str(stranger.pk), "X"
    ) == missing.context["form"].errors["members"][0].replace(str(unknown), "X")
    assert not Execution.objects.exists()


def test_a_form_shown_again_keeps_the_people_written(client, people_pattern, colleague):
    response = client.post(
        reverse("patterns:pattern", args=["people"]),
        people_form(members=f"{colleague.email}, nobody@nowhere.test", extra=""),
    )

    html = response.content.decode()
    assert "data-people-initial=" in html
    assert colleague.email in html.split('name="members"')[1].split(">")[0]


def test_an_empty_people_list_and_an_empty_json_list_are_answers(
    client, people_pattern, django_capture_on_commit_callbacks
):
    response = run(client, "people", people_form(), django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert Execution.objects.get().input == {"members": [], "labels": [], "extra": []}


def test_a_blank_required_json_box_is_missing_on_its_field(client, people_pattern):
    response = client.post(reverse("patterns:pattern", args=["people"]), people_form(extra=" "))

    assert response.status_code == 422
    assert response.context["form"].errors["extra"] == ["This field is required."]


def test_a_list_of_texts_is_written_one_per_line(
    client, people_pattern, django_capture_on_commit_callbacks
):
    run(
        client,
        "people",
        people_form(labels="Design\n\n  Build \nShip"),
        django_capture_on_commit_callbacks,
    )

    assert Execution.objects.get().input["labels"] == ["Design", "Build", "Ship"]


def test_one_person_field_takes_one_address_only(client, people_pattern, runner, colleague):
    response = client.post(
        reverse("patterns:pattern", args=["people"]),
        people_form(reviewer=f"{runner.email}, {colleague.email}"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["reviewer"] == ["Name one person only."]


def test_people_inputs_are_marked_for_the_picker_and_explain_themselves(client, people_pattern):
    html = client.get(reverse("patterns:pattern", args=["people"])).content.decode()

    assert html.count("data-people-picker") == 2
    assert "E-mail addresses, separated by commas." in html
    assert 'data-people-url="/accounts/people/"' in html
    assert "One per line." in html


def test_every_system_pattern_asks_for_people_by_address(client, runner):
    for key, name in [("project_setup", "members"), ("link_if_connected", "from")]:
        form = client.get(reverse("patterns:pattern", args=[key])).context["form"]
        assert "data-people-picker" in form[name].as_widget(), key


def test_a_project_is_chosen_among_those_the_runner_may_see(
    client, runner, django_capture_on_commit_callbacks
):
    mine = ProjectFactory(owner=runner, name="Mine")
    theirs = ProjectFactory(name="Theirs")

    form = client.get(reverse("patterns:pattern", args=["task_batch"])).context["form"]
    refused = client.post(
        reverse("patterns:pattern", args=["task_batch"]),
        {"project": str(theirs.pk), "titles": "One"},
    )
    run(
        client,
        "task_batch",
        {"project": str(mine.pk), "titles": "One\nTwo"},
        django_capture_on_commit_callbacks,
    )

    assert [label for _value, label in form.fields["project"].choices] == ["—", "Mine"]
    assert refused.status_code == 422
    assert "project" in refused.context["form"].errors
    assert sorted(Task.objects.filter(project=mine).values_list("title", flat=True)) == [
        "One",
        "Two",
    ]


def test_the_schemas_problem_lands_on_its_field(client, runner):
    make_pattern(
        runner,
        key="bounded",
        input_schema={
            "type": "object",
            "properties": {
                "members": {
                    "type": "array",
                    "items": {"type": "string", "format": "uuid"},
                    "minItems": 1,
                }
            },
            "required": ["members"],
        },
    )

    response = client.post(reverse("patterns:pattern", args=["bounded"]), {"members": ""})

    assert response.status_code == 422
    assert "should be non-empty" in response.context["form"].errors["members"][0]


# --- the execution page ---------------------------------------------------------------------


def started(runner, key: str, data: dict, capture) -> Execution:
    with capture(execute=True):
        execution, _created = execution_start(
            actor=runner, pattern=Pattern.objects.get(key=key), input=data
        )
    execution.refresh_from_db()
    return execution


def test_execution_shows_its_input_labelled_with_people_by_name(
    client, people_pattern, runner, colleague, django_capture_on_commit_callbacks
):
    execution = started(
        runner,
        "people",
        {
            "reviewer": str(colleague.pk),
            "members": [str(runner.pk)],
            "labels": ["a", "b"],
            "extra": [{"x": 1}],
        },
        django_capture_on_commit_callbacks,
    )

    html = client.get(reverse("patterns:execution", args=[execution.pk])).content.decode()

    assert "<dt>Reviewer</dt><dd>Carl Colleague</dd>" in html
    assert "<dt>Members</dt><dd>Rita Runner</dd>" in html
    assert "<dt>Labels</dt><dd>a, b</dd>" in html
    assert '<code dir="ltr" class="shown-code">[{&quot;x&quot;: 1}]</code>' in html
    assert str(colleague.pk) not in html.split('id="step-timeline"')[0]


def test_execution_links_what_the_run_created(
    client, runner, colleague, django_capture_on_commit_callbacks
):
    execution = started(
        runner,
        "project_kickoff",
        {"name": "Kickoff", "members": [str(colleague.pk)], "tasks": ["Plan", "Build"]},
        django_capture_on_commit_callbacks,
    )
    assert execution.status == ExecutionStatus.SUCCEEDED
    project = Project.objects.get(name="Kickoff")

    html = client.get(reverse("patterns:execution", args=[execution.pk])).content.decode()

    child = Execution.objects.get(parent_step__execution=execution, pattern__key="project_setup")
    assert f'<a href="{reverse("patterns:execution", args=[child.pk])}">Run of ' in html
    created = html.split('id="execution-created"')[1].split("</section>")[0]
    assert f'<a href="{reverse("projects:board", args=[project.pk])}">Kickoff</a>' in created
    for task in Task.objects.filter(project=project):
        assert f'<a href="{reverse("projects:task", args=[task.pk])}">{task.title}</a>' in created


def test_execution_never_names_what_the_viewer_may_not_see(
    client, runner, django_capture_on_commit_callbacks
):
    hidden = TaskFactory(title="Secret plan")
    pattern = make_pattern(
        runner,
        key="look",
        input_schema={"type": "object", "properties": {"task": {"type": "string"}}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        execution, _created = execution_start(
            actor=runner, pattern=pattern, input={"task": str(hidden.pk)}
        )

    html = client.get(reverse("patterns:execution", args=[execution.pk])).content.decode()

    assert "Secret plan" not in html
    assert str(hidden.pk) in html


def test_execution_page_runs_a_constant_number_of_queries(
    client, runner, colleague, django_capture_on_commit_callbacks
):
    def queries(count: int) -> int:
        execution = started(
            runner,
            "project_kickoff",
            {
                "name": f"Kickoff {count}",
                "members": [str(colleague.pk)],
                "tasks": [f"Task {n}" for n in range(count)],
            },
            django_capture_on_commit_callbacks,
        )
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("patterns:execution", args=[execution.pk]))
        return len(captured)

    assert queries(1) == queries(8)


def test_another_users_execution_answers_404(client, runner, django_capture_on_commit_callbacks):
    other = UserFactory()
    pattern = make_pattern(other, key="theirs")
    with django_capture_on_commit_callbacks(execute=True):
        execution, _created = execution_start(actor=other, pattern=pattern, input={})

    response = client.get(reverse("patterns:execution", args=[execution.pk]))

    assert response.status_code == 404
