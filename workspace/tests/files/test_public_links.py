"""files/{id}/public-link/ and GET /f/{token}/: downloads without login while a link is valid."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from projects.tests.factories import ProjectFactory, add_member
from workspace.files import services
from workspace.files.models import File, PublicLink
from workspace.tests.files.factories import PNG, upload_file

pytestmark = pytest.mark.django_db


def link_url(file):
    return f"/api/v1/files/{file.pk}/public-link/"


def public(token):
    return f"/f/{token}/"


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def file(user):
    return upload_file(user, PNG, name="picture.png")


def create(client, file, **body):
    response = client.post(link_url(file), body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_returns_the_token_once_and_keeps_only_its_hash(auth_client, file):
    body = create(auth_client, file)

    assert body["url"].endswith(f"/f/{body['token']}/")
    assert len(body["token"]) >= 43
    link = PublicLink.objects.get()
    assert body["token"] not in link.token_hash
    assert "token" not in auth_client.get(link_url(file)).json()


def test_a_valid_link_downloads_without_login(auth_client, client, file):
    token = create(auth_client, file)["token"]

    response = client.get(public(token))

    assert response.status_code == 200
    assert streamed(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert File.objects.get(pk=file.pk).download_count == 1
    assert PublicLink.objects.get().download_count == 1


def test_is_public_follows_the_link(auth_client, file):
    detail = f"/api/v1/files/{file.pk}/"
    assert auth_client.get(detail).json()["is_public"] is False

    create(auth_client, file, max_downloads=1)
    assert auth_client.get(detail).json()["is_public"] is True

    services.public_link_download(token=create(auth_client, file, max_downloads=1)["token"])
    assert auth_client.get(detail).json()["is_public"] is False


def test_an_expired_link_is_gone(auth_client, client, file):
    token = create(auth_client, file, expires_at=(timezone.now() + datetime.timedelta(hours=1)))[
        "token"
    ]
    PublicLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get(public(token), HTTP_ACCEPT="application/json")

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    assert auth_client.get(f"/api/v1/files/{file.pk}/").json()["is_public"] is False


def test_a_link_past_its_download_limit_is_gone(auth_client, client, file):
    token = create(auth_client, file, max_downloads=2)["token"]

    assert client.get(public(token)).status_code == 200
    assert client.get(public(token)).status_code == 200
    response = client.get(public(token), HTTP_ACCEPT="application/json")

    assert response.status_code == 410
    assert PublicLink.objects.get().download_count == 2
    assert File.objects.get(pk=file.pk).download_count == 2


def test_a_revoked_link_is_gone_and_shows_the_error_page_to_browsers(auth_client, client, file):
    token = create(auth_client, file)["token"]

    assert auth_client.delete(link_url(file)).status_code == 204
    response = client.get(public(token), HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    assert b"error-page" in response.content
    assert auth_client.get(link_url(file)).status_code == 404


def test_a_new_link_replaces_the_old_one(auth_client, client, file):
    old = create(auth_client, file)["token"]
    new = create(auth_client, file)["token"]

    assert client.get(public(old), HTTP_ACCEPT="application/json").status_code == 410
    assert client.get(public(new)).status_code == 200
    assert PublicLink.objects.filter(revoked_at__isnull=True).count() == 1


def test_an_unknown_token_is_404(client, file):
    response = client.get(public("not-a-real-token"), HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_get_shows_the_current_link(auth_client, file):
    when = timezone.now() + datetime.timedelta(days=2)
    create(auth_client, file, expires_at=when.isoformat(), max_downloads=5)

    body = auth_client.get(link_url(file)).json()

    assert body["max_downloads"] == 5
    assert body["download_count"] == 0
    assert body["is_valid"] is True
    assert body["expires_at"] is not None


def test_get_without_a_link_is_404(auth_client, file):
    assert auth_client.get(link_url(file)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"expires_at": "tomorrow"},
        {"expires_at": "2001-01-01T00:00:00Z"},
        {"max_downloads": 0},
        {"max_downloads": "many"},
        {"max_downloads": 10**12},
    ],
)
def test_bad_link_settings_are_422(auth_client, file, body):
    response = auth_client.post(link_url(file), body, format="json")

    assert response.status_code == 422
    assert not PublicLink.objects.exists()


def test_a_project_member_who_may_not_manage_the_file_gets_403(user, file):
    project = ProjectFactory(owner=user)
    services.file_update(actor=user, file=file, project=project)
    member = add_member(project)

    response = bearer_client(member).post(link_url(file), {}, format="json")

    assert response.status_code == 403


def test_another_user_cannot_see_the_link(file):
    response = bearer_client(UserFactory()).get(link_url(file))

    assert response.status_code == 404
