"""Office export and import: real files built in memory, no database."""

import datetime
import zipfile
from io import BytesIO

import docx
import openpyxl
import pytest

from nexus_site.exceptions import PayloadTooLargeError, ValidationError
from workspace.documents.content import MAX_TEXT_LENGTH, validate_content
from workspace.documents.office import (
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    export_docx,
    export_pptx,
    export_xlsx,
    import_office,
)

LIMIT = 5 * 1024 * 1024

WORD = {
    "blocks": [
        {"type": "heading", "level": 1, "text": "Quarterly plan"},
        {"type": "paragraph", "text": "First line\nsecond line\twith a tab"},
        {"type": "heading", "level": 6, "text": "Details"},
        {"type": "list", "ordered": False, "items": ["apples", "pears"]},
        {"type": "list", "ordered": False, "items": ["a second bulleted list"]},
        {"type": "list", "ordered": True, "items": ["one", "two", "three"]},
        {"type": "table", "rows": [["name", "score"], ["Ada", ""], ["Grace", "10"]]},
        {"type": "table", "rows": [["a table right after a table"]]},
        {"type": "paragraph", "text": "The end, in ünïcödé ✓"},
    ]
}
EXCEL = {
    "sheets": [
        {
            "name": "Budget 2026",
            "cells": {
                "A1": {"value": "item"},
                "B1": {"value": "cost"},
                "A2": {"value": "rent"},
                "B2": {"value": 1200},
                "A3": {"value": "food"},
                "B3": {"value": 310.75},
                "B4": {"value": None, "formula": "=SUM(B2:B3)"},
                "C1": {"value": True},
                "C2": {"value": False},
                "D1": {"value": "=text, not a formula"},
                "XFD1048576": {"value": -1},
            },
        },
        {
            "name": "Summary",
            "cells": {"A1": {"value": None, "formula": "='Budget 2026'!B4*12"}},
        },
    ]
}
POWERPOINT = {
    "slides": [
        {"title": "Welcome", "text": "Agenda\nPlan\nQuestions", "notes": "Smile first."},
        {"title": "Plan", "text": "Ship it", "notes": ""},
        {"title": "", "text": "", "notes": "An empty slide with notes"},
    ]
}


def refusal(data, filename="upload.docx", **limits):
    with pytest.raises(ValidationError) as caught:
        import_office(data, filename, **{"max_bytes": LIMIT, **limits})
    error = caught.value
    assert error.status == 422
    assert error.details["file"]
    return error


def zip_of(members):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_word_round_trip_keeps_every_block_type():
    validate_content("word", WORD)

    data = export_docx(WORD, "Plan")

    assert import_office(data, "plan.docx", max_bytes=LIMIT) == ("word", "Plan", WORD)


def test_excel_round_trip_keeps_sheets_numbers_booleans_and_formulas():
    validate_content("excel", EXCEL)

    data = export_xlsx(EXCEL, "Budget")

    assert import_office(data, "budget.xlsx", max_bytes=LIMIT) == ("excel", "Budget", EXCEL)


def test_powerpoint_round_trip_keeps_titles_text_and_notes():
    validate_content("powerpoint", POWERPOINT)

    data = export_pptx(POWERPOINT, "Deck")

    assert import_office(data, "deck.pptx", max_bytes=LIMIT) == ("powerpoint", "Deck", POWERPOINT)


@pytest.mark.parametrize(
    ("content", "export"),
    [({"blocks": []}, export_docx), ({"slides": []}, export_pptx)],
)
def test_empty_documents_round_trip(content, export):
    assert import_office(export(content, "Empty"), "empty", max_bytes=LIMIT)[2] == content


def test_title_falls_back_to_the_file_name():
    data = export_xlsx(EXCEL, "")

    assert import_office(data, "Sales report.xlsx", max_bytes=LIMIT)[1] == "Sales report"


def test_a_name_without_extension_is_judged_by_content():
    data = export_pptx(POWERPOINT, "Deck")

    assert import_office(data, "deck", max_bytes=LIMIT)[0] == "powerpoint"


