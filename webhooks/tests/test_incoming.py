"""Incoming webhooks: a URL with a token (stored hashed) that starts a pattern as its owner
with the POSTed JSON as input; made and revoked through the API by their owner only."""

import hashlib
import json

import pytest

from conftest import bearer_client
from nexus_site.definitions.enums import Role
from patterns.models import Execution
from patterns.tests.factories import make_pattern
from webhooks import signing
from webhooks.models import IncomingWebhook

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/incoming/"
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}


@pytest.fixture
def pattern(user):
    return make_pattern(user, input_schema=SCHEMA)


def create(client, pattern, **extra) -> dict:
    response = client.post(LIST, {"pattern": pattern.key, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def call_path(url: str) -> str:
    return url.split("testserver", 1)[1]


def post_json(api_client, url: str, body, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api_client.generic(
        "POST", call_path(url), raw, content_type="application/json", **headers
    )


def test_create_answers_the_url_once_and_stores_only_its_hash(auth_client, pattern):
    made = create(auth_client, pattern, name="From CI")
    assert "/hooks/in/nxi_" in made["url"]
    token = made["url"].rstrip("/").rsplit("/", 1)[1]
    hook = IncomingWebhook.objects.get()
    assert hook.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(IncomingWebhook.objects.values()), default=str)
    listed = auth_client.get(LIST).json()["results"]
    assert [row["id"] for row in listed] == [made["id"]]
    assert "url" not in listed[0]
    assert made["signing_secret"] == ""


def test_a_call_starts_the_pattern_as_the_owner_with_the_body(
    auth_client, api_client, user, pattern
):
    made = create(auth_client, pattern)
    response = post_json(api_client, made["url"], {"name": "Ada"})
    assert response.status_code == 202
    execution = Execution.objects.get(pk=response.json()["execution"])
    assert execution.started_by_id == user.pk
    assert execution.pattern_id == pattern.pk
    assert execution.input == {"name": "Ada"}
    assert IncomingWebhook.objects.get().last_used_at is not None


def test_the_same_idempotency_key_starts_one_run(auth_client, api_client, pattern):
    made = create(auth_client, pattern)
    first = post_json(api_client, made["url"], {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k1")
    second = post_json(api_client, made["url"], {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["execution"] == second.json()["execution"]
    assert second.json()["created"] is False
    assert Execution.objects.count() == 1


def test_a_body_that_is_not_json_is_400(auth_client, api_client, pattern):
    made = create(auth_client, pattern)
    response = post_json(api_client, made["url"], b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert not Execution.objects.exists()


def test_input_that_fails_the_schema_is_400_with_the_problems(auth_client, api_client, pattern):
    made = create(auth_client, pattern)
    response = post_json(api_client, made["url"], {"nom": "Ada"})
    assert response.status_code == 400
    assert "input" in response.json()["error"]["details"]
    assert not Execution.objects.exists()


def test_an_unknown_token_is_404(api_client):
    response = post_json(api_client, "http://testserver/hooks/in/nxi_nothing/", {"name": "x"})
    assert response.status_code == 404


def test_a_revoked_url_is_404(auth_client, api_client, pattern):
    made = create(auth_client, pattern)
    assert auth_client.delete(f"{LIST}{made['id']}/").status_code == 204
    response = post_json(api_client, made["url"], {"name": "x"})
    assert response.status_code == 404
    assert not Execution.objects.exists()


def test_an_inactive_owner_is_404(auth_client, api_client, user, pattern):
    made = create(auth_client, pattern)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert post_json(api_client, made["url"], {"name": "x"}).status_code == 404


def test_an_owner_who_became_a_guest_is_404(auth_client, api_client, user, pattern):
    made = create(auth_client, pattern)
    user.role = Role.GUEST
    user.save(update_fields=["role"])
    assert post_json(api_client, made["url"], {"name": "x"}).status_code == 404
    assert not Execution.objects.exists()


def test_a_signed_url_needs_a_valid_fresh_signature(auth_client, api_client, pattern):
    made = create(auth_client, pattern, signed=True)
    secret = made["signing_secret"]
    assert secret.startswith("whsec_")
    body = json.dumps({"name": "Ada"}).encode()
    assert post_json(api_client, made["url"], body).status_code == 401
    wrong = signing.signature_header("whsec_wrong", body)
    assert post_json(api_client, made["url"], body, HTTP_X_NEXUS_SIGNATURE=wrong).status_code == 401
    old = signing.signature_header(secret, body, timestamp=1_000_000_000)
    assert post_json(api_client, made["url"], body, HTTP_X_NEXUS_SIGNATURE=old).status_code == 401
    good = signing.signature_header(secret, body)
    response = post_json(api_client, made["url"], body, HTTP_X_NEXUS_SIGNATURE=good)
    assert response.status_code == 202
    assert Execution.objects.count() == 1


def test_calls_are_throttled_per_url(auth_client, api_client, pattern, settings):
    settings.WEBHOOKS_INCOMING_RATE = "2/min"
    made = create(auth_client, pattern)
    codes = [post_json(api_client, made["url"], {"name": "x"}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]


def test_a_pattern_the_creator_may_not_see_is_422(auth_client, other_user):
    theirs = make_pattern(other_user)
    response = auth_client.post(LIST, {"pattern": theirs.key}, format="json")
    assert response.status_code == 422
    assert "pattern" in response.json()["error"]["details"]


def test_a_guest_may_not_make_one(user, pattern):
    user.role = Role.GUEST
    user.save(update_fields=["role"])
    response = bearer_client(user).post(LIST, {"pattern": pattern.key}, format="json")
    assert response.status_code == 403
    assert not IncomingWebhook.objects.exists()


def test_another_users_url_is_404_and_stays_working(auth_client, api_client, other_user, pattern):
    made = create(auth_client, pattern)
    client = bearer_client(other_user)
    assert client.get(f"{LIST}{made['id']}/").status_code == 404
    assert client.delete(f"{LIST}{made['id']}/").status_code == 404
    assert client.get(LIST).json()["results"] == []
    assert post_json(api_client, made["url"], {"name": "x"}).status_code == 202
