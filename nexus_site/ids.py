"""Time-ordered identifiers (UUID version 7, RFC 9562) for every domain model's primary key."""

import os
import threading
import time
import uuid

RANDOM_BITS = 74
_lock = threading.Lock()
_last = {"ms": 0, "random": 0}  # the previous identifier of this process


def uuid7() -> uuid.UUID:
    """Return a new UUIDv7: 48 bits of Unix milliseconds, then 74 random bits.

    Within one process the identifiers strictly increase (RFC 9562, section 6.2, method 2:
    in the same millisecond the random part is the previous one plus one), so rows created in
    order sort in order even within a millisecond.
    """
    unix_ms = time.time_ns() // 1_000_000
    with _lock:
        if unix_ms <= _last["ms"]:
            unix_ms, rand = _last["ms"], _last["random"] + 1
            if rand >> RANDOM_BITS:  # the millisecond's space is used up: borrow the next one
                unix_ms, rand = unix_ms + 1, 0
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> (80 - RANDOM_BITS) >> 1
        _last["ms"], _last["random"] = unix_ms, rand
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)
