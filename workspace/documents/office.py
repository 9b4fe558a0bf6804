"""Export content to real .docx / .xlsx / .pptx files and import such files as new content.

An upload is judged by its bytes, never by its name alone: it must be a zip whose directory
holds ``word/document.xml``, ``xl/workbook.xml`` or ``ppt/presentation.xml``, and a name
whose extension names another type is refused. Before any library parses it, the zip
directory is checked against a member count and a total uncompressed size: Python's zipfile,
which all three libraries use, never inflates a member past its declared size, so checking
the declared sizes is enough to stop a zip bomb. Anything a library then fails on is
reported as a damaged file. Every refusal is a ``ValidationError`` (422; a file past the size
limit is a ``PayloadTooLargeError``, 413) with a ``file``
detail and a specific ``code``.

What survives a round trip is exactly what the content schema holds. Word: headings (heading
styles), paragraphs, lists (List Bullet / List Number styles; an empty paragraph separates
two lists of the same kind) and tables; on import empty paragraphs are spacing and dropped.
Excel: values and formulas as text; a formula's cached result is read back when the file
has one (openpyxl does not compute, so files it wrote have none). PowerPoint: the title
placeholder, the other text shapes as text, and the notes.
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import PurePath
from typing import Any, NoReturn

import docx
import openpyxl
import pptx
from django.utils.translation import gettext as _
from docx.table import Table
from openpyxl.worksheet.formula import ArrayFormula

from nexus_site.exceptions import PayloadTooLargeError, ValidationError

from .content import validate_content

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 5_000
MAX_TITLE_LENGTH = 200

EXTENSIONS = {"word": ".docx", "excel": ".xlsx", "powerpoint": ".pptx"}
_MAIN_PARTS = {
    "word/document.xml": "word",
    "xl/workbook.xml": "excel",
    "ppt/presentation.xml": "powerpoint",
}
# Legacy binary Office files and encrypted OOXML files are both OLE compound documents.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LABELS = {"word": "Word", "excel": "Excel", "powerpoint": "PowerPoint"}


def export_docx(content: dict[str, Any], title: str) -> bytes:
    """Return a .docx file holding valid word ``content``."""
    document = docx.Document()
    document.core_properties.title = title
    previous: dict[str, Any] | None = None
    for block in content["blocks"]:
        if previous is not None and _would_merge(previous, block):
            document.add_paragraph()
        if block["type"] == "heading":
            document.add_heading(block["text"], level=block["level"])
        elif block["type"] == "paragraph":
            document.add_paragraph(block["text"])
        elif block["type"] == "list":
            style = "List Number" if block["ordered"] else "List Bullet"
            for item in block["items"]:
                document.add_paragraph(item, style=style)
        else:
            rows = block["rows"]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for row, values in zip(table.rows, rows, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.text = value
        previous = block
    return _saved(document.save)


def export_xlsx(content: dict[str, Any], title: str) -> bytes:
    """Return a .xlsx file holding valid excel ``content``."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    for sheet in content["sheets"]:
        worksheet = workbook.create_sheet(title=sheet["name"])
        for ref, data in sheet["cells"].items():
            cell = worksheet[ref]
            if data.get("formula"):
                cell.value = data["formula"]
                continue
            cell.value = data["value"]
            if isinstance(data["value"], str) and data["value"].startswith("="):
                cell.data_type = "s"  # text that merely looks like a formula stays text
    return _saved(workbook.save)


def export_pptx(content: dict[str, Any], title: str) -> bytes:
    """Return a .pptx file holding valid powerpoint ``content``."""
    presentation = pptx.Presentation()
    presentation.core_properties.title = title
    layout = presentation.slide_layouts[1]  # "Title and Content"
    for data in content["slides"]:
        slide = presentation.slides.add_slide(layout)
        slide.shapes.title.text_frame.text = data["title"]
        slide.placeholders[1].text_frame.text = data["text"]
        if data["notes"]:
            slide.notes_slide.notes_text_frame.text = data["notes"]
    return _saved(presentation.save)


