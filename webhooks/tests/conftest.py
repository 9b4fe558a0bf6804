import pytest

from webhooks.matching import forget_subscribed_types
from webhooks.tests.receiver import running_receiver


@pytest.fixture(autouse=True)
def _fresh_types_memo():
    forget_subscribed_types()
    yield
    forget_subscribed_types()


@pytest.fixture
def receiver(settings):
    """A live receiver on loopback, with private addresses allowed (as operators may)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    with running_receiver() as live:
        yield live
