"""Apps add panels to the dashboard; panels with nothing to say stay hidden, the rest in order."""

from contextlib import contextmanager

import pytest

from nexus_site import dashboard
from nexus_site.dashboard import Panel, panels_for, register_panel, set_panels_scope


@pytest.fixture
def no_panels(monkeypatch):
    monkeypatch.setattr(dashboard, "_panels", {})


def test_panels_come_in_their_order_and_silent_ones_are_left_out(no_panels):
    register_panel(Panel("late", "late.html", lambda user: {"n": 2}, order=20))
    register_panel(Panel("early", "early.html", lambda user: {"n": 1}, order=10))
    register_panel(Panel("silent", "silent.html", lambda user: None, order=15))

    assert panels_for(object()) == [("early.html", {"n": 1}), ("late.html", {"n": 2})]


def test_registering_a_key_again_replaces_the_panel(no_panels):
    register_panel(Panel("mail", "old.html", lambda user: {}))
    register_panel(Panel("mail", "new.html", lambda user: {}))

    assert panels_for(object()) == [("new.html", {})]


def test_panels_run_together_inside_the_registered_scope(no_panels):
    seen = []

    @contextmanager
    def scope():
        seen.append("enter")
        yield
        seen.append("exit")

    register_panel(Panel("one", "one.html", lambda user: seen.append("one") or {}, order=1))
    register_panel(Panel("two", "two.html", lambda user: seen.append("two") or {}, order=2))
    previous = set_panels_scope(scope)
    try:
        panels_for(object())
    finally:
        set_panels_scope(previous)

    assert seen == ["enter", "one", "two", "exit"]


def test_panels_run_without_a_registered_scope(no_panels):
    register_panel(Panel("one", "one.html", lambda user: {"n": 1}))
    previous = set_panels_scope(None)
    try:
        shown = panels_for(object())
    finally:
        set_panels_scope(previous)

    assert shown == [("one.html", {"n": 1})]
