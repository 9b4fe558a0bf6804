"""nexus_site.events.listeners: the hook the notifications hang on."""

import pytest

from nexus_site.events import listeners
from nexus_site.events.models import Event
from nexus_site.events.services import event_of, publish, publish_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(listeners, "_listeners", {})
    listeners.set_committed_listener(
        "test", {"wanted"}, calls.append, wants=lambda event: event.payload.get("ok", True)
    )
    return calls


def test_a_listener_hears_the_ids_of_its_types_after_commit_only(
    django_capture_on_commit_callbacks, heard
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        publish_many([event_of("wanted"), event_of("other"), event_of("wanted", {"ok": False})])
        assert heard == []
    for callback in pending:
        callback()
    (wanted,) = Event.objects.filter(type="wanted", payload={})
    assert heard == [[wanted.id]]


def test_a_failing_listener_never_undoes_the_committed_write(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(listeners, "_listeners", {})

    def broken(event_ids):
        raise RuntimeError("broker down")

    listeners.set_committed_listener("test", {"wanted"}, broken)
    with django_capture_on_commit_callbacks(execute=True):
        publish("wanted")
    assert Event.objects.filter(type="wanted").exists()
