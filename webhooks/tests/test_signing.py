"""Signatures as a receiver checks them: the right secret and body pass, anything else and
anything outside the replay window fails."""

import hashlib
import hmac

import pytest

from webhooks import signing

SECRET = "whsec_test"
BODY = b'{"id":1,"type":"task_created"}'


def test_the_header_is_the_time_and_the_hmac_of_time_dot_body():
    header = signing.signature_header(SECRET, BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_a_receiver_accepts_a_fresh_signature():
    header = signing.signature_header(SECRET, BODY, timestamp=1_700_000_000)
    assert signing.verify(SECRET, BODY, header, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize(
    ("secret", "body"),
    [("whsec_other", BODY), (SECRET, BODY + b" "), (SECRET, b"{}")],
)
def test_another_secret_or_a_changed_body_fails(secret, body):
    header = signing.signature_header(SECRET, BODY, timestamp=1_700_000_000)
    with pytest.raises(signing.SignatureError):
        signing.verify(secret, body, header, now=1_700_000_000)


def test_a_replay_outside_the_tolerance_fails():
    header = signing.signature_header(SECRET, BODY, timestamp=1_700_000_000)
    with pytest.raises(signing.SignatureError, match="too old"):
        signing.verify(SECRET, BODY, header, now=1_700_000_000 + 301)
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, BODY, header, now=1_700_000_000 - 301)


def test_a_changed_timestamp_breaks_the_signature():
    header = signing.signature_header(SECRET, BODY, timestamp=1_700_000_000)
    moved = header.replace("t=1700000000", "t=1700000500")
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify(SECRET, BODY, moved, now=1_700_000_500)


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1700000000", "v1=00"])
def test_a_malformed_header_fails(header):
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, BODY, header, now=1_700_000_000)
