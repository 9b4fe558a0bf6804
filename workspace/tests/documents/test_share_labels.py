"""The share list names each level in the reader's language, not by its key."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspace.tests.documents.factories import DocumentFactory, share

pytestmark = pytest.mark.django_db


def test_the_share_level_shows_its_translated_label(client, user):
    document = DocumentFactory(owner=user)
    share(document, UserFactory(), "view")
    client.force_login(user)

    english = client.get(reverse("documents:shares", args=[document.pk])).content.decode()
    client.cookies["django_language"] = "de"
    german = client.get(reverse("documents:shares", args=[document.pk])).content.decode()

    assert 'data-permission="view">View</span>' in english
    assert 'data-permission="view">Ansehen</span>' in german