def import_office(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES,
) -> tuple[str, str, dict[str, Any]]:
    """Return ``(doc_type, title, content)`` read from an uploaded Office file.

    Raise ``ValidationError`` with a clear message for a file that is too large, not an
    Office file, named as another type, damaged, or holding more than a document may.
    """
    if len(data) > max_bytes:
        message = _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
            "size": len(data),
            "limit": max_bytes,
        }
        raise PayloadTooLargeError(message, details={"file": [message]}, code="file_too_large")
    doc_type = _detect_type(data, max_uncompressed_bytes)
    _check_extension(filename, doc_type)
    readers: dict[str, Callable[[bytes], tuple[str, dict[str, Any]]]] = {
        "word": _read_docx,
        "excel": _read_xlsx,
        "powerpoint": _read_pptx,
    }
    try:
        file_title, content = readers[doc_type](data)
    except Exception as exc:  # the libraries raise anything from KeyError to lxml errors
        _refuse(
            "corrupt_file",
            _("The %(type)s file is damaged and cannot be read.") % {"type": _LABELS[doc_type]},
            exc,
        )
    try:
        validate_content(doc_type, content)
    except ValidationError as exc:
        raise ValidationError(
            _("The file's content does not fit a Nexus document: %(problems)s")
            % {"problems": "; ".join(str(p) for p in exc.details["content"][:5])},
            details={"file": exc.details["content"]},
            code="unsupported_content",
        ) from exc
    title = (file_title or PurePath(filename).stem or _("Untitled document")).strip()
    return doc_type, title[:MAX_TITLE_LENGTH], content


def _refuse(code: str, message: str, cause: BaseException | None = None) -> NoReturn:
    raise ValidationError(message, details={"file": [message]}, code=code) from cause


def _detect_type(data: bytes, max_uncompressed_bytes: int) -> str:
    """Return the doc type the zip directory reveals, after checking it is safe to open."""
    not_office = _(
        "The file is not a Word, Excel or PowerPoint document (.docx, .xlsx, .pptx), "
        "or it is damaged."
    )
    if data.startswith(_OLE_SIGNATURE):
        _refuse(
            "not_office_file",
            _(
                "This is an old-format (.doc, .xls, .ppt) or password-protected Office file. "
                "Save it as .docx, .xlsx or .pptx without a password and upload it again."
            ),
        )
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        _refuse("not_office_file", not_office, exc)
    if len(members) > MAX_ZIP_MEMBERS:
        _refuse("zip_bomb", _("The file holds too many parts to be opened safely."))
    if sum(member.file_size for member in members) > max_uncompressed_bytes:
        _refuse(
            "zip_bomb",
            _("The file would expand to more than %(limit)s bytes and is not opened.")
            % {"limit": max_uncompressed_bytes},
        )
    found = {_MAIN_PARTS[m.filename] for m in members if m.filename in _MAIN_PARTS}
    if len(found) != 1:
        _refuse("not_office_file", not_office)
    return found.pop()


def _check_extension(filename: str, doc_type: str) -> None:
    suffix = PurePath(filename).suffix.lower()
    if suffix and suffix != EXTENSIONS[doc_type]:
        _refuse(
            "file_type_mismatch",
            _("The file is named %(suffix)s but its content is a %(type)s document (%(ext)s).")
            % {"suffix": suffix, "type": _LABELS[doc_type], "ext": EXTENSIONS[doc_type]},
        )


def _saved(save: Callable[[BytesIO], None]) -> bytes:
    buffer = BytesIO()
    save(buffer)
    return buffer.getvalue()


def _would_merge(previous: dict[str, Any], block: dict[str, Any]) -> bool:
    """Tell whether two adjacent blocks would read back as one without a separator."""
    if previous["type"] == block["type"] == "table":
        return True
    return previous["type"] == block["type"] == "list" and previous["ordered"] == block["ordered"]


def _text(value: str) -> str:
    """Normalise line breaks: Word and PowerPoint may use CR, PowerPoint uses VT in a line."""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\v", "\n")


