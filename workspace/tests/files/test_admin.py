"""The staff screens for files, blobs and public links at /admin/."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspace.files import services
from workspace.files.models import Blob, File, PublicLink
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_file_list_and_page_render(admin_client, user):
    file = upload_file(user, name="report.txt")

    listing = admin_client.get(
        reverse("admin:workspace_file_changelist"), {"mime_type": "text/plain"}
    )
    page = admin_client.get(reverse("admin:workspace_file_change", args=[file.pk]))

    assert listing.status_code == 200
    assert b"report.txt" in listing.content
    assert page.status_code == 200
    assert file.sha256.encode() in page.content


def test_renaming_in_the_admin_goes_through_the_service(admin_client, user):
    file = upload_file(user, name="old.txt")

    response = admin_client.post(
        reverse("admin:workspace_file_change", args=[file.pk]),
        {"name": "a/new.txt", "_save": "Save"},
    )

    assert response.status_code == 302
    assert File.objects.get(pk=file.pk).name == "new.txt"


def test_deleting_in_the_admin_releases_the_blob(admin_client, user):
    first = upload_file(user, b"shared", name="a.txt")
    upload_file(UserFactory(), b"shared", name="b.txt")
    services.public_link_create(actor=user, file=first)

    response = admin_client.post(
        reverse("admin:workspace_file_delete", args=[first.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert Blob.objects.get().refcount == 1


def test_blob_screen_shows_usage_and_is_read_only(admin_client, user):
    upload_file(user, b"shared", name="a.txt")
    upload_file(UserFactory(), b"shared", name="b.txt")
    blob = Blob.objects.get()

    listing = admin_client.get(reverse("admin:workspace_blob_changelist"))
    page = admin_client.get(reverse("admin:workspace_blob_change", args=[blob.pk]))
    refused = admin_client.post(reverse("admin:workspace_blob_change", args=[blob.pk]), {})

    assert listing.status_code == 200
    assert blob.sha256.encode() in listing.content
    assert b"a.txt" in page.content
    assert b"b.txt" in page.content
    assert refused.status_code == 403


def test_revoking_links_in_the_admin(admin_client, user):
    file = upload_file(user)
    services.public_link_create(actor=user, file=file)

    response = admin_client.post(
        reverse("admin:workspace_publiclink_changelist"),
        {"action": "revoke", "_selected_action": [str(PublicLink.objects.get().pk)]},
    )

    assert response.status_code == 302
    assert PublicLink.objects.get().revoked_at is not None


def test_a_manager_cannot_delete_someone_elses_file_in_the_admin(user):
    """Staff who are not administrators get no more in the admin than through the API."""
    from nexus_site.definitions.enums import Role

    file = upload_file(user, name="theirs.txt")
    client = Client()
    client.force_login(UserFactory(role=Role.MANAGER))

    response = client.post(reverse("admin:workspace_file_delete", args=[file.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert File.objects.filter(pk=file.pk).exists()
    bulk = client.post(
        reverse("admin:workspace_file_changelist"),
        {"action": "delete_selected", "_selected_action": [str(file.pk)], "post": "yes"},
    )
    assert bulk.status_code == 302
    assert File.objects.filter(pk=file.pk).exists()
