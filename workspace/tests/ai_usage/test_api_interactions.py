"""/api/v1/ai/interactions/: record (costed from the price table), list, read; visibility."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole, Role
from projects.tests.factories import ProjectFactory, add_member
from workspace.ai_usage.models import AIInteraction, ModelPrice
from workspace.tests.ai_usage.factories import InteractionFactory, prices

pytestmark = pytest.mark.django_db
LIST = "/api/v1/ai/interactions/"
JAN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def detail(interaction) -> str:
    return f"{LIST}{interaction.pk}/"


def body(**overrides) -> dict:
    data = {
        "module": "documents",
        "model": "gpt-test",
        "prompt": "Summarise",
        "response": "A summary",
        "usage": {"input": 1000, "output": 500, "cached": 200},
        "latency_ms": 840,
        "status": "success",
    }
    return {**data, **overrides}


def error(response) -> dict:
    return response.json()["error"]


# --- record ----------------------------------------------------------------------------------


def test_record_computes_cost_from_prices_in_force(auth_client, user):
    prices("gpt-test", JAN, input="3", output="15", cached="0.3")

    response = auth_client.post(LIST, body(occurred_at="2026-02-10T12:00:00Z"), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    # 1000 x 3 + 500 x 15 + 200 x 0.3 = 10560 per million
    assert data["cost"] == "0.01056000"
    assert data["cost_source"] == "computed"
    assert data["usage"] == {"input": 1000, "output": 500, "cached": 200}
    assert data["user"] == str(user.pk)
    assert data["module"] == "documents"
    assert data["latency_ms"] == 840
    assert data["occurred_at"] == "2026-02-10T12:00:00Z"
    row = AIInteraction.objects.get()
    assert (row.input_tokens, row.output_tokens, row.cached_tokens) == (1000, 500, 200)
    assert row.cost == Decimal("0.01056")


def test_stored_cost_survives_a_price_change_and_later_calls_use_the_new_price(auth_client):
    prices("gpt-test", JAN, input="3", output="15")
    first = auth_client.post(LIST, body(occurred_at="2026-02-10T12:00:00Z"), format="json")

    ModelPrice.objects.filter(usage_type="input").update(price_per_million=Decimal("100"))
    prices("gpt-test", datetime.datetime(2026, 2, 15, tzinfo=datetime.UTC), input="6", output="30")
    later = auth_client.post(LIST, body(occurred_at="2026-02-20T12:00:00Z"), format="json")
    before = auth_client.post(LIST, body(occurred_at="2026-02-14T23:59:59Z"), format="json")

    assert auth_client.get(detail_of(first)).json()["cost"] == "0.01050000"
    assert later.json()["cost"] == "0.02100000"  # 1000 x 6 + 500 x 30
    # Backfilled before the change: the old input price, edited to 100 meanwhile, applies.
    assert before.json()["cost"] == "0.10750000"  # 1000 x 100 + 500 x 15


def detail_of(response) -> str:
    return f"{LIST}{response.json()['id']}/"


def test_client_cost_is_kept_as_given(auth_client):
    prices("gpt-test", JAN, input="3", output="15")

    response = auth_client.post(LIST, body(cost="0.12345678"), format="json")

    assert response.status_code == 201
    assert response.json()["cost"] == "0.12345678"
    assert response.json()["cost_source"] == "client"


def test_model_without_price_is_unpriced_at_zero(auth_client):
    prices("other-model", JAN, input="3")

    response = auth_client.post(LIST, body(model="no-price-model"), format="json")

    assert response.status_code == 201
    assert response.json()["cost"] == "0.00000000"
    assert response.json()["cost_source"] == "unpriced"


def test_price_valid_only_after_the_call_leaves_it_unpriced(auth_client):
    prices("gpt-test", datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC), input="3")

    response = auth_client.post(LIST, body(occurred_at="2026-02-01T00:00:00Z"), format="json")

    assert response.json()["cost_source"] == "unpriced"


def test_occurred_at_defaults_to_now(auth_client):
    before = timezone.now()

    response = auth_client.post(LIST, body(), format="json")

    row = AIInteraction.objects.get(pk=response.json()["id"])
    assert before <= row.occurred_at <= timezone.now()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"usage": {"input": -1, "output": 0}}, "usage"),
        ({"module": "astrology"}, "module"),
        ({"latency_ms": -5}, "latency_ms"),
        ({"status": "maybe"}, "status"),
        ({"cost": "-1"}, "cost"),
        ({"model": ""}, "model"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"project": "not-a-uuid"}, "project"),
    ],
)
def test_invalid_input_answers_422_naming_the_field(auth_client, overrides, field):
    response = auth_client.post(LIST, body(**overrides), format="json")

    assert response.status_code == 422
    assert error(response)["code"] == "validation"
    assert field in error(response)["details"]
    assert not AIInteraction.objects.exists()


def test_future_time_beyond_the_skew_answers_422(auth_client):
    future = timezone.now() + datetime.timedelta(hours=1)

    response = auth_client.post(LIST, body(occurred_at=future.isoformat()), format="json")

    assert response.status_code == 422
    assert "occurred_at" in error(response)["details"]


def test_a_slightly_fast_client_clock_is_accepted(auth_client):
    soon = timezone.now() + datetime.timedelta(seconds=30)

    response = auth_client.post(LIST, body(occurred_at=soon.isoformat()), format="json")

    assert response.status_code == 201


def test_project_the_caller_may_edit_is_charged(auth_client, user):
    project = ProjectFactory()
    add_member(project, user=user)

    response = auth_client.post(LIST, body(project=str(project.pk)), format="json")

    assert response.status_code == 201
    assert response.json()["project"] == str(project.pk)
    assert response.json()["project_name"] == project.name


@pytest.mark.parametrize("relation", ["stranger", "missing"])
def test_project_the_caller_may_not_see_answers_the_same_422(auth_client, user, relation):
    project = ProjectFactory()
    project_id = "0193a000-0000-7000-8000-000000000000" if relation == "missing" else project.pk

    response = auth_client.post(LIST, body(project=str(project_id)), format="json")

    assert response.status_code == 422
    assert error(response)["details"] == {"project": ["No such project."]}
    assert not AIInteraction.objects.exists()


def test_a_project_the_caller_only_views_is_403(auth_client, user):
    """The gate's rule for a project named in the body: seen but not editable is a 403."""
    project = ProjectFactory()
    add_member(project, role=MemberRole.GUEST, user=user)

    response = auth_client.post(LIST, body(project=str(project.pk)), format="json")

    assert response.status_code == 403
    assert not AIInteraction.objects.exists()


