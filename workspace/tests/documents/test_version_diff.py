"""Version compare as people read it: word-level changes of text, tables cell by cell, slides
and workbook cells field by field; never a block's JSON."""

import pytest
from django.urls import reverse

from workspace.documents import services
from workspace.documents.diff import diff_content
from workspace.documents.version_diff import readable_rows, word_diff
from workspace.tests.documents.factories import DocumentFactory


def word(*blocks):
    return {"blocks": list(blocks)}


def paragraph(text):
    return {"type": "paragraph", "text": text}


def lines(rows):
    return [
        [(line.field, line.row, line.column, str(line.html)) for line in row.lines] for row in rows
    ]


def test_word_diff_marks_the_removed_and_added_words_only():
    assert str(word_diff("Ship on Friday", "Ship on Monday")) == (
        "Ship on <del>Friday</del><ins>Monday</ins>"
    )


def test_word_diff_escapes_the_text():
    assert str(word_diff("<b>", "<b> & <i>")) == "&lt;b&gt;<ins> &amp; &lt;i&gt;</ins>"


def test_a_changed_paragraph_reads_as_its_words_not_its_json():
    diff = diff_content(
        "word", word(paragraph("The plan is late")), word(paragraph("The plan is on time"))
    )

    rows = readable_rows(diff)

    assert [(row.kind, row.where, row.op) for row in rows] == [("paragraph", "1", "changed")]
    assert lines(rows) == [[("", None, None, "The plan is <del>late</del><ins>on time</ins>")]]
    assert "{" not in str(rows[0].lines[0].html)


def test_added_and_removed_blocks_show_their_whole_text_marked():
    intro = {"type": "heading", "level": 1, "text": "Intro"}
    next_heading = {"type": "heading", "level": 2, "text": "Next"}

    removed = readable_rows(diff_content("word", word(intro, paragraph("Old words")), word(intro)))
    added = readable_rows(diff_content("word", word(intro), word(intro, next_heading)))

    assert [(row.kind, row.where, row.op) for row in removed] == [("paragraph", "2", "removed")]
    assert lines(removed) == [[("", None, None, "<del>Old words</del>")]]
    assert [(row.kind, row.where, row.op) for row in added] == [("heading", "2", "added")]
    assert lines(added) == [[("", None, None, "<ins>Next</ins>")]]


def test_a_block_that_became_another_kind_shows_its_old_text_removed_and_new_added():
    old = word(paragraph("Goals"))
    new = word({"type": "heading", "level": 2, "text": "Goals"})

    rows = readable_rows(diff_content("word", old, new))

    assert lines(rows) == [
        [("", None, None, "<del>Goals</del>"), ("", None, None, "<ins>Goals</ins>")]
    ]


def test_a_table_is_compared_cell_by_cell():
    old = word({"type": "table", "rows": [["Name", "Role"], ["Ann", "Lead"]]})
    new = word({"type": "table", "rows": [["Name", "Role"], ["Ann", "Owner"], ["Bo", ""]]})

    rows = readable_rows(diff_content("word", old, new))

    assert lines(rows) == [
        [
            ("cell", 2, 2, "<del>Lead</del><ins>Owner</ins>"),
            ("cell", 3, 1, "<ins>Bo</ins>"),
        ]
    ]


def test_list_items_are_aligned_so_one_inserted_item_is_one_line():
    old = word({"type": "list", "ordered": False, "items": ["milk", "bread", "eggs"]})
    new = word({"type": "list", "ordered": False, "items": ["milk", "butter", "bread", "eggs"]})

    rows = readable_rows(diff_content("word", old, new))

    assert lines(rows) == [[("item", None, None, "<ins>butter</ins>")]]


def test_slides_show_each_changed_field():
    old = {"slides": [{"title": "Q1", "text": "Revenue up", "notes": ""}]}
    new = {"slides": [{"title": "Q1", "text": "Revenue up strongly", "notes": "Say thanks"}]}

    rows = readable_rows(diff_content("powerpoint", old, new))

    assert [(row.kind, row.where) for row in rows] == [("slide", "1")]
    assert lines(rows) == [
        [
            ("text", None, None, "Revenue up<ins> strongly</ins>"),
            ("notes", None, None, "<ins>Say thanks</ins>"),
        ]
    ]


def test_workbook_cells_show_value_and_formula_changes():
    old = {"sheets": [{"name": "Q1", "cells": {"A1": {"value": 1}, "B1": {"value": True}}}]}
    new = {"sheets": [{"name": "Q1", "cells": {"A1": {"value": 3, "formula": "=1+2"}}}]}

    rows = readable_rows(diff_content("excel", old, new))

    assert [(row.kind, row.where, row.op) for row in rows] == [
        ("cell", "Q1!A1", "changed"),
        ("cell", "Q1!B1", "removed"),
    ]
    assert lines(rows) == [
        [
            ("formula", None, None, "<ins>=1+2</ins>"),
            ("value", None, None, "<del>1</del><ins>3</ins>"),
        ],
        [("value", None, None, "<del>TRUE</del>")],
    ]


@pytest.mark.django_db
def test_the_history_page_shows_the_words_that_changed(client, user):
    document = DocumentFactory(owner=user, doc_type="word", content=word(paragraph("Ship <soon>")))
    services.document_update(
        actor=user, document=document, version=1, content=word(paragraph("Ship <today>"))
    )
    client.force_login(user)

    page = client.get(reverse("documents:history", args=[document.pk])).content.decode()

    assert "Ship &lt;<del>soon</del><ins>today</ins>&gt;" in page
    assert "&#x27;type&#x27;" not in page
    assert "'type'" not in page
