"""The pure parts: words, query texts, snippets, languages, a document's strings."""

import pytest

from accounts.tests.factories import UserFactory
from search import query, texts
from search.models import SearchEntry
from search.tests.helpers import project_of, task_in


def test_words_keep_letters_and_digits_only_lower_cased_and_bounded():
    assert query.words("Hello, wörld! 42 ' & | :* ()") == ["hello", "wörld", "42"]
    assert len(query.words(" ".join(["w"] * 50))) == query.MAX_WORDS
    assert query.words("x" * 500) == ["x" * query.MAX_WORD_LENGTH]


def test_every_word_is_a_whole_word_in_both_query_languages():
    assert query.tsquery(["alpha", "bet"]) == "'alpha' & 'bet'"
    assert query.fts5_match(["alpha", "bet"]) == '"alpha" "bet"'


def test_as_you_type_the_last_word_begins_a_word_of_the_title():
    assert query.prefix_term("bet") == "'^bet'"
    assert query.prefix_term("x" * 40) == "'^" + "x" * query.PREFIX_MAX_LENGTH + "'"
    assert query.fts5_match(["alpha", "bet"], titles=True) == '{title} : ("alpha" "bet"*)'


def test_a_snippet_is_escaped_and_only_the_marks_become_html():
    marked = f'<b>x</b> & "{query.MARK_START}hit{query.MARK_END}" {query.MARK_START}open'

    html = query.snippet_html(marked)

    assert html == '&lt;b&gt;x&lt;/b&gt; &amp; "<mark>hit</mark>" <mark>open</mark>'


@pytest.mark.parametrize(
    ("language", "config"),
    [("en", "english"), ("de", "german"), ("ru", "russian"), ("ar", "simple"), ("", "simple")],
)
def test_each_language_has_its_configuration(language, config):
    assert texts.config_for(language) == config


def test_control_characters_never_reach_the_index():
    assert texts.clean(f"a{query.MARK_START}b\x00c") == "a b c"


def test_every_readable_string_of_a_document_is_kept():
    word = {
        "blocks": [
            {"type": "heading", "level": 1, "text": "Head"},
            {"type": "list", "ordered": False, "items": ["one", "two"]},
            {"type": "table", "rows": [["cell", ""]]},
        ]
    }
    excel = {"sheets": [{"name": "Sheet", "cells": {"A1": {"value": 3}, "B1": {"value": True}}}]}
    slides = {"slides": [{"title": "T", "text": "body", "notes": "n"}]}

    assert list(texts.document_strings("word", word)) == ["Head", "one", "two", "cell", ""]
    assert list(texts.document_strings("excel", excel)) == ["Sheet", "3"]
    assert list(texts.document_strings("powerpoint", slides)) == ["T", "body", "n"]


@pytest.mark.django_db
def test_an_entry_reads_in_its_authors_language():
    german, arab = UserFactory(language="de"), UserFactory(language="ar")
    first = task_in(project_of(german), german, title="Haus")
    second = task_in(project_of(arab), arab, title="بيت")

    assert SearchEntry.objects.get(object_id=first.pk).config == "german"
    assert SearchEntry.objects.get(object_id=second.pk).config == "simple"
