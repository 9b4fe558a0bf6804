"""The content schemas: plain data, no database."""

import pytest
from jsonschema import Draft202012Validator

from nexus_site.exceptions import ValidationError
from workspace.documents.content import (
    DOC_TYPES,
    MAX_TEXT_LENGTH,
    SCHEMAS,
    empty_content,
    split_cell_ref,
    validate_content,
)

GOOD_WORD = {
    "blocks": [
        {"type": "heading", "level": 1, "text": "Plan"},
        {"type": "paragraph", "text": "First line\nsecond line"},
        {"type": "list", "ordered": True, "items": ["one", "two"]},
        {"type": "table", "rows": [["a", "b"], ["", "d"]]},
    ]
}
GOOD_EXCEL = {
    "sheets": [
        {
            "name": "Budget 2026",
            "cells": {
                "A1": {"value": "label"},
                "B1": {"value": 3.5},
                "C1": {"value": True},
                "D1": {"value": None, "formula": "=SUM(B1:B2)"},
                "E1": {"value": 7, "formula": "=B1*2"},
                "XFD1048576": {"value": 0},
            },
        },
        {"name": "Notes", "cells": {}},
    ]
}
GOOD_POWERPOINT = {"slides": [{"title": "Hello", "text": "", "notes": "say hi"}]}


def problems(doc_type, content):
    with pytest.raises(ValidationError) as caught:
        validate_content(doc_type, content)
    return caught.value.details["content"]


@pytest.mark.parametrize(
    ("doc_type", "content"),
    [("word", GOOD_WORD), ("excel", GOOD_EXCEL), ("powerpoint", GOOD_POWERPOINT)],
)
def test_good_content_is_accepted(doc_type, content):
    validate_content(doc_type, content)


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_schemas_are_valid_draft_2020_12(doc_type):
    Draft202012Validator.check_schema(SCHEMAS[doc_type])


@pytest.mark.parametrize("text", ["nul\x00", "escape\x1b", "cr\r", "surrogate\ud800", "\uffff"])
def test_text_xml_cannot_hold_is_refused(text):
    assert problems("powerpoint", {"slides": [{"title": text, "text": "", "notes": ""}]}) == [
        "$.slides[0].title: contains a control character that documents cannot hold."
    ]


@pytest.mark.parametrize("doc_type", DOC_TYPES)
def test_empty_content_is_valid(doc_type):
    validate_content(doc_type, empty_content(doc_type))


def test_unknown_doc_type_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_content("pdf", {})
    assert "doc_type" in caught.value.details


def test_word_lists_every_problem_with_its_path():
    content = {
        "blocks": [
            {"type": "heading", "level": 7, "text": ""},
            {"type": "video"},
            {"type": "list", "items": []},
            {"type": "table", "rows": [["a"], ["b", "c"]]},
            {"type": "paragraph", "text": "bell\x07", "style": "bold"},
        ],
        "extra": 1,
    }

    found = problems("word", content)

    assert found == [
        "$: unknown field extra.",
        "$.blocks[0].level: must be at most 6.",
        "$.blocks[0].text: must not be empty.",
        "$.blocks[1].type: must be one of: heading, paragraph, list, table.",
        "$.blocks[2]: required field missing: ordered.",
        "$.blocks[2].items: must not be empty.",
        "$.blocks[4]: unknown field style.",
        "$.blocks[4].text: contains a control character that documents cannot hold.",
        "$.blocks[3].rows: every row must have the same number of cells.",
    ]


def test_problems_are_ordered_by_position_not_as_text():
    blocks = [{"type": "paragraph", "text": "ok"}] * 11
    blocks[2] = blocks[10] = {"type": "paragraph", "text": ""}

    found = problems("word", {"blocks": blocks})

    assert [p.split(":")[0] for p in found] == ["$.blocks[2].text", "$.blocks[10].text"]


def test_text_longer_than_the_limit_is_refused():
    content = {"blocks": [{"type": "paragraph", "text": "x" * (MAX_TEXT_LENGTH + 1)}]}

    assert problems("word", content) == [
        f"$.blocks[0].text: must have at most {MAX_TEXT_LENGTH} characters."
    ]


def test_excel_lists_every_problem_with_its_path():
    content = {
        "sheets": [
            {
                "name": "a/b",
                "cells": {
                    "A0": {"value": 1},
                    "XFE1": {"value": 2},
                    "A1048577": {"value": 3},
                    "B2": {"value": "", "formula": "SUM(A1)"},
                    "C3": {"value": None},
                    "D4": {"value": [1]},
                },
            },
            {"name": "Sheet", "cells": {}},
            {"name": "SHEET", "cells": {}},
            {"name": "'quoted'", "cells": {}},
        ]
    }

    found = problems("excel", content)

    name_rule = (
        "a sheet name has 1 to 31 characters, none of [ ] : * ? / \\, "
        "and does not start or end with an apostrophe."
    )
    assert found == [
        "$.sheets[0].cells: A0 is not a cell reference between A1 and XFD1048576.",
        "$.sheets[0].cells: A1048577 is not a cell reference between A1 and XFD1048576.",
        "$.sheets[0].cells: XFE1 is not a cell reference between A1 and XFD1048576.",
        "$.sheets[0].cells.B2.formula: a formula starts with =.",
        "$.sheets[0].cells.B2.value: must not be empty.",
        "$.sheets[0].cells.C3: required field missing: formula.",
        "$.sheets[0].cells.D4.value: must be of type string or number or boolean or null.",
        f"$.sheets[0].name: {name_rule}",
        f"$.sheets[3].name: {name_rule}",
        "$.sheets[2].name: the sheet name SHEET is used twice.",
    ]


@pytest.mark.parametrize("name", ["", "x" * 32, "a[1]", "a:b", "a*", "a?", "a\\b"])
def test_bad_sheet_names_are_refused(name):
    assert problems("excel", {"sheets": [{"name": name, "cells": {}}]})


def test_a_workbook_needs_a_sheet():
    assert problems("excel", {"sheets": []}) == ["$.sheets: must not be empty."]


def test_powerpoint_lists_every_problem_with_its_path():
    content = {"slides": [{"title": 1}, {"title": "", "text": "", "notes": "", "layout": 2}]}

    assert problems("powerpoint", content) == [
        "$.slides[0]: required field missing: text, notes.",
        "$.slides[0].title: must be of type string.",
        "$.slides[1]: unknown field layout.",
    ]


def test_content_that_is_not_an_object_is_refused():
    assert problems("word", ["blocks"]) == ["$: must be of type object."]


@pytest.mark.parametrize(
    ("ref", "position"), [("A1", (1, 1)), ("B12", (12, 2)), ("AA3", (3, 27)), ("XFD9", (9, 16384))]
)
def test_split_cell_ref_gives_row_and_column(ref, position):
    assert split_cell_ref(ref) == position