def _read_docx(data: bytes) -> tuple[str, dict[str, Any]]:
    document = docx.Document(BytesIO(data))
    blocks: list[dict[str, Any]] = []
    current_list: dict[str, Any] | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            current_list = None
            rows = [[_text(cell.text) for cell in row.cells] for row in item.rows]
            width = max((len(row) for row in rows), default=0)
            if width:
                blocks.append(
                    {"type": "table", "rows": [row + [""] * (width - len(row)) for row in rows]}
                )
            continue
        text = _text(item.text)
        if not text:
            current_list = None
            continue
        style = item.style.name if item.style is not None else ""
        ordered = _list_kind(item, style)
        if ordered is None:
            current_list = None
            blocks.append(_paragraph_block(style, text))
        elif current_list is not None and current_list["ordered"] == ordered:
            current_list["items"].append(text)
        else:
            current_list = {"type": "list", "ordered": ordered, "items": [text]}
            blocks.append(current_list)
    return document.core_properties.title, {"blocks": blocks}


def _list_kind(paragraph: Any, style: str) -> bool | None:
    """Return True for a numbered list item, False for a bulleted one, None for neither."""
    if style.startswith("List Number"):
        return True
    if style.startswith("List Bullet"):
        return False
    properties = paragraph._p.pPr
    if properties is not None and properties.numPr is not None:
        return False  # numbered directly, without a list style: the format is not worth chasing
    return None


def _paragraph_block(style: str, text: str) -> dict[str, Any]:
    if style == "Title":
        return {"type": "heading", "level": 1, "text": text}
    level = style.removeprefix("Heading ")
    if level != style and level.isdigit():
        return {"type": "heading", "level": min(max(int(level), 1), 6), "text": text}
    return {"type": "paragraph", "text": text}


def _read_xlsx(data: bytes) -> tuple[str, dict[str, Any]]:
    workbook = openpyxl.load_workbook(BytesIO(data), data_only=False)
    cached = openpyxl.load_workbook(BytesIO(data), data_only=True)
    sheets = []
    for worksheet in workbook.worksheets:
        results = cached[worksheet.title]
        cells: dict[str, dict[str, Any]] = {}
        # _cells holds only the cells present; iter_rows() would walk the whole bounding
        # rectangle, billions of cells for a sheet with one cell at XFD1048576.
        for position in sorted(worksheet._cells):
            cell = worksheet._cells[position]
            formula = _formula(cell.value) if cell.data_type == "f" else None
            if formula:
                cached_cell = results._cells.get(position)
                value = _scalar(cached_cell.value if cached_cell is not None else None)
                cells[cell.coordinate] = {"value": value, "formula": formula}
            elif (value := _scalar(cell.value)) is not None:
                cells[cell.coordinate] = {"value": value}
        sheets.append({"name": worksheet.title, "cells": cells})
    return workbook.properties.title or "", {"sheets": sheets}


def _formula(value: Any) -> str | None:
    text = value.text if isinstance(value, ArrayFormula) else value
    if not isinstance(text, str) or not text:
        return None  # a data table formula has no text of its own
    return text if text.startswith("=") else f"={text}"


def _scalar(value: Any) -> str | int | float | bool | None:
    """Return a cell value as JSON can hold it; dates become ISO 8601 text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return _text(str(value)) or None


def _read_pptx(data: bytes) -> tuple[str, dict[str, Any]]:
    presentation = pptx.Presentation(BytesIO(data))
    slides = []
    for slide in presentation.slides:
        title_shape = slide.shapes.title
        title_id = title_shape.shape_id if title_shape is not None else None
        texts = [
            _text(shape.text_frame.text)
            for shape in slide.shapes
            if shape.has_text_frame and shape.shape_id != title_id and shape.text_frame.text
        ]
        notes = ""
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = _text(slide.notes_slide.notes_text_frame.text)
        slides.append(
            {
                "title": _text(title_shape.text_frame.text) if title_shape is not None else "",
                "text": "\n".join(texts),
                "notes": notes,
            }
        )
    return presentation.core_properties.title or "", {"slides": slides}
