"""Snippets of long texts: made from a window around the first place the words appear."""

import pytest

from accounts.tests.factories import UserFactory
from search.selectors import HEADLINE_WINDOW, search
from search.tests.helpers import project_of, task_in

pytestmark = pytest.mark.django_db


def test_a_word_far_into_a_long_text_is_highlighted_in_the_snippet():
    owner = UserFactory()
    filler = "lorem ipsum dolor sit amet " * (3 * HEADLINE_WINDOW // 27)
    task = task_in(project_of(owner), owner, title="Long", description=filler + "the narwhal sings")

    hits = search(owner, "narwhal").hits

    assert [hit.id for hit in hits] == [task.pk]
    assert "<mark>narwhal</mark>" in hits[0].snippet


def test_a_short_text_keeps_its_whole_snippet():
    owner = UserFactory()
    task_in(project_of(owner), owner, title="Short", description="the narwhal sings at dawn")

    snippet = search(owner, "narwhal").hits[0].snippet

    assert "<mark>narwhal</mark> sings at dawn" in snippet
