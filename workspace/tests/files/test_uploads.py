"""The streaming size guard in front of Django's upload handlers."""

import pytest
from django.test import RequestFactory

from nexus_site.exceptions import PayloadTooLargeError
from workspace.files.uploads import MULTIPART_OVERHEAD, SizeLimitHandler, guard_upload


def test_handler_passes_chunks_on_until_the_limit():
    handler = SizeLimitHandler(limit=10)
    handler.new_file("file", "a.txt", "text/plain", None)

    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    assert handler.receive_data_chunk(b"67890", 5) == b"67890"
    with pytest.raises(PayloadTooLargeError) as raised:
        handler.receive_data_chunk(b"x", 10)

    assert raised.value.code == "file_too_large"
    assert raised.value.status == 413


def test_handler_counts_each_file_on_its_own():
    handler = SizeLimitHandler(limit=10)
    handler.new_file("file", "a.txt", "text/plain", None)
    handler.receive_data_chunk(b"1234567890", 0)
    handler.new_file("file", "b.txt", "text/plain", None)

    assert handler.receive_data_chunk(b"1234567890", 0) == b"1234567890"


def test_guard_refuses_a_body_announced_too_large(settings):
    settings.FILE_UPLOAD_MAX_BYTES = 100
    request = RequestFactory().post("/", data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(100 + MULTIPART_OVERHEAD + 1)

    with pytest.raises(PayloadTooLargeError):
        guard_upload(request)


def test_guard_puts_the_counter_first(settings):
    settings.FILE_UPLOAD_MAX_BYTES = 100
    request = RequestFactory().post("/", data={"a": "b"})

    guard_upload(request)

    assert isinstance(request.upload_handlers[0], SizeLimitHandler)
    assert request.upload_handlers[0].limit == 100
