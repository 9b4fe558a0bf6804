import time
import uuid

from nexus_site.ids import uuid7


def test_identifiers_are_version_7_with_the_rfc_variant_and_the_current_time():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000

    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_identifiers_strictly_increase_within_a_millisecond():
    values = [uuid7() for _ in range(20_000)]

    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert len({value.int >> 80 for value in values}) < len(values)  # many shared a millisecond
