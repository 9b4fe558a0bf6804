"""Reading uploads: hashing in chunks, type detection, safe names."""

import hashlib

import pytest

from workspace.files.content import TooLarge, inspect_chunks, safe_name
from workspace.tests.files.factories import PNG


def test_inspect_hashes_and_sizes_content_given_in_chunks():
    inspected = inspect_chunks([b"hello ", b"world"])

    assert inspected.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert inspected.size == 11


def test_inspect_sees_utf8_text_split_inside_a_character():
    encoded = "żółw".encode()

    assert inspect_chunks([encoded[:1], encoded[1:]]).mime_type == "text/plain"


def test_inspect_sees_a_signature_split_across_chunks():
    assert inspect_chunks([PNG[:3], PNG[3:]]).mime_type == "image/png"


def test_inspect_stops_past_the_limit():
    with pytest.raises(TooLarge):
        inspect_chunks([b"12345", b"67890", b"x"], max_bytes=10)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("..\\..", "file"),
        ("", "file"),
        (None, "file"),
        ("a/b/../c.txt", "c.txt"),
        ("bad\x00name\n.txt", "badname.txt"),
        ("x" * 300 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_safe_name_keeps_a_plain_file_name(raw, expected):
    assert safe_name(raw) == expected
