"""The two ways a worksheet's XML is scanned agree, and only plain sheets take the fast one.

``_scan_plain`` reads a sheet of plain cells by counting and patterns; anything else goes
through the streaming pass. The fast scan must find what the streaming pass finds, and
every feature it does not handle must send the sheet to the streaming pass.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from orchestration.submissions.workbook import (
    FormulaCell,
    _percent_styles,
    _relationship_targets,
    _scan_plain,
    _scan_stream,
)

from .clerk_workbooks import codes, read, save, set_sheet_xml, standard_sheets

SHEET = "xl/worksheets/sheet1.xml"


def _formatted_workbook(path: Path) -> Path:
    """The standard submission with percent formats and merged ranges, as a clerk's own
    layout would have them."""
    save(path, standard_sheets())
    book = openpyxl.load_workbook(path)
    first = book.worksheets[0]
    first["B5"].number_format = "0.00%"
    first["C5"].number_format = "0%"
    # Totals and notes as formulas, as a template has them (openpyxl stores no results).
    first["H30"] = "=SUM(D5:D10)"
    first["H31"] = '=IF(D5>0,"有","无")&"人"'
    book.worksheets[1].merge_cells("A1:F1")
    book.save(path)
    return path


def _sheets(path: Path) -> tuple[dict[str, bytes], frozenset[str]]:
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        targets = _relationship_targets(archive, "xl/workbook.xml")
        styles = _percent_styles(archive, targets, members)
        sheets = {m: archive.read(m) for m in members if m.startswith("xl/worksheets/s")}
    return sheets, styles


def test_the_fast_scan_finds_what_the_streaming_pass_finds(tmp_path: Path) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    assert styles, "the workbook has percent formats"
    taken = 0
    for member, data in sorted(sheets.items()):
        fast = _scan_plain(data, member, styles)
        slow = _scan_stream(io.BytesIO(data), member, styles)
        if fast is None:
            continue
        taken += 1
        assert (fast.merges, fast.percent, fast.formulas, fast.errors) == (
            slow.merges, slow.percent, slow.formulas, slow.errors
        ), member
    assert taken == len(sheets), "every sheet of a plain form takes the fast scan"
    first = _scan_plain(sheets[SHEET], SHEET, styles)
    assert first is not None and {(5, 2), (5, 3)} <= set(first.percent)
    assert first.formulas == {
        (30, 8): FormulaCell("SUM(D5:D10)", False),
        (31, 8): FormulaCell('IF(D5>0,"有","无")&"人"', False),
    }


# Formula cells in the forms writers use; each is added as row 90 of the first sheet.
_FORMULA_FORMS = {
    "cached-number": '<c r="A90"><f>SUM(A1:A5)</f><v>2</v></c>',
    "empty-value": '<c r="A90"><f>SUM(A1:A5)</f><v></v></c>',
    "no-value": '<c r="A90"><f>SUM(A1:A5)</f></c>',
    "quoted-type": "<c r=\"A90\" t='n'><f>1</f><v>1</v></c>",
    # " t='str'" inside another attribute's value is not the cell's type.
    "type-inside-a-value": '<c r="A90" x=" t=\'str\'"><f>1</f><v>1</v></c>',
    "entities": '<c r="A90" s="1"><f>IF(A1&gt;0,"是",A2&lt;&gt;"&amp;")</f><v>1</v></c>',
    "shared": '<c r="A90"><f t="shared" ref="A90:B90" si="0">C90*2</f><v>4</v></c>'
              '<c r="B90"><f t="shared" si="0"/><v>6</v></c>',
    "array": '<c r="A90"><f t="array" ref="A90">SUM(B1:B3*C1:C3)</f><v>1</v></c>',
    "spaced": '<c r="A90">\n  <f >1+1</f >\n  <v>2</v>\n</c>',
    "boolean": '<c r="A90" t="b"><f>1=1</f><v>1</v></c>',
}


@pytest.mark.parametrize("cells", list(_FORMULA_FORMS.values()), ids=list(_FORMULA_FORMS))
def test_formulas_take_the_fast_scan_and_read_as_the_streaming_pass_reads_them(
    tmp_path: Path, cells: str
) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    data = sheets[SHEET].decode().replace(
        "</sheetData>", f'<row r="90">{cells}</row></sheetData>').encode()
    fast = _scan_plain(data, SHEET, styles)
    slow = _scan_stream(io.BytesIO(data), SHEET, styles)
    assert fast is not None
    assert (fast.formulas, fast.merges, fast.percent, fast.errors) == (
        slow.formulas, slow.merges, slow.percent, slow.errors
    )
    assert (90, 1) in fast.formulas


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda x: x.replace('<c r="A1"', '<c\nr="A1"', 1), id="cell-newline"),
        pytest.param(lambda x: x.replace('<c r="A1"', '<c s="0" r="A1"', 1),
                     id="reference-not-first"),
        pytest.param(lambda x: x.replace('<c r="A1"', '<c r="$A$1"', 1), id="absolute-ref"),
        pytest.param(lambda x: x.replace('<c r="A1"', '<c r="a1"', 1), id="lower-case-ref"),
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="5000"><c r="A5000"><v>1</v>'
                                         "</c></row></sheetData>"), id="row-5000"),
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="90"><c r="GS90"><v>1</v>'
                                         "</c></row></sheetData>"), id="column-201"),
        pytest.param(lambda x: x.replace("<sheetData>", "<sheetData><!-- note -->"),
                     id="comment"),
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="90"><c r="A90"><v>2</v>'
                                         "<f>1+1</f></c></row></sheetData>"),
                     id="formula-after-value"),
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="90"><c r="A90"><f>1+\r1</f>'
                                         "<v>2</v></c></row></sheetData>"),
                     id="formula-line-break"),
        pytest.param(lambda x: x.replace("</sheetData>", "<f>1+1</f></sheetData>"),
                     id="formula-outside-a-cell"),
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="90"><c r="A90" t="e">'
                                         "<v>#DIV/0!</v></c></row></sheetData>"), id="error"),
        pytest.param(lambda x: x.replace("<worksheet ", '<worksheet xmlns:x="urn:x" ', 1)
                     .replace("</sheetData>", '<x:c r="A99"/></sheetData>'), id="prefixed"),
        pytest.param(lambda x: x.replace("</sheetData>", "<c r=\"A99\"></sheetData>"),
                     id="unclosed-cell"),
        # The value reader matches elements by local name, and xml: needs no declaration.
        pytest.param(lambda x: x.replace("</sheetData>", '<row r="90"><xml:c r="HA90"><v>1</v>'
                                         "</xml:c></row></sheetData>"), id="xml-prefix"),
        pytest.param(lambda x: x.replace("<worksheet ", '<worksheet xmlns:é="urn:x" ', 1)
                     .replace("</sheetData>", "<é:c><v>1</v></é:c></sheetData>"),
                     id="non-ascii-prefix"),
        pytest.param(lambda x: x.replace(' s="1"', ' s="&#49;"', 1), id="character-reference"),
        pytest.param(lambda x: x.replace(
            "<sheetData>", '<sheetData><?note <mergeCell ref="A1:C3"?>'),
            id="processing-instruction"),
        # A sheet need not open with an XML declaration; then "<?" may not open it at all.
        pytest.param(lambda x: '<?note <mergeCell ref="A1:C3"/>?>'
                     + re.sub(r"^<\?xml[^>]*\?>", "", x), id="processing-instruction-first"),
    ],
)
def test_anything_but_plain_cells_takes_the_streaming_pass(tmp_path: Path, edit) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    edited = edit(sheets[SHEET].decode()).encode()
    assert edited != sheets[SHEET]
    assert _scan_plain(edited, SHEET, styles) is None


def test_mismatched_tags_are_a_damaged_file_though_the_value_reader_takes_them(
    tmp_path: Path,
) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    set_sheet_xml(path, SHEET, lambda x: x.replace("</row>", "</rox>", 1))
    assert "corrupt_file" in codes(read(path))


def test_a_sheet_in_another_encoding_takes_the_streaming_pass(tmp_path: Path) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    text = sheets[SHEET].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert _scan_plain(text.encode("utf-16"), SHEET, styles) is None


@pytest.mark.parametrize(
    "cells",
    [
        # Whether a text formula stored its result is decided by any <v> up to the next
        # cell, wherever it stands: the streaming pass reads every text formula.
        '<c r="A90" t="str"><f>A1&amp;"x"</f><v>ax</v></c>',
        '<c r="A90" t="str"><f>""</f><v/></c>',
        '<c r="A90" t="str"><f>1</f><extLst/><v>1</v></c>',
        '<c r="A90" x=" t=\'n\'" t="str"><f>1</f><v>1</v></c>',
        '<c r="A90" t="inlineStr"><f>1</f><is><t>1</t></is></c>',
    ],
    ids=["text-result", "empty-text-result", "element-before-value", "type-after-a-lure",
         "inline-string"],
)
def test_text_formulas_take_the_streaming_pass(tmp_path: Path, cells: str) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    data = sheets[SHEET].decode().replace(
        "</sheetData>", f'<row r="90">{cells}</row></sheetData>').encode()
    assert _scan_plain(data, SHEET, styles) is None
    assert (90, 1) in _scan_stream(io.BytesIO(data), SHEET, styles).formulas


def test_a_percent_default_style_takes_the_streaming_pass(tmp_path: Path) -> None:
    """A cell that names no style has style 0, which the patterns cannot find by name."""
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    data = sheets[SHEET]
    assert _scan_plain(data, SHEET, styles | {"0"}) is None
    unstyled = _scan_stream(io.BytesIO(data), SHEET, styles | {"0"}).percent
    assert len(unstyled) > len(_scan_stream(io.BytesIO(data), SHEET, styles).percent)


def test_a_formula_in_a_sheet_of_another_encoding_takes_the_streaming_pass(
    tmp_path: Path,
) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    text = re.sub(r"^<\?xml[^>]*\?>", "", sheets[SHEET].decode())
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>' + text
    text = re.sub(r"<row .*</row>", "", text, flags=re.S)  # keep the sheet Latin-1
    # "Ã©" in Latin-1 is the bytes of "é" in UTF-8: read as UTF-8, the text would be wrong.
    data = text.replace("</sheetData>", '<row r="90"><c r="A90"><f>LEN("Ã©")</f><v>2'
                        "</v></c></row></sheetData>").encode("latin-1")
    assert _scan_plain(data, SHEET, styles) is None
    assert _scan_stream(io.BytesIO(data), SHEET, styles).formulas == {
        (90, 1): FormulaCell('LEN("Ã©")', False)
    }


def test_a_percent_format_after_a_quoted_bracket_is_found(tmp_path: Path) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    data = sheets[SHEET].decode()
    data = data.replace('<c r="B5"', '<c r="B5" xml:lang=">"', 1).encode()
    fast = _scan_plain(data, SHEET, styles)
    assert fast is not None and (5, 2) in fast.percent
    assert fast.percent == _scan_stream(io.BytesIO(data), SHEET, styles).percent


# More of each rare byte than the scan follows one by one before it searches the old way.
_FILLER = ('<row r="95"><c r="A95" t="inlineStr"><is><t>'
           + "10:23! &amp; 'a' 何? " * 70 + "</t></is></c></row>")


@pytest.mark.parametrize(
    "feature",
    [
        pytest.param('<row r="96"><x:c r="A96"/></row>', id="prefixed"),
        pytest.param("<!-- note -->", id="comment"),
        pytest.param('<row r="96"><c r="A96" s="&#49;"/></row>', id="character-reference"),
        pytest.param("<?note?>", id="processing-instruction"),
        pytest.param("<row r=\"96\"><c r=\"A96\" t='e'><v>#N/A</v></c></row>", id="error"),
        pytest.param('<row r="96"><c r="A96"><v>2</v><f>1+1</f></c></row>',
                     id="formula-after-value"),
    ],
)
def test_a_feature_behind_many_rare_bytes_still_takes_the_streaming_pass(
    tmp_path: Path, feature: str
) -> None:
    sheets, styles = _sheets(_formatted_workbook(tmp_path / "宕昌县.xlsx"))
    text = sheets[SHEET].decode().replace("<worksheet ", '<worksheet xmlns:x="urn:x" ', 1)
    filled = text.replace("</sheetData>", _FILLER + "</sheetData>")
    assert _scan_plain(filled.encode(), SHEET, styles) is not None, "the filler alone is plain"
    edited = filled.replace("</sheetData>", feature + "</sheetData>")
    assert _scan_plain(edited.encode(), SHEET, styles) is None
