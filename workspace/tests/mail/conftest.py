"""Three users who write to each other, by address."""

import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", first_name="Alice", last_name="A")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", first_name="Bob", last_name="B")


@pytest.fixture
def carol(db):
    return UserFactory(email="carol@example.com", first_name="Carol", last_name="C")
