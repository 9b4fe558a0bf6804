"""A file's page lists its public links (address with a copy button, created, expiry, downloads,
state, revoke) and points out a new one; only those who manage the file see links."""

import datetime

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from projects.tests.factories import ProjectFactory, add_member
from workspace.files import services
from workspace.files.models import PublicLink
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def page_of(client, file):
    response = client.get(reverse("files:detail", args=[file.pk]))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def test_a_new_link_is_pointed_out_once_and_its_address_stays_listed(client, user):
    file = upload_file(user)
    client.force_login(user)

    created = client.post(reverse("files:public-link", args=[file.pk]), {"max_downloads": "2"})
    first = page_of(client, file)
    again = page_of(client, file)

    assert created["Location"] == reverse("files:detail", args=[file.pk])
    address = first.xpath('//input[@id="new-link-address"]/@value')[0]
    assert "/f/" in address
    assert first.xpath('//button[@id="new-link-copy"]')
    link = PublicLink.objects.get()
    assert first.xpath(f'//tr[@id="link-{link.pk}"]//code/text()') == [address]
    assert not again.xpath('//input[@id="new-link-address"]')  # pointed out once
    assert again.xpath(f'//tr[@id="link-{link.pk}"]//code/text()') == [address]  # listed after
    assert again.xpath(f'//tr[@id="link-{link.pk}"]//button[@data-copy]')
    assert client.get(address.split("testserver", 1)[1]).status_code == 200  # the real address


def test_the_page_lists_current_and_past_links_with_their_state_and_one_revoke(client, user):
    file = upload_file(user)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    old = services.public_link_create(actor=user, file=file).link
    current = services.public_link_create(
        actor=user, file=file, expires_at=tomorrow, max_downloads=5
    ).link
    client.force_login(user)

    page = page_of(client, file)

    rows = page.xpath('//table[@id="link-table"]/tbody/tr')
    assert [row.get("id") for row in rows] == [f"link-{current.pk}", f"link-{old.pk}"]
    assert [row.get("data-state") for row in rows] == ["active", "revoked"]
    assert "0 of 5 downloads" in rows[0].text_content()
    assert len(rows[0].xpath(".//time")) == 2  # created, expires
    assert "never" in rows[1].text_content()
    assert len(rows[0].xpath('.//form[contains(@action, "/revoke/")]')) == 1
    assert not rows[1].xpath(".//form")
    for row, link in zip(rows, (current, old), strict=True):
        address = row.xpath(".//code/text()")[0]
        assert address.endswith(f"/f/{services.link_token(link.pk)}/")
        assert row.xpath(".//button[@data-copy]")


def test_a_link_token_is_not_stored_and_depends_on_the_secret_key(user, settings):
    file = upload_file(user)
    created = services.public_link_create(actor=user, file=file)
    link = PublicLink.objects.get()

    assert created.token == services.link_token(link.pk)
    assert services.public_link_token(link) == created.token
    assert created.token not in link.token_hash  # only its SHA-256 is kept
    settings.SECRET_KEY = "another-secret-key-of-a-restored-database-" * 2
    assert services.link_token(link.pk) != created.token
    assert services.public_link_token(link) is None


def test_a_link_made_with_a_random_token_shows_no_address(client, user):
    file = upload_file(user)
    link = services.public_link_create(actor=user, file=file).link
    PublicLink.objects.filter(pk=link.pk).update(token_hash=services.token_hash("random-token"))
    client.force_login(user)

    row = page_of(client, file).xpath(f'//tr[@id="link-{link.pk}"]')[0]

    assert "shown only when created" in row.text_content()
    assert not row.xpath(".//code")


def test_revoking_from_the_files_page_comes_back_to_it(client, user):
    file = upload_file(user)
    services.public_link_create(actor=user, file=file)
    client.force_login(user)

    response = client.post(reverse("files:public-link-revoke", args=[file.pk]))

    assert response["Location"] == reverse("files:detail", args=[file.pk])
    assert PublicLink.objects.get().revoked_at is not None


def test_a_project_member_sees_the_file_but_not_its_links(client, user):
    project = ProjectFactory(owner=user)
    member = add_member(project)
    file = upload_file(user, project=project)
    services.public_link_create(actor=user, file=file)
    client.force_login(member)

    page = page_of(client, file)

    assert page.xpath("//h1/text()") == [file.name]
    assert not page.xpath('//*[@id="public-links"]')


def test_another_users_file_page_is_404(client, user):
    file = upload_file(UserFactory())
    client.force_login(user)

    assert client.get(reverse("files:detail", args=[file.pk])).status_code == 404


def test_the_files_page_runs_as_many_queries_with_more_links(client, user):
    file = upload_file(user)
    services.public_link_create(actor=user, file=file)
    client.force_login(user)
    url = reverse("files:detail", args=[file.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(4):
        services.public_link_create(actor=user, file=file, max_downloads=3)

    assert queries() == before
