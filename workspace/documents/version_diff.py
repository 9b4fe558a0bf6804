"""A structured diff (``diff.diff_content``) as rows people read: the text of each changed
block, slide or cell, word by word, with deletions in ``<del>`` and insertions in ``<ins>``.

Pure: plain data in, rows of escaped HTML out. Headings, paragraphs and list items show their
text, tables cell by cell (``row``/``column`` 1-based), slides field by field (title, text,
notes), workbook cells by value and formula. A row never shows a block's JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
SLIDE_FIELDS = ("title", "text", "notes")


@dataclass(frozen=True)
class DiffLine:
    """One changed piece of an item: ``field`` names it ("" for the item's own text, "item"
    for a list item, "cell" for a table cell at ``row``/``column``, a slide's or a workbook
    cell's field name otherwise); ``html`` is the escaped text with its changes marked."""

    html: SafeString
    field: str = ""
    row: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class DiffRow:
    """One added, removed or changed item: ``kind`` (heading, paragraph, list, table, slide,
    sheet or cell) and ``where`` (its 1-based position, a sheet's name or a cell's
    ``Sheet!A1``)."""

    kind: str
    where: str
    op: str
    lines: list[DiffLine] = field(default_factory=list)


def word_diff(old: str, new: str) -> SafeString:
    """Return ``new`` as escaped HTML with the words gone since ``old`` in ``<del>`` and the
    words added in ``<ins>``; words, spaces and punctuation are compared as separate tokens."""
    before, after = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    parts = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(after[j1:j2])))
    return format_html_join("", "{}", ((part,) for part in parts))


def readable_rows(diff: dict[str, Any]) -> list[DiffRow]:
    """Return the rows of a diff of any document type, in the diff's order."""
    if diff.get("doc_type") == "excel":
        return _workbook_rows(diff.get("sheets", []))
    if "slides" in diff:
        return [_slide_row(entry) for entry in diff["slides"]]
    return [_block_row(entry) for entry in diff.get("blocks", [])]


def _position(entry: dict[str, Any]) -> str:
    index = entry.get("new_index", entry.get("old_index"))
    return str(index + 1) if index is not None else ""


# --- word blocks ------------------------------------------------------------------------------


def _block_row(entry: dict[str, Any]) -> DiffRow:
    old, new = entry.get("old"), entry.get("new")
    kind = (new or old or {}).get("type", "paragraph")
    row = DiffRow(kind=kind, where=_position(entry), op=entry["op"])
    if old is not None and new is not None and old.get("type") != new.get("type"):
        row.lines.extend(_block_lines(old, None))  # a block that became another kind
        row.lines.extend(_block_lines(None, new))
    else:
        row.lines.extend(_block_lines(old, new))
    return row


def _block_lines(old: dict | None, new: dict | None) -> list[DiffLine]:
    """Return the lines of one block's change; a missing side counts as empty."""
    kind = (new or old or {}).get("type")
    if kind == "list":
        return _sequence_lines(_items(old), _items(new), "item")
    if kind == "table":
        return _table_lines(_rows(old), _rows(new))
    return [DiffLine(word_diff(_text(old), _text(new)))]


def _text(block: dict | None) -> str:
    return str((block or {}).get("text", ""))


def _items(block: dict | None) -> list[str]:
    return [str(item) for item in (block or {}).get("items", [])]


def _rows(block: dict | None) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in (block or {}).get("rows", [])]


def _sequence_lines(old: list[str], new: list[str], name: str) -> list[DiffLine]:
    """Return one line per added, removed or changed entry of a list of texts, aligned so an
    inserted entry does not read as every later entry changed."""
    lines = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for offset in range(paired):
            lines.append(DiffLine(word_diff(old[i1 + offset], new[j1 + offset]), name))
        for before in old[i1 + paired : i2]:
            lines.append(DiffLine(word_diff(before, ""), name))
        for after in new[j1 + paired : j2]:
            lines.append(DiffLine(word_diff("", after), name))
    return lines


def _table_lines(old: list[list[str]], new: list[list[str]]) -> list[DiffLine]:
    """Return one line per table cell whose text differs, row by row; a cell beyond the other
    table's edge counts as empty there."""
    lines = []
    for r in range(max(len(old), len(new))):
        before = old[r] if r < len(old) else []
        after = new[r] if r < len(new) else []
        for c in range(max(len(before), len(after))):
            a = before[c] if c < len(before) else ""
            b = after[c] if c < len(after) else ""
            if a != b:
                lines.append(DiffLine(word_diff(a, b), "cell", row=r + 1, column=c + 1))
    return lines


# --- slides -----------------------------------------------------------------------------------


def _slide_row(entry: dict[str, Any]) -> DiffRow:
    old, new = entry.get("old") or {}, entry.get("new") or {}
    row = DiffRow(kind="slide", where=_position(entry), op=entry["op"])
    for name in SLIDE_FIELDS:
        a, b = str(old.get(name, "")), str(new.get(name, ""))
        if a != b:
            row.lines.append(DiffLine(word_diff(a, b), name))
    return row


# --- workbooks --------------------------------------------------------------------------------


def _workbook_rows(sheets: list[dict[str, Any]]) -> list[DiffRow]:
    rows = []
    for sheet in sheets:
        if sheet["op"] != "changed":
            rows.append(DiffRow(kind="sheet", where=sheet["name"], op=sheet["op"]))
        for cell in sheet.get("cells", []):
            row = DiffRow(kind="cell", where=f"{sheet['name']}!{cell['ref']}", op=cell["op"])
            old, new = cell.get("old") or {}, cell.get("new") or {}
            for name in ("formula", "value"):
                a, b = _cell_text(old.get(name)), _cell_text(new.get(name))
                if a != b:
                    row.lines.append(DiffLine(word_diff(a, b), name))
            rows.append(row)
    return rows


def _cell_text(value: Any) -> str:
    """Return a cell's value as a spreadsheet shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)
