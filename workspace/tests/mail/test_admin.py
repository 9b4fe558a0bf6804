"""The staff audit screen for mail at /admin/: read-only, recipients inline."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspace.mail.models import MailMessage
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_the_change_page_shows_the_message_and_all_its_recipients_read_only(admin_client):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory(email="carol@example.com")
    sent = write(alice, to=[bob], bcc=[carol], subject="Audit me", body="The body")

    response = admin_client.get(
        reverse("admin:workspace_mailmessage_change", args=[sent.message_id])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Audit me" in page
    assert "The body" in page
    assert "carol@example.com" in page  # staff audit sees the bcc
    assert 'name="body"' not in page  # no editable field
    assert 'name="_save"' not in page


def test_staff_cannot_change_add_or_delete_mail(admin_client):
    alice, bob = UserFactory(), UserFactory()
    sent = write(alice, to=[bob], subject="Fixed")
    change = reverse("admin:workspace_mailmessage_change", args=[sent.message_id])

    admin_client.post(change, {"subject": "Changed", "body": "Changed"})

    assert MailMessage.objects.get().subject == "Fixed"
    assert admin_client.get(reverse("admin:workspace_mailmessage_add")).status_code == 403
    delete = reverse("admin:workspace_mailmessage_delete", args=[sent.message_id])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert MailMessage.objects.exists()


def test_the_list_runs_constant_queries(admin_client):
    alice, bob = UserFactory(), UserFactory()

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:workspace_mailmessage_changelist"))
        assert response.status_code == 200
        return len(queries)

    write(alice, to=[bob])
    few = list_queries()
    for _ in range(5):
        write(alice, to=[bob])
    assert list_queries() == few


def test_the_mail_screen_is_for_staff_only(client, user):
    client.force_login(user)

    response = client.get(reverse("admin:workspace_mailmessage_changelist"))

    assert response.status_code == 302
