"""The structured diff: plain data, no database."""

import pytest

from nexus_site.exceptions import ValidationError
from workspace.documents.diff import diff_content


def para(text):
    return {"type": "paragraph", "text": text}


def slide(title, text="", notes=""):
    return {"title": title, "text": text, "notes": notes}


def sheet(name, cells):
    return {"name": name, "cells": cells}


def test_identical_word_content_has_no_changes():
    content = {"blocks": [para("a"), para("b")]}

    assert diff_content("word", content, content) == {
        "doc_type": "word",
        "blocks": [],
        "summary": {"added": 0, "removed": 0, "changed": 0},
    }


def test_word_insertion_in_the_middle_is_one_added_block():
    old = {"blocks": [para("a"), para("b"), para("c"), para("d")]}
    new = {"blocks": [para("a"), para("b"), para("new"), para("c"), para("d")]}

    result = diff_content("word", old, new)

    assert result["blocks"] == [{"op": "added", "new_index": 2, "new": para("new")}]
    assert result["summary"] == {"added": 1, "removed": 0, "changed": 0}


def test_word_change_names_the_changed_fields():
    heading = {"type": "heading", "level": 1, "text": "Plan"}
    old = {"blocks": [heading, para("a"), para("b")]}
    new = {"blocks": [{**heading, "level": 2}, para("a"), para("b!")]}

    result = diff_content("word", old, new)

    assert result["blocks"] == [
        {
            "op": "changed",
            "old_index": 0,
            "new_index": 0,
            "fields": ["level"],
            "old": heading,
            "new": {**heading, "level": 2},
        },
        {
            "op": "changed",
            "old_index": 2,
            "new_index": 2,
            "fields": ["text"],
            "old": para("b"),
            "new": para("b!"),
        },
    ]
    assert result["summary"] == {"added": 0, "removed": 0, "changed": 2}


def test_word_removal_keeps_the_rest_aligned():
    old = {"blocks": [para("a"), para("b"), para("c")]}
    new = {"blocks": [para("a"), para("c")]}

    result = diff_content("word", old, new)

    assert result["blocks"] == [{"op": "removed", "old_index": 1, "old": para("b")}]


def test_word_replacing_two_blocks_with_three_pairs_then_adds():
    old = {"blocks": [para("a"), para("x"), para("y"), para("z")]}
    new = {"blocks": [para("a"), para("x1"), para("y1"), para("w"), para("z")]}

    result = diff_content("word", old, new)

    assert [(e["op"], e.get("old_index"), e.get("new_index")) for e in result["blocks"]] == [
        ("changed", 1, 1),
        ("changed", 2, 2),
        ("added", None, 3),
    ]


def test_word_block_type_change_is_a_change_of_fields():
    old = {"blocks": [para("a")]}
    new = {"blocks": [{"type": "list", "ordered": False, "items": ["a"]}]}

    [entry] = diff_content("word", old, new)["blocks"]

    assert entry["fields"] == ["items", "ordered", "text", "type"]


def test_excel_sheet_rename_is_removed_plus_added():
    old = {"sheets": [sheet("Old", {"A1": {"value": 1}})]}
    new = {"sheets": [sheet("New", {"A1": {"value": 1}})]}

    result = diff_content("excel", old, new)

    assert result["sheets"] == [
        {
            "op": "removed",
            "name": "Old",
            "cells": [{"op": "removed", "ref": "A1", "old": {"value": 1}}],
        },
        {
            "op": "added",
            "name": "New",
            "cells": [{"op": "added", "ref": "A1", "new": {"value": 1}}],
        },
    ]
    assert result["summary"] == {
        "sheets_added": 1,
        "sheets_removed": 1,
        "sheets_changed": 0,
        "cells_added": 1,
        "cells_removed": 1,
        "cells_changed": 0,
    }


def test_excel_cells_added_removed_and_changed_in_row_then_column_order():
    old = {
        "sheets": [
            sheet(
                "S",
                {
                    "A10": {"value": "gone"},
                    "A2": {"value": None, "formula": "=SUM(A1:A1)"},
                    "B1": {"value": 1},
                    "C1": {"value": "same"},
                },
            )
        ]
    }
    new = {
        "sheets": [
            sheet(
                "S",
                {
                    "A2": {"value": None, "formula": "=SUM(A1:B1)"},
                    "B1": {"value": True},
                    "C1": {"value": "same"},
                    "A3": {"value": "new"},
                },
            )
        ]
    }

    result = diff_content("excel", old, new)

    assert result["sheets"] == [
        {
            "op": "changed",
            "name": "S",
            "cells": [
                {
                    "op": "changed",
                    "ref": "B1",
                    "fields": ["value"],
                    "old": {"value": 1},
                    "new": {"value": True},
                },
                {
                    "op": "changed",
                    "ref": "A2",
                    "fields": ["formula"],
                    "old": {"value": None, "formula": "=SUM(A1:A1)"},
                    "new": {"value": None, "formula": "=SUM(A1:B1)"},
                },
                {"op": "added", "ref": "A3", "new": {"value": "new"}},
                {"op": "removed", "ref": "A10", "old": {"value": "gone"}},
            ],
        }
    ]
    assert result["summary"]["cells_changed"] == 2


def test_excel_integer_and_float_of_the_same_number_are_equal():
    old = {"sheets": [sheet("S", {"A1": {"value": 1}})]}
    new = {"sheets": [sheet("S", {"A1": {"value": 1.0}})]}

    assert diff_content("excel", old, new)["sheets"] == []


def test_excel_formula_removed_becomes_a_plain_value():
    old = {"sheets": [sheet("S", {"A1": {"value": 2, "formula": "=1+1"}})]}
    new = {"sheets": [sheet("S", {"A1": {"value": 2}})]}

    [changed] = diff_content("excel", old, new)["sheets"]

    assert changed["cells"][0]["fields"] == ["formula"]


def test_powerpoint_slides_added_removed_and_changed():
    old = {"slides": [slide("Intro"), slide("Plan", "a"), slide("Old"), slide("End")]}
    new = {"slides": [slide("Intro"), slide("New"), slide("Plan", "a", "say it"), slide("End")]}

    result = diff_content("powerpoint", old, new)

    assert result["slides"] == [
        {"op": "added", "new_index": 1, "new": slide("New")},
        {
            "op": "changed",
            "old_index": 1,
            "new_index": 2,
            "fields": ["notes"],
            "old": slide("Plan", "a"),
            "new": slide("Plan", "a", "say it"),
        },
        {"op": "removed", "old_index": 2, "old": slide("Old")},
    ]
    assert result["summary"] == {"added": 1, "removed": 1, "changed": 1}


def test_invalid_content_is_refused_before_diffing():
    with pytest.raises(ValidationError):
        diff_content("word", {"blocks": []}, {"blocks": [{"type": "video"}]})


def test_word_large_rewrite_pairs_by_position():
    old = {"blocks": [para(f"old {n}") for n in range(60)]}
    new = {"blocks": [para(f"new {n}") for n in range(61)]}

    entries = diff_content("word", old, new)["blocks"]

    assert [e["op"] for e in entries] == ["changed"] * 60 + ["added"]
    assert all(e["old_index"] == e["new_index"] for e in entries[:60])
