"""/api/v1/patterns/: list, create, read, change, delete; versions; validate; step types."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from patterns.models import Pattern, PatternKind, PatternVersion
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]
LIST = "/api/v1/patterns/"
CHECK = {"id": "check", "type": "condition", "parameters": {"value": True}}
NOTIFY = {
    "id": "notify",
    "type": "event.publish",
    "parameters": {"type": "demo.done"},
    "depends_on": ["check"],
}


def url(pattern, suffix=""):
    key = pattern if isinstance(pattern, str) else pattern.key
    return f"/api/v1/patterns/{key}/{suffix}"


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def mine(user):
    return make_pattern(user, key="mine", steps=[CHECK])


@pytest.fixture
def theirs(other_user):
    return make_pattern(other_user, key="theirs")


@pytest.fixture
def system():
    return make_pattern(None, key="system-one", kind=PatternKind.SYSTEM)


def create_body(**overrides):
    body = {
        "key": "new-pattern",
        "name": "New pattern",
        "description": "Does a thing",
        "definition": {"steps": [CHECK, NOTIFY]},
    }
    return {**body, **overrides}


# --- list ----------------------------------------------------------------------------------


def test_list_shows_system_and_own_patterns_but_not_another_users(
    auth_client, mine, theirs, system
):
    response = auth_client.get(LIST)

    assert response.status_code == 200
    assert [row["key"] for row in response.json()["results"]] == ["mine", "system-one"]


def test_list_shows_staff_every_pattern(staff_client, mine, theirs, system):
    response = staff_client.get(LIST)

    assert {row["key"] for row in response.json()["results"]} == {"mine", "theirs", "system-one"}


def test_list_row_carries_the_pattern_fields(auth_client, user, mine):
    row = auth_client.get(LIST).json()["results"][0]

    assert row == {
        "key": "mine",
        "name": "Mine",
        "description": "",
        "kind": "user",
        "is_active": True,
        "current_version": 1,
        "input_schema": {},
        "owner": str(user.pk),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "system"}, ["system-one"]),
        ({"is_active": "false"}, ["sleepy"]),
        ({"search": "Sleepy"}, ["sleepy"]),
        ({"search": "system-o"}, ["system-one"]),
        ({"ordering": "-key"}, ["system-one", "sleepy", "mine"]),
        ({"ordering": "name"}, ["mine", "sleepy", "system-one"]),
        ({"limit": 1, "offset": 1}, ["sleepy"]),
    ],
)
def test_list_filters_searches_orders_and_paginates(
    auth_client, user, mine, system, query, expected
):
    sleepy = make_pattern(user, key="sleepy")
    sleepy.is_active = False
    sleepy.save()

    response = auth_client.get(LIST, query)

    assert response.status_code == 200
    assert [row["key"] for row in response.json()["results"]] == expected


def test_list_refuses_an_unknown_kind_with_422(auth_client, mine):
    response = auth_client.get(LIST, {"kind": "exploded"})

    assert response.status_code == 422
    assert error_code(response) == "validation"


def test_list_runs_the_same_number_of_queries_for_1_and_15_patterns(auth_client, user):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(LIST, {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    make_pattern(user)
    few = count_queries()
    for _ in range(7):
        make_pattern(user)
        make_pattern(None, kind=PatternKind.SYSTEM)
    many = count_queries()

    assert (few[1], many[1]) == (1, 15)
    assert few[0] == many[0]


def test_list_needs_authentication(api_client):
    response = api_client.get(LIST)

    assert response.status_code == 401
    assert error_code(response) == "authentication"


# --- create --------------------------------------------------------------------------------


def test_create_makes_a_user_pattern_of_the_caller_with_version_1(auth_client, user):
    response = auth_client.post(LIST, create_body(input_schema={"type": "object"}), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["kind"], body["owner"]) == ("new-pattern", "user", str(user.pk))
    assert (body["name"], body["description"]) == ("New pattern", "Does a thing")
    assert body["current_version"] == 1
    assert body["input_schema"] == {"type": "object"}
    version = PatternVersion.objects.get(pattern__key="new-pattern")
    assert [step["id"] for step in version.definition["steps"]] == ["check", "notify"]


def test_create_of_a_system_pattern_by_a_user_answers_403(auth_client):
    response = auth_client.post(LIST, create_body(kind="system"), format="json")

    assert response.status_code == 403
    assert not Pattern.objects.exists()


def test_staff_create_a_system_pattern_without_owner(staff_client):
    response = staff_client.post(LIST, create_body(kind="system"), format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["owner"]) == ("system", None)


def test_create_with_a_taken_key_answers_409(auth_client, theirs):
    response = auth_client.post(LIST, create_body(key="theirs"), format="json")

    assert response.status_code == 409
    assert error_code(response) == "conflict"


def test_create_with_an_invalid_definition_lists_every_problem(auth_client):
    definition = {
        "steps": [
            {"id": "a", "type": "teleport"},
            {"id": "b", "type": "condition", "parameters": {}, "depends_on": ["ghost"]},
        ]
    }

    response = auth_client.post(LIST, create_body(definition=definition), format="json")

    assert response.status_code == 422
    problems = response.json()["error"]["details"]["problems"]
    assert {problem["code"] for problem in problems} == {
        "unknown_step_type",
        "unknown_dependency",
        "invalid_parameters",
    }
    assert all(set(problem) == {"code", "message", "path"} for problem in problems)
    assert not Pattern.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (create_body(key="Not A Key"), "key"),
        (create_body(key="x" * 65), "key"),
        (create_body(name=["a list"]), "name"),
        (create_body(name=""), "name"),
        (create_body(kind="galactic"), "kind"),
        (create_body(is_active="perhaps"), "is_active"),
        (create_body(input_schema={"type": "nonsense"}), "input_schema"),
        (create_body(input_schema=["not", "an", "object"]), "input_schema"),
        (create_body(owner="someone"), "owner"),
        ({"name": "No key"}, "key"),
        (create_body(definition={"steps": [{**CHECK, "action": "nul \u0000 here"}]}), "definition"),
    ],
)
def test_create_refuses_bad_fields_with_422_naming_them(auth_client, body, field):
    response = auth_client.post(LIST, body, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Pattern.objects.exists()


def test_create_refuses_a_definition_that_is_not_an_object(auth_client):
    response = auth_client.post(LIST, create_body(definition="steps"), format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"]["problems"][0]["code"] == "invalid_shape"


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[1, 2]", '"a string"', "null", "[" * 5000 + "]" * 5000],
)
def test_create_answers_4xx_for_malformed_bodies(auth_client, raw):
    response = auth_client.post(LIST, raw, content_type="application/json")

    assert response.status_code in {400, 422}
    assert "error" in response.json()


def test_create_in_another_language_names_the_pattern_in_the_default_language_too(auth_client):
    auth_client.post(
        LIST, create_body(name="Neues Muster"), format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    auth_client.patch(
        url("new-pattern"), {"name": "New pattern"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    def name_in(language):
        response = auth_client.get(url("new-pattern"), HTTP_ACCEPT_LANGUAGE=language)
        return response.json()["name"]

    assert (name_in("de"), name_in("en"), name_in("fr")) == (
        "Neues Muster",
        "New pattern",
        "New pattern",
    )


def test_create_in_another_language_is_readable_in_every_language(auth_client):
    auth_client.post(
        LIST, create_body(name="Neues Muster"), format="json", HTTP_ACCEPT_LANGUAGE="de"
    )

    response = auth_client.get(url("new-pattern"), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json()["name"] == "Neues Muster"


# --- read, change, delete ------------------------------------------------------------------


def test_detail_shows_a_visible_pattern(auth_client, system):
    response = auth_client.get(url(system))

    assert response.status_code == 200
    assert (response.json()["key"], response.json()["owner"]) == ("system-one", None)


def test_detail_of_another_users_pattern_answers_404(auth_client, theirs):
    response = auth_client.get(url(theirs))

    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("key", ["missing", "UPPER", "a.b"])
def test_detail_of_an_unknown_key_answers_404(auth_client, key):
    assert auth_client.get(url(key)).status_code == 404


def test_patch_changes_name_description_active_and_schema(auth_client, mine):
    body = {
        "name": "Renamed",
        "description": "Now described",
        "is_active": False,
        "input_schema": {"type": "object", "required": ["x"]},
    }

    response = auth_client.patch(url(mine), body, format="json")

    assert response.status_code == 200
    assert {key: response.json()[key] for key in body} == body
    mine.refresh_from_db()
    assert (mine.name, mine.is_active) == ("Renamed", False)


def test_patch_writes_the_name_in_the_request_language(auth_client, mine):
    response = auth_client.patch(
        url(mine), {"name": "Meins"}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.json()["name"] == "Meins"
    assert auth_client.get(url(mine), HTTP_ACCEPT_LANGUAGE="de").json()["name"] == "Meins"
    assert auth_client.get(url(mine), HTTP_ACCEPT_LANGUAGE="en").json()["name"] == "Mine"


def test_patch_of_a_system_pattern_by_a_user_answers_403(auth_client, system):
    response = auth_client.patch(url(system), {"name": "Mine now"}, format="json")

    assert response.status_code == 403
    assert error_code(response) == "authorization"
    system.refresh_from_db()
    assert system.name == "System One"


def test_staff_patch_a_system_pattern(staff_client, system):
    response = staff_client.patch(url(system), {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False


def test_patch_of_another_users_pattern_answers_404(auth_client, theirs):
    response = auth_client.patch(url(theirs), {"name": "Stolen"}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "renamed"}, "key"),
        ({"kind": "system"}, "kind"),
        ({"current_version": 7}, "current_version"),
        ({"is_active": []}, "is_active"),
        ({"input_schema": {"type": 12}}, "input_schema"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_patch_refuses_bad_and_unchangeable_fields_with_422(auth_client, mine, body, field):
    response = auth_client.patch(url(mine), body, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_delete_removes_the_users_own_pattern(auth_client, mine):
    response = auth_client.delete(url(mine))

    assert response.status_code == 204
    assert auth_client.get(url(mine)).status_code == 404


def test_delete_of_another_users_pattern_answers_404(auth_client, theirs):
    assert auth_client.delete(url(theirs)).status_code == 404
    assert Pattern.objects.filter(key="theirs").exists()


def test_delete_of_a_system_pattern_answers_403_for_users_and_400_for_staff(
    auth_client, staff_client, system
):
    assert auth_client.delete(url(system)).status_code == 403

    response = staff_client.delete(url(system))

    assert response.status_code == 400
    assert error_code(response) == "business_rule"


# --- versions ------------------------------------------------------------------------------


def test_versions_lists_newest_first(auth_client, user, mine):
    auth_client.post(url(mine, "versions/"), {"definition": {"steps": [CHECK, NOTIFY]}}, "json")

    response = auth_client.get(url(mine, "versions/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["number"] for row in rows] == [2, 1]
    assert rows[0]["author"] == str(user.pk)
    assert len(rows[0]["checksum"]) == 64


def test_publish_makes_the_next_version_current(auth_client, mine):
    response = auth_client.post(
        url(mine, "versions/"), {"definition": {"steps": [CHECK, NOTIFY]}}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["number"] == 2
    assert [step["id"] for step in response.json()["definition"]["steps"]] == ["check", "notify"]
    assert auth_client.get(url(mine)).json()["current_version"] == 2


def test_publish_of_the_current_definition_answers_200_with_the_current_version(auth_client, mine):
    response = auth_client.post(url(mine, "versions/"), {"definition": {"steps": [CHECK]}}, "json")

    assert response.status_code == 200
    assert response.json()["number"] == 1
    assert PatternVersion.objects.filter(pattern=mine).count() == 1


def test_publish_of_an_invalid_definition_answers_422_with_problems(auth_client, mine):
    response = auth_client.post(
        url(mine, "versions/"),
        {"definition": {"steps": [{**CHECK, "depends_on": ["check"]}]}},
        format="json",
    )

    assert response.status_code == 422
    assert [p["code"] for p in response.json()["error"]["details"]["problems"]] == [
        "dependency_cycle"
    ]
    assert auth_client.get(url(mine)).json()["current_version"] == 1


def test_publish_on_a_system_pattern_by_a_user_answers_403(auth_client, system):
    response = auth_client.post(
        url(system, "versions/"), {"definition": {"steps": [CHECK]}}, "json"
    )

    assert response.status_code == 403


def test_version_detail_spells_out_every_step_field(auth_client, user, mine):
    response = auth_client.get(url(mine, "versions/1/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["pattern"], body["author"]) == (1, "mine", str(user.pk))
    assert body["definition"]["steps"] == [
        {
            "id": "check",
            "type": "condition",
            "action": "",
            "parameters": {"value": True},
            "depends_on": [],
            "retry": {
                "max_attempts": 1,
                "backoff": {"base": 1.0, "factor": 2.0},
                "retryable_errors": None,
            },
            "timeout_seconds": 300,
            "compensation": False,
            "on_error": "fail",
        }
    ]


@pytest.mark.parametrize("number", ["2", "0", "abc", "-1", "99999999999999999999"])
def test_version_detail_of_a_missing_or_malformed_number_answers_404(auth_client, mine, number):
    response = auth_client.get(url(mine, f"versions/{number}/"))

    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", "versions/"), ("get", "versions/1/"), ("post", "versions/"), ("post", "validate/")],
)
def test_versions_and_validate_of_another_users_pattern_answer_404(
    auth_client, theirs, method, suffix
):
    response = getattr(auth_client, method)(
        url(theirs, suffix), {"definition": {"steps": [CHECK]}}, format="json"
    )

    assert response.status_code == 404


# --- validate ------------------------------------------------------------------------------


def test_validate_answers_200_for_a_valid_definition(auth_client, system):
    response = auth_client.post(
        url(system, "validate/"), {"definition": {"steps": [CHECK, NOTIFY]}}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"valid": True, "problems": []}


def test_validate_answers_422_with_every_problem(auth_client, mine):
    definition = {"steps": [CHECK, {"id": "check", "type": "wait", "parameters": {}}], "x": 1}

    response = auth_client.post(url(mine, "validate/"), {"definition": definition}, format="json")

    assert response.status_code == 422
    assert error_code(response) == "validation"
    assert sorted(p["code"] for p in response.json()["error"]["details"]["problems"]) == [
        "duplicate_step_id",
        "invalid_shape",
    ]


def test_validate_publishes_nothing(auth_client, mine):
    auth_client.post(
        url(mine, "validate/"), {"definition": {"steps": [NOTIFY | {"depends_on": []}]}}, "json"
    )

    assert PatternVersion.objects.filter(pattern=mine).count() == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"definition": None}, {"definition": {"steps": [CHECK]}, "extra": 1}, [1]],
)
def test_validate_refuses_a_body_without_a_definition_with_422(auth_client, mine, body):
    response = auth_client.post(url(mine, "validate/"), body, format="json")

    assert response.status_code == 422


# --- step types ----------------------------------------------------------------------------


def test_step_types_lists_every_registered_type_with_its_schema():
    client = bearer_client(UserFactory())

    response = client.get("/api/v1/step-types/", {"limit": 100})

    assert response.status_code == 200
    types = {row["name"]: row for row in response.json()["results"]}
    assert {"condition", "event.publish", "wait", "pattern.run"} <= set(types)
    assert types["wait"]["parameters_schema"]["required"] == ["seconds"]
    assert types["wait"]["has_undo"] is False
    assert types["pattern.run"]["has_undo"] is True
    assert types["condition"]["description"]


def test_step_types_need_authentication(api_client):
    assert api_client.get("/api/v1/step-types/").status_code == 401
