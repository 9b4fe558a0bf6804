"""Callbacks other apps register to hear of new accounts, called after the account commits.

accounts sits below every other app, so it cannot call them: an app that wants to act on a
new user (patterns starts onboarding) registers a callback here at start, in its
``AppConfig.ready()``. A callback that fails is logged (Django's robust on_commit) and
never undoes the account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

UserCallback = Callable[[Any], None]

_user_created: list[UserCallback] = []


def on_user_created(callback: UserCallback) -> UserCallback:
    """Call ``callback(user)`` after each new account commits; registering twice adds once."""
    if callback not in _user_created:
        _user_created.append(callback)
    return callback


def user_created(user) -> None:
    """Schedule every registered callback for ``user`` once the current transaction commits."""
    for callback in list(_user_created):
        transaction.on_commit(_caller(callback, user), robust=True)


def _caller(callback: UserCallback, user) -> Callable[[], None]:
    def call() -> None:
        callback(user)

    return call
