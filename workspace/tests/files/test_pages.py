"""The file pages: list with upload form and quota bar, download, delete, public links."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from projects.tests.factories import ProjectFactory
from workspace.files.models import File, PublicLink
from workspace.tests.files.factories import PNG, upload_file

pytestmark = pytest.mark.django_db
LIST = reverse("files:list")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_pages_need_login(client, user):
    file = upload_file(user)

    for url in [LIST, reverse("files:download", args=[file.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_list_shows_files_and_both_usages(signed_in, user, settings):
    settings.FILE_USER_QUOTA_BYTES = 1000
    upload_file(user, b"0123456789", name="first.txt")
    upload_file(user, b"0123456789", name="second.txt")
    upload_file(UserFactory(), b"secret", name="theirs.txt")

    response = signed_in.get(LIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "first.txt" in content
    assert "second.txt" in content
    assert "theirs.txt" not in content
    usage = response.context["usage"]
    assert (usage.logical_bytes, usage.physical_bytes) == (20, 10)
    assert "20\xa0bytes of 1000\xa0bytes used (2 files)" in content
    assert 'id="usage-logical" max="100" value="2"' in content
    assert 'id="usage-physical" max="100" value="1"' in content


def test_upload_form_stores_the_file(signed_in, user):
    project = ProjectFactory(owner=user)

    response = signed_in.post(
        reverse("files:upload"),
        {"file": SimpleUploadedFile("photo.txt", PNG), "project": str(project.pk)},
    )

    assert response.status_code == 302
    file = File.objects.get()
    assert (file.name, file.mime_type, file.project) == ("photo.txt", "image/png", project)


def test_upload_form_without_a_file_says_so(signed_in):
    response = signed_in.post(reverse("files:upload"), {}, follow=True)

    assert response.status_code == 200
    assert texts(response) == ["Choose a file to upload."]
    assert not File.objects.exists()


def test_upload_form_past_the_limit_says_so(signed_in, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 4

    response = signed_in.post(
        reverse("files:upload"), {"file": SimpleUploadedFile("a.txt", b"12345")}, follow=True
    )

    assert "larger than" in texts(response)[0]
    assert not File.objects.exists()


def test_upload_form_checks_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("files:upload"), {"file": SimpleUploadedFile("a.txt", b"x")})

    assert response.status_code == 403
    assert not File.objects.exists()


def test_download_page_streams_the_bytes(signed_in, user):
    file = upload_file(user, PNG, name="pixel.png")

    response = signed_in.get(reverse("files:download", args=[file.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"


def test_delete_form_deletes(signed_in, user):
    file = upload_file(user)

    response = signed_in.post(reverse("files:delete", args=[file.pk]))

    assert response.status_code == 302
    assert not File.objects.exists()


def test_public_link_forms_create_and_revoke(signed_in, user):
    file = upload_file(user)
    expires = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    created = signed_in.post(
        reverse("files:public-link", args=[file.pk]),
        {"expires_at": expires, "max_downloads": "3"},
        follow=True,
    )
    link = PublicLink.objects.get()
    assert link.max_downloads == 3
    assert link.expires_at is not None
    assert "/f/" in created.content.decode()  # on the file's page, once
    assert "Active" in created.content.decode()

    signed_in.post(reverse("files:public-link-revoke", args=[file.pk]))
    assert PublicLink.objects.get().revoked_at is not None


def test_public_link_form_refuses_bad_values(signed_in, user):
    file = upload_file(user)

    response = signed_in.post(
        reverse("files:public-link", args=[file.pk]),
        {"expires_at": "soon", "max_downloads": "-1"},
        follow=True,
    )

    assert response.status_code == 200
    assert not PublicLink.objects.exists()


def test_another_users_file_is_404_on_every_page(signed_in):
    file = upload_file(UserFactory())

    responses = [
        signed_in.get(reverse("files:download", args=[file.pk])),
        signed_in.post(reverse("files:delete", args=[file.pk])),
        signed_in.post(reverse("files:public-link", args=[file.pk]), {}),
        signed_in.post(reverse("files:public-link-revoke", args=[file.pk])),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert File.objects.filter(pk=file.pk).exists()