def test_record_needs_authentication(api_client):
    assert api_client.post(LIST, body(), format="json").status_code == 401


# --- visibility ------------------------------------------------------------------------------


def test_another_users_interaction_answers_404(auth_client):
    hidden = InteractionFactory()

    response = auth_client.get(detail(hidden))

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_own_interaction_is_readable(auth_client, user):
    own = InteractionFactory(user=user)

    assert auth_client.get(detail(own)).json()["id"] == str(own.pk)


def test_list_shows_only_own_interactions(auth_client, user):
    own = InteractionFactory(user=user)
    InteractionFactory()

    data = auth_client.get(LIST).json()

    assert data["count"] == 1
    assert data["results"][0]["id"] == str(own.pk)


@pytest.mark.parametrize("role", ["owner", MemberRole.MANAGER])
def test_project_managers_see_interactions_charged_to_it(role):
    project = ProjectFactory()
    manager = project.owner if role == "owner" else add_member(project, role=role)
    member = add_member(project)
    charged = InteractionFactory(user=member, project=project)
    InteractionFactory(user=member)  # not charged to the project: private to the member

    client = bearer_client(manager)

    assert client.get(detail(charged)).status_code == 200
    assert [row["id"] for row in client.get(LIST).json()["results"]] == [str(charged.pk)]


def test_manager_of_a_parent_project_sees_the_sub_projects_interactions():
    from nexus_site.definitions.enums import RelationType
    from relations.nodes import node_of
    from relations.services import relationship_record

    parent = ProjectFactory()
    child = ProjectFactory()
    relationship_record(source=node_of(parent), target=node_of(child), type=RelationType.PARENT)
    charged = InteractionFactory(project=child)

    assert bearer_client(parent.owner).get(detail(charged)).status_code == 200


def test_plain_members_do_not_see_others_interactions_on_the_project():
    project = ProjectFactory()
    member = add_member(project)
    charged = InteractionFactory(user=project.owner, project=project)

    client = bearer_client(member)

    assert client.get(detail(charged)).status_code == 404
    assert client.get(LIST).json()["count"] == 0


def test_admin_sees_every_interaction():
    InteractionFactory()
    InteractionFactory()
    admin = UserFactory(role=Role.ADMIN)

    assert bearer_client(admin).get(LIST).json()["count"] == 2


# --- list ------------------------------------------------------------------------------------


def test_list_filters(auth_client, user):
    project = ProjectFactory(owner=user)
    a = InteractionFactory(user=user, module="mail", model="m-a", status="error", project=project)
    b = InteractionFactory(user=user, module="chat", model="m-b")

    def ids(query):
        response = auth_client.get(LIST + query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("?module=mail") == [str(a.pk)]
    assert ids("?model=m-b") == [str(b.pk)]
    assert ids("?status=error") == [str(a.pk)]
    assert ids(f"?project={project.pk}") == [str(a.pk)]
    assert ids(f"?user={user.pk}") == [str(b.pk), str(a.pk)]
    assert ids("?search=m-a") == [str(a.pk)]


def test_list_time_range_and_ordering(auth_client, user):
    early = InteractionFactory(user=user, occurred_at=JAN, cost=Decimal("2"))
    mid = InteractionFactory(user=user, occurred_at=JAN + datetime.timedelta(days=1))
    InteractionFactory(user=user, occurred_at=JAN + datetime.timedelta(days=2))

    def ids(query):
        return [row["id"] for row in auth_client.get(LIST + query).json()["results"]]

    assert ids("?from=2026-01-01&to=2026-01-02") == [str(mid.pk), str(early.pk)]
    assert ids("?from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z") == [str(mid.pk)]
    assert ids("?ordering=-cost")[0] == str(early.pk)
    assert ids("?ordering=occurred_at")[0] == str(early.pk)


@pytest.mark.parametrize(
    "query", ["?from=soon", "?to=2026-13-01", "?from=2026-02-02&to=2026-02-01", "?module=x"]
)
def test_list_bad_filters_answer_422(auth_client, query):
    assert auth_client.get(LIST + query).status_code == 422


def test_list_runs_a_constant_number_of_queries(
    auth_client, user, django_assert_max_num_queries, django_assert_num_queries
):
    project = ProjectFactory(owner=user)
    InteractionFactory(user=user, project=project)
    auth_client.get(LIST)  # warm the per-process caches (content types)
    with django_assert_max_num_queries(20) as captured:
        auth_client.get(LIST)
    baseline = len(captured)
    for _ in range(5):
        InteractionFactory(user=user, project=ProjectFactory(owner=user))
        InteractionFactory(user=add_member(project), project=project)

    with django_assert_num_queries(baseline):
        response = auth_client.get(LIST)

    assert response.json()["count"] == 11
