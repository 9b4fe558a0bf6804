"""Plain text for the index: cleaning, a document's readable text, the language's configuration."""

import re
from collections.abc import Iterator
from typing import Any

# PostgreSQL text search configurations by the languages of nexus_site.definitions.enums.Language;
# Arabic has no stemmer in PostgreSQL, so it and anything unknown use ``simple``.
CONFIGS = {
    "en": "english",
    "de": "german",
    "es": "spanish",
    "fr": "french",
    "it": "italian",
    "ru": "russian",
}
SIMPLE = "simple"
ALL_CONFIGS = (SIMPLE, *CONFIGS.values())

BODY_MAX_LENGTH = 200_000  # far beyond any page of reading; keeps one row's vector bounded
# Control characters (the snippet marks \x02 and \x03 among them) never reach the index.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def config_for(language: str | None) -> str:
    """Return the text search configuration of ``language`` (a code such as ``de``)."""
    return CONFIGS.get((language or "").split("-")[0].lower(), SIMPLE)


def clean(text: Any, *, limit: int = BODY_MAX_LENGTH) -> str:
    """Return ``text`` as one line of index text: no control characters, at most ``limit``."""
    return CONTROL.sub(" ", str(text or ""))[:limit]


def joined(parts: Iterator[str] | list[str]) -> str:
    """Return the non-empty ``parts`` as one text, one per line."""
    return clean("\n".join(part for part in parts if part))


def document_strings(doc_type: str, content: Any) -> Iterator[str]:
    """Yield the readable strings of a document's content (workspace.documents.content):
    headings, paragraphs, list items and table cells; sheet names and cell values; slide
    titles, text and notes."""
    if not isinstance(content, dict):
        return
    if doc_type == "word":
        for block in content.get("blocks") or ():
            if not isinstance(block, dict):
                continue
            if isinstance(block.get("text"), str):
                yield block["text"]
            for item in block.get("items") or ():
                if isinstance(item, str):
                    yield item
            for row in block.get("rows") or ():
                for cell in row if isinstance(row, list) else ():
                    if isinstance(cell, str):
                        yield cell
    elif doc_type == "excel":
        for sheet in content.get("sheets") or ():
            if not isinstance(sheet, dict):
                continue
            yield str(sheet.get("name") or "")
            for cell in (sheet.get("cells") or {}).values():
                value = cell.get("value") if isinstance(cell, dict) else None
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    yield str(value)
    elif doc_type == "powerpoint":
        for slide in content.get("slides") or ():
            if isinstance(slide, dict):
                for key in ("title", "text", "notes"):
                    if isinstance(slide.get(key), str):
                        yield slide[key]
