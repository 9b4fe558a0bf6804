"""The shape of a document's content, one JSON Schema (Draft 2020-12) per document type.

Content is plain JSON so it can be versioned, diffed and exported without a database.

word
    ``{"blocks": [...]}``, an ordered list of blocks, each one of::

        {"type": "heading", "level": 1-6, "text": "..."}
        {"type": "paragraph", "text": "..."}
        {"type": "list", "ordered": true|false, "items": ["...", ...]}
        {"type": "table", "rows": [["...", ...], ...]}   # rectangular, cells may be ""

    Headings, paragraphs and list items are never empty: an empty paragraph is spacing,
    not content, and would not survive a .docx round trip.

excel
    ``{"sheets": [{"name": "...", "cells": {"A1": {"value": ..., "formula": "=..."}}}]}``.
    At least one sheet (a workbook cannot have none). A sheet name has 1-31 characters,
    none of ``[ ] : * ? / \\``, does not start or end with an apostrophe and is unique
    ignoring case, as Excel requires. Cell references run from A1 to XFD1048576. A value is a
    non-empty string, a number, a boolean or null; an empty cell is simply absent. A formula
    is kept as text starting with ``=``; its ``value`` is the last computed result, or null
    when unknown (a formula cell is the only cell whose value may be null).

powerpoint
    ``{"slides": [{"title": "...", "text": "...", "notes": "..."}]}``, strings may be empty.

Every string refuses the control characters XML cannot carry (tab and newline are fine),
so a valid document always exports. Limits are the constants below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from nexus_site.exceptions import ValidationError

DOC_TYPES: tuple[str, ...] = ("word", "excel", "powerpoint")

MAX_TEXT_LENGTH = 10_000  # one heading, paragraph, list item, table cell, cell value or field
MAX_BLOCKS = 5_000
MAX_LIST_ITEMS = 1_000
MAX_TABLE_ROWS = 1_000
MAX_TABLE_COLUMNS = 63  # Word's own limit
MAX_SHEETS = 100
MAX_CELLS = 100_000  # across all sheets of a workbook
MAX_FORMULA_LENGTH = 8_192  # Excel's own limit
MAX_SLIDES = 500

# XML 1.0 cannot hold these, so python-docx, openpyxl and python-pptx would fail on export.
TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]*$"
# Columns A..XFD and rows 1..1048576, spelled out so the schema alone is the contract.
CELL_REF_PATTERN = (
    "^(?:[A-Z]{1,2}|[A-W][A-Z]{2}|X[A-E][A-Z]|XF[A-D])"
    "(?:[1-9][0-9]{0,5}|10[0-3][0-9]{4}|104[0-7][0-9]{3}|1048[0-4][0-9]{2}"
    "|10485[0-6][0-9]|104857[0-6])$"
)
SHEET_NAME_PATTERN = r"^(?!')[^\[\]:*?/\\]{1,31}(?<!')$"
FORMULA_PATTERN = "^="

_TEXT = {"type": "string", "maxLength": MAX_TEXT_LENGTH, "pattern": TEXT_PATTERN}
_LINE = {**_TEXT, "minLength": 1}


def _block(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Return the rule applied to blocks whose ``type`` is ``kind``."""
    return {
        "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
        "then": {
            "properties": {"type": {"const": kind}, **properties},
            "required": ["type", *properties],
            "additionalProperties": False,
        },
    }


WORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "blocks": {
            "type": "array",
            "maxItems": MAX_BLOCKS,
            "items": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": ["heading", "paragraph", "list", "table"]}},
                "allOf": [
                    _block(
                        "heading",
                        {"level": {"type": "integer", "minimum": 1, "maximum": 6}, "text": _LINE},
                    ),
                    _block("paragraph", {"text": _LINE}),
                    _block(
                        "list",
                        {
                            "ordered": {"type": "boolean"},
                            "items": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_LIST_ITEMS,
                                "items": _LINE,
                            },
                        },
                    ),
                    _block(
                        "table",
                        {
                            "rows": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_TABLE_ROWS,
                                "items": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_TABLE_COLUMNS,
                                    "items": _TEXT,
                                },
                            }
                        },
                    ),
                ],
            },
        }
    },
    "required": ["blocks"],
    "additionalProperties": False,
}

EXCEL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "sheets": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SHEETS,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "pattern": SHEET_NAME_PATTERN},
                    "cells": {
                        "type": "object",
                        "maxProperties": MAX_CELLS,
                        "propertyNames": {"pattern": CELL_REF_PATTERN},
                        "additionalProperties": {
                            "type": "object",
                            "properties": {
                                # minLength and pattern only constrain a string value.
                                "value": {
                                    "type": ["string", "number", "boolean", "null"],
                                    "minLength": 1,
                                    "maxLength": MAX_TEXT_LENGTH,
                                    "pattern": TEXT_PATTERN,
                                },
                                "formula": {
                                    "type": "string",
                                    "maxLength": MAX_FORMULA_LENGTH,
                                    "allOf": [
                                        {"pattern": FORMULA_PATTERN},
                                        {"pattern": TEXT_PATTERN},
                                    ],
                                },
                            },
                            "required": ["value"],
                            "additionalProperties": False,
                            "if": {"properties": {"value": {"type": "null"}}},
                            "then": {"required": ["formula"]},
                        },
                    },
                },
                "required": ["name", "cells"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["sheets"],
    "additionalProperties": False,
}

