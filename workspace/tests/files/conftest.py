import pytest
from django.core.files.storage import default_storage


@pytest.fixture
def stored():
    """Return a test of whether the blob bytes of a SHA-256 are in the default storage."""
    from workspace.files.content import blob_storage_name

    return lambda sha256: default_storage.exists(blob_storage_name(sha256))
