"""The demo chat: created once, whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from workspace.chat.models import ChatMessage, MessageEdit, Room

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_rooms_once(settings):
    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
    assert sorted(Room.objects.values_list("kind", flat=True)) == ["channel", "direct", "private"]
    assert ChatMessage.objects.filter(deleted_at__isnull=False).count() == 1
    assert ChatMessage.objects.filter(reply_to__isnull=False).count() == 1
    assert MessageEdit.objects.count() == 1