def test_word_import_reads_title_style_deep_headings_and_drops_spacing():
    document = docx.Document()
    document.add_heading("The title", level=0)
    document.add_paragraph("")
    document.add_heading("Very deep", level=8)
    document.add_paragraph("   ")
    buffer = BytesIO()
    document.save(buffer)

    _, _, content = import_office(buffer.getvalue(), "x.docx", max_bytes=LIMIT)

    assert content == {
        "blocks": [
            {"type": "heading", "level": 1, "text": "The title"},
            {"type": "heading", "level": 6, "text": "Very deep"},
            {"type": "paragraph", "text": "   "},
        ]
    }


def test_excel_import_turns_dates_into_iso_text():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = datetime.datetime(2026, 11, 23, 9, 30)
    buffer = BytesIO()
    workbook.save(buffer)

    _, _, content = import_office(buffer.getvalue(), "dates.xlsx", max_bytes=LIMIT)

    assert content["sheets"][0]["cells"] == {"A1": {"value": "2026-11-23T09:30:00"}}


def test_random_bytes_are_refused():
    error = refusal(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)

    assert error.code == "not_office_file"


def test_a_zip_that_is_not_office_is_refused():
    error = refusal(zip_of({"readme.txt": "hello"}), "archive.docx")

    assert error.code == "not_office_file"


def test_a_docx_named_xlsx_is_refused_naming_both_types():
    error = refusal(export_docx(WORD, "Plan"), "budget.xlsx")

    assert error.code == "file_type_mismatch"
    assert ".xlsx" in str(error.message)
    assert "Word" in str(error.message)
    assert ".docx" in str(error.message)


def test_an_unsupported_extension_is_refused():
    error = refusal(export_docx(WORD, "Plan"), "plan.pdf")

    assert error.code == "file_type_mismatch"


def test_a_truncated_file_is_refused():
    data = export_docx(WORD, "Plan")

    error = refusal(data[: len(data) // 2])

    assert error.code == "not_office_file"


def test_a_damaged_part_is_refused_as_corrupt():
    data = zip_of({"[Content_Types].xml": "<nope", "word/document.xml": "not xml at all"})

    error = refusal(data)

    assert error.code == "corrupt_file"
    assert "Word" in str(error.message)


def test_a_file_over_max_bytes_is_refused_before_reading():
    data = export_docx(WORD, "Plan")

    with pytest.raises(PayloadTooLargeError) as caught:
        import_office(data, "upload.docx", max_bytes=len(data) - 1)

    error = caught.value
    assert error.status == 413
    assert error.code == "file_too_large"
    assert str(len(data) - 1) in str(error.details["file"][0])


def test_a_zip_bomb_is_refused_from_its_directory():
    buffer = BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
            member.write(chunk)
    assert len(buffer.getvalue()) < 200_000  # small on the wire, huge once inflated

    error = refusal(buffer.getvalue())

    assert error.code == "zip_bomb"


def test_a_zip_with_too_many_members_is_refused():
    error = refusal(zip_of({f"part{n}.xml": "" for n in range(MAX_ZIP_MEMBERS + 1)}))

    assert error.code == "zip_bomb"


def test_a_file_holding_more_than_a_document_can_is_refused():
    document = docx.Document()
    document.add_paragraph("x" * (MAX_TEXT_LENGTH + 1))
    buffer = BytesIO()
    document.save(buffer)

    error = refusal(buffer.getvalue())

    assert error.code == "unsupported_content"
    assert error.details["file"] == [
        f"$.blocks[0].text: must have at most {MAX_TEXT_LENGTH} characters."
    ]


def test_excel_import_reads_the_cached_result_of_a_formula():
    content = {"sheets": [{"name": "S", "cells": {"A1": {"value": 2}}}]}
    content["sheets"][0]["cells"]["A2"] = {"value": None, "formula": "=A1*2"}
    source = zipfile.ZipFile(BytesIO(export_xlsx(content, "t")))
    # Excel stores the last result next to the formula; openpyxl never computes one.
    members = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"<f>A1*2</f><v></v>", b"<f>A1*2</f><v>4</v>")

    _, _, imported = import_office(zip_of(members), "t.xlsx", max_bytes=LIMIT)

    assert imported["sheets"][0]["cells"]["A2"] == {"value": 4, "formula": "=A1*2"}


def test_an_old_format_or_password_protected_file_gets_its_own_message():
    error = refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old.doc")

    assert error.code == "not_office_file"
    assert "password" in str(error.message)
