"""Structured diff of two versions of a document's content: plain data in, plain data out.

Blocks and slides are aligned with ``difflib.SequenceMatcher`` on a fingerprint of each item,
so inserting one block in the middle reads as one ``added`` entry, not as every following
block ``changed``. Within a replaced stretch, the most similar items are paired as
``changed`` (see ``_diff_stretch``) and the rest are ``added`` or ``removed``. Sheets are
matched by name (a rename is a removed sheet plus an added one) and cells by reference, in
row-then-column order.

Every entry carries ``op`` (added, removed, changed) and the old and/or new item; indexes are
0-based positions in the old or new list. The output order is deterministic.
"""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from typing import Any

from .content import split_cell_ref, validate_content

CELL_FIELDS = ("value", "formula")
SIMILARITY_CUTOFF = 0.6
MAX_COMPARED_PAIRS = 2_500  # beyond this a replaced stretch pairs by position, to bound the work


def diff_content(doc_type: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Return what changed from ``old`` to ``new``, two valid contents of ``doc_type``."""
    validate_content(doc_type, old)
    validate_content(doc_type, new)
    if doc_type == "excel":
        return _diff_workbook(old["sheets"], new["sheets"])
    key = "blocks" if doc_type == "word" else "slides"
    entries = _diff_sequence(old[key], new[key])
    return {"doc_type": doc_type, key: entries, "summary": _count(entries)}


def _diff_sequence(old: list[dict], new: list[dict]) -> list[dict[str, Any]]:
    matcher = SequenceMatcher(
        None,
        [_fingerprint(item) for item in old],
        [_fingerprint(item) for item in new],
        autojunk=False,
    )
    entries: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            _diff_stretch(old[i1:i2], new[j1:j2], i1, j1, entries)
    return entries


def _diff_stretch(
    old: list[dict], new: list[dict], old_start: int, new_start: int, out: list[dict[str, Any]]
) -> None:
    """Append the entries of a replaced stretch, pairing the most similar items first.

    Like ``difflib.Differ``: the best pair above ``SIMILARITY_CUTOFF`` is a change and both
    sides of it are diffed again, so a reworded block next to an inserted one is paired with
    its old self. With no similar pair, or a stretch too large to compare, items pair by
    position.
    """
    if len(old) * len(new) > MAX_COMPARED_PAIRS:
        _pair_by_position(old, new, old_start, new_start, out)
        return
    scores = {(i, j): _similarity(a, b) for i, a in enumerate(old) for j, b in enumerate(new)}

    def align(i1: int, i2: int, j1: int, j2: int) -> None:
        best, best_i, best_j = SIMILARITY_CUTOFF, -1, -1
        for i in range(i1, i2):
            for j in range(j1, j2):
                if scores[i, j] > best:
                    best, best_i, best_j = scores[i, j], i, j
        if best_i < 0:
            _pair_by_position(old[i1:i2], new[j1:j2], old_start + i1, new_start + j1, out)
            return
        align(i1, best_i, j1, best_j)
        out.append(_changed(old[best_i], new[best_j], old_start + best_i, new_start + best_j))
        align(best_i + 1, i2, best_j + 1, j2)

    align(0, len(old), 0, len(new))


def _pair_by_position(
    old: list[dict], new: list[dict], old_start: int, new_start: int, out: list[dict[str, Any]]
) -> None:
    paired = min(len(old), len(new))
    for offset in range(paired):
        out.append(_changed(old[offset], new[offset], old_start + offset, new_start + offset))
    for offset in range(paired, len(old)):
        out.append({"op": "removed", "old_index": old_start + offset, "old": old[offset]})
    for offset in range(paired, len(new)):
        out.append({"op": "added", "new_index": new_start + offset, "new": new[offset]})


def _changed(before: dict, after: dict, old_index: int, new_index: int) -> dict[str, Any]:
    return {
        "op": "changed",
        "old_index": old_index,
        "new_index": new_index,
        "fields": _changed_fields(before, after),
        "old": before,
        "new": after,
    }


def _similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Return how alike two items read (0..1); blocks of different types are not alike."""
    if a.get("type") != b.get("type"):
        return 0.0
    matcher = SequenceMatcher(None, _words(a), _words(b), autojunk=False)
    if (
        matcher.real_quick_ratio() <= SIMILARITY_CUTOFF
        or matcher.quick_ratio() <= SIMILARITY_CUTOFF
    ):
        return 0.0
    return matcher.ratio()


def _words(value: Any) -> str:
    """Return the text an item shows, ignoring its JSON layout."""
    if isinstance(value, dict):
        return "\n".join(_words(value[key]) for key in sorted(value) if key != "type")
    if isinstance(value, list):
        return "\n".join(_words(item) for item in value)
    return str(value)


def _diff_workbook(old: list[dict], new: list[dict]) -> dict[str, Any]:
    old_by_name = {sheet["name"]: sheet for sheet in old}
    new_by_name = {sheet["name"]: sheet for sheet in new}
    sheets: list[dict[str, Any]] = []
    for sheet in old:
        name = sheet["name"]
        if name not in new_by_name:
            cells = _diff_cells(sheet["cells"], {})
            sheets.append({"op": "removed", "name": name, "cells": cells})
            continue
        cells = _diff_cells(sheet["cells"], new_by_name[name]["cells"])
        if cells:
            sheets.append({"op": "changed", "name": name, "cells": cells})
    for sheet in new:
        if sheet["name"] not in old_by_name:
            cells = _diff_cells({}, sheet["cells"])
            sheets.append({"op": "added", "name": sheet["name"], "cells": cells})
    summary = {f"sheets_{op}": n for op, n in _count(sheets).items()}
    summary.update(
        {f"cells_{op}": n for op, n in _count([c for s in sheets for c in s["cells"]]).items()}
    )
    return {"doc_type": "excel", "sheets": sheets, "summary": summary}


def _diff_cells(old: dict[str, dict], new: dict[str, dict]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for ref in sorted(old.keys() | new.keys(), key=split_cell_ref):
        before, after = old.get(ref), new.get(ref)
        if before is None:
            entries.append({"op": "added", "ref": ref, "new": after})
        elif after is None:
            entries.append({"op": "removed", "ref": ref, "old": before})
        elif fields := [f for f in CELL_FIELDS if not _same(before.get(f), after.get(f))]:
            entries.append(
                {"op": "changed", "ref": ref, "fields": fields, "old": before, "new": after}
            )
    return entries


def _fingerprint(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if not _same(before.get(k), after.get(k)))


def _same(a: Any, b: Any) -> bool:
    """Compare like JSON does: ``true`` is not ``1``, but ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _count(entries: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0}
    for entry in entries:
        counts[entry["op"]] += 1
    return counts
