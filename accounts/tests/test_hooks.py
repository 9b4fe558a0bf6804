"""The user-created hook: registered callbacks hear of new accounts after commit."""

import pytest

from accounts import hooks, services

pytestmark = pytest.mark.django_db

PASSWORD = "a-fine-long-passphrase-1"


@pytest.fixture
def callbacks(monkeypatch):
    """An empty hook registry for the test, restored afterwards."""
    monkeypatch.setattr(hooks, "_user_created", [])
    return hooks._user_created


def test_callbacks_hear_of_registered_and_created_users_after_commit(
    callbacks, django_capture_on_commit_callbacks
):
    # given
    heard = []
    hooks.on_user_created(heard.append)
    hooks.on_user_created(heard.append)  # registering twice adds it once

    # when
    with django_capture_on_commit_callbacks(execute=True):
        registered = services.user_register(email="one@example.com", password=PASSWORD)
        assert heard == []  # not before commit
    with django_capture_on_commit_callbacks(execute=True):
        created = services.user_create(email="two@example.com", password=PASSWORD)

    # then
    assert heard == [registered, created]


def test_a_failing_callback_leaves_the_account_and_the_other_callbacks(
    callbacks, django_capture_on_commit_callbacks
):
    # given
    heard = []

    def broken(user):
        raise RuntimeError("boom")

    hooks.on_user_created(broken)
    hooks.on_user_created(heard.append)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="three@example.com", password=PASSWORD)

    # then
    assert user.pk is not None
    assert heard == [user]


def test_an_address_already_taken_tells_nobody(callbacks, user, django_capture_on_commit_callbacks):
    # given
    heard = []
    hooks.on_user_created(heard.append)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.user_register(email=user.email, password=PASSWORD)

    # then
    assert heard == []