POWERPOINT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "slides": {
            "type": "array",
            "maxItems": MAX_SLIDES,
            "items": {
                "type": "object",
                "properties": {"title": _TEXT, "text": _TEXT, "notes": _TEXT},
                "required": ["title", "text", "notes"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["slides"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "word": WORD_SCHEMA,
    "excel": EXCEL_SCHEMA,
    "powerpoint": POWERPOINT_SCHEMA,
}
_VALIDATORS = {doc_type: Draft202012Validator(schema) for doc_type, schema in SCHEMAS.items()}

_PATTERN_MESSAGES = {
    TEXT_PATTERN: _("contains a control character that documents cannot hold."),
    CELL_REF_PATTERN: _("%(name)s is not a cell reference between A1 and XFD1048576."),
    SHEET_NAME_PATTERN: _(
        "a sheet name has 1 to 31 characters, none of [ ] : * ? / \\, "
        "and does not start or end with an apostrophe."
    ),
    FORMULA_PATTERN: _("a formula starts with =."),
}


def empty_content(doc_type: str) -> dict[str, Any]:
    """Return the content of a new, blank document of ``doc_type``."""
    _check_doc_type(doc_type)
    if doc_type == "word":
        return {"blocks": []}
    if doc_type == "excel":
        return {"sheets": [{"name": "Sheet1", "cells": {}}]}
    return {"slides": []}


def validate_content(doc_type: str, content: Any) -> None:
    """Raise ``ValidationError`` listing every problem in ``content``, each with its JSON path."""
    _check_doc_type(doc_type)
    messages: list[str] = []
    errors = sorted(_VALIDATORS[doc_type].iter_errors(content), key=_error_order)
    for error in errors:
        messages.append(f"{_json_path(error.absolute_path)}: {_message(error)}")
    if doc_type == "word":
        messages.extend(_word_problems(content))
    elif doc_type == "excel":
        messages.extend(_excel_problems(content))
    if messages:
        unique = list(dict.fromkeys(messages))  # `required` reports once per missing key
        raise ValidationError(_("The document content is invalid."), details={"content": unique})


def column_number(letters: str) -> int:
    """Return the 1-based number of an Excel column (A=1, XFD=16384)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def split_cell_ref(ref: str) -> tuple[int, int]:
    """Return ``(row, column)`` of a reference like ``B12``, for ordering cells naturally."""
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters) :]), column_number(letters)


def _check_doc_type(doc_type: str) -> None:
    if doc_type not in SCHEMAS:
        raise ValidationError(
            _("Unknown document type."),
            details={"doc_type": [_("Choose one of: word, excel, powerpoint.")]},
        )


def _error_order(error: SchemaError) -> tuple[list[tuple[int, int | str]], str]:
    """Order errors by document position, so blocks[2] comes before blocks[10]."""
    position = [(0, part) if isinstance(part, int) else (1, part) for part in error.absolute_path]
    return (position, error.message)


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


def _message(error: SchemaError) -> str:
    """Return a translated message for a schema error (jsonschema's own are English only)."""
    keyword, limit, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = [name for name in limit if name not in instance]
        return str(_("required field missing: %(name)s.") % {"name": ", ".join(missing)})
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(name for name in instance if name not in known)
        return str(_("unknown field %(name)s.") % {"name": ", ".join(extra)})
    if keyword == "type":
        expected = " or ".join(limit) if isinstance(limit, list) else limit
        return str(_("must be of type %(type)s.") % {"type": expected})
    if keyword in ("enum", "const"):
        choices = ", ".join(str(choice) for choice in (limit if keyword == "enum" else [limit]))
        return str(_("must be one of: %(choices)s.") % {"choices": choices})
    if keyword == "pattern" and limit in _PATTERN_MESSAGES:
        return str(_PATTERN_MESSAGES[limit] % {"name": instance})
    if keyword == "minItems" and limit == 1:
        return str(_("must not be empty."))
    if keyword in _LIMIT_MESSAGES:
        return str(_LIMIT_MESSAGES[keyword] % {"limit": limit})
    return error.message


_LIMIT_MESSAGES = {
    "minLength": _("must not be empty."),
    "maxLength": _("must have at most %(limit)s characters."),
    "minItems": _("must have at least %(limit)s items."),
    "maxItems": _("must have at most %(limit)s items."),
    "maxProperties": _("must have at most %(limit)s cells."),
    "minimum": _("must be at least %(limit)s."),
    "maximum": _("must be at most %(limit)s."),
}


def _word_problems(content: Any) -> Iterator[str]:
    """Yield what the schema cannot say: a table is rectangular."""
    blocks = content.get("blocks") if isinstance(content, dict) else None
    for index, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict) or block.get("type") != "table":
            continue
        rows = block.get("rows")
        if not isinstance(rows, list):
            continue
        widths = {len(row) for row in rows if isinstance(row, list)}
        if len(widths) > 1:
            yield f"$.blocks[{index}].rows: {_('every row must have the same number of cells.')}"


def _excel_problems(content: Any) -> Iterator[str]:
    """Yield what the schema cannot say: names unique ignoring case, a total cell limit."""
    sheets = content.get("sheets") if isinstance(content, dict) else None
    seen: set[str] = set()
    total = 0
    for index, sheet in enumerate(sheets if isinstance(sheets, list) else []):
        if not isinstance(sheet, dict):
            continue
        name = sheet.get("name")
        if isinstance(name, str):
            if name.casefold() in seen:
                message = _("the sheet name %(name)s is used twice.") % {"name": name}
                yield f"$.sheets[{index}].name: {message}"
            seen.add(name.casefold())
        if isinstance(sheet.get("cells"), dict):
            total += len(sheet["cells"])
    if total > MAX_CELLS:
        message = _("a workbook has at most %(limit)s cells.") % {"limit": MAX_CELLS}
        yield f"$.sheets: {message}"
