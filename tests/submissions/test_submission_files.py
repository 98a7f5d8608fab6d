"""Files that are not a readable submission: each gives an error finding, never an exception."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from tests.conftest import PROJECT_ROOT

from orchestration.submissions.arrow import to_arrow
from orchestration.submissions.quarantine import write_reports
from orchestration.submissions.reader import read_submission

from .clerk_workbooks import read, save, set_sheet_xml, standard_sheets


def test_truncated_workbook(tmp_path: Path) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    parsed = read(path)

    assert [(f.severity, f.code, f.file_name) for f in parsed.findings] == [
        ("error", "corrupt_file", "宕昌县.xlsx")
    ]
    assert parsed.format == "xlsx"
    assert parsed.values == ()
    assert not parsed.accepted


# The reason a .xlsx is no workbook at all, as the clerk reads it in each language.
NOT_XLSX_ZH = "（不是有效的.xlsx文件：可能为空、已损坏，或是旧版.xls改了扩展名），请重新保存"
NOT_XLSX_EN = "(not a valid .xlsx file: it may be empty, damaged, or an old .xls renamed); save"


def test_a_truncated_workbook_is_explained_whole_in_each_language(tmp_path: Path) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    path.write_bytes(path.read_bytes()[:4000])

    (finding,) = read(path).findings

    assert finding.message_zh == (
        f"文件“宕昌县.xlsx”：文件已损坏或不完整，无法读取{NOT_XLSX_ZH}后再报送。"
    )
    assert finding.message_en == (
        f"File “宕昌县.xlsx”: the file is damaged or incomplete and cannot be read {NOT_XLSX_EN} "
        "it again and resend."
    )
    assert "..." not in finding.message_zh + finding.message_en
    assert finding.found == ""  # the message says it all; nothing half in one language


def test_an_old_xls_renamed_xlsx_is_explained_as_such(tmp_path: Path) -> None:
    path = tmp_path / "宕昌县3月.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)

    (finding,) = read(path).findings

    assert finding.code == "corrupt_file"
    assert NOT_XLSX_ZH in finding.message_zh and "旧版.xls" in finding.message_zh
    assert NOT_XLSX_EN in finding.message_en and "an old .xls renamed" in finding.message_en
    assert "not a valid" not in finding.message_zh  # each language its own words


def test_damaged_part_inside_a_whole_zip(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    set_sheet_xml(path, "xl/worksheets/sheet2.xml", lambda xml: xml[: len(xml) // 2])

    parsed = read(path)

    assert [f.code for f in parsed.findings] == ["corrupt_file"]
    assert parsed.values == ()


def test_text_file_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_text("这不是表格", encoding="utf-8")

    parsed = read(path)

    assert [f.code for f in parsed.findings] == ["corrupt_file"]


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "宕昌县3月.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)

    parsed = read(path)

    (finding,) = parsed.findings
    assert (finding.severity, finding.code) == ("error", "unsupported_format")
    assert finding.found == ".xls"
    assert ".xlsx" in finding.message_zh
    assert parsed.format == "unsupported"
    assert not parsed.accepted


def test_sheet_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    workbook = openpyxl.load_workbook(path)
    workbook["表2 贫困村"].cell(6001, 1, "x")
    workbook.save(path)

    parsed = read(path)

    (finding,) = parsed.findings
    assert (finding.code, finding.sheet, finding.found) == ("sheet_too_large", "表2 贫困村", "6001x13")
    assert parsed.values == ()


def test_sheet_declaring_absurd_dimensions_is_refused_before_loading(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    declare = re.compile(r'<dimension ref="[^"]*"')
    set_sheet_xml(
        path, "xl/worksheets/sheet3.xml",
        lambda xml: declare.sub('<dimension ref="A1:XFD1048576"', xml, count=1),
    )

    parsed = read(path)

    (finding,) = parsed.findings
    assert (finding.code, finding.sheet, finding.found) == (
        "sheet_too_large", "表3 三保障和饮水安全", "1048576x16384",
    )


def test_extra_sheet_with_too_many_columns_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("草稿").cell(1, 300, 1)
    workbook.save(path)

    parsed = read(path)

    assert [(f.code, f.sheet) for f in parsed.findings] == [("sheet_too_large", "草稿")]


def test_merge_over_an_absurd_range_is_refused(tmp_path: Path) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    set_sheet_xml(path, "xl/worksheets/sheet1.xml",
                  lambda xml: xml.replace('<mergeCell ref="A1:M1"', '<mergeCell ref="A1:ZZ9000"'))

    parsed = read(path)

    assert [(f.code, f.sheet, f.found) for f in parsed.findings] == [
        ("sheet_too_large", "表1 贫困人口", "9000x702"),
    ]


def test_a_one_column_sheet_too_long_is_named_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "表1 贫困人口"
    sheet.cell(5001, 1, "x")
    workbook.save(path)

    (finding,) = read(path).findings

    assert finding.code == "sheet_too_large"
    assert "declares 5001 rows and 1 column," in finding.message_en


def _lie_about_size(path: Path, member: str, declared: int) -> None:
    """Make the zip's local header and directory declare ``declared`` bytes for ``member``
    (a zip bomb's trick: the limits read the declared sizes)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (local := data.find(signature, start)) >= 0:
            if data[local + name_at:local + name_at + len(name)] == name:
                data[local + size_at:local + size_at + 4] = declared.to_bytes(4, "little")
            start = local + 4
    path.write_bytes(bytes(data))


def test_a_member_inflating_past_its_declared_size_is_refused_without_inflating(
    tmp_path: Path,
) -> None:
    path = save(tmp_path / "a.xlsx", standard_sheets())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, source.read(info))
                continue
            # 512 MB of blanks inside the sheet's element: about 0.5 MB compressed.
            with out.open(info.filename, "w") as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/')
                for _ in range(512):
                    sheet.write(b" " * (1 << 20))
                sheet.write(b'"/>')
    _lie_about_size(bomb, "xl/worksheets/sheet1.xml", 5000)

    # In a process of its own, to measure its peak memory: VmHWM, its own image's peak
    # (ru_maxrss keeps the peak of the process it was started from, this test's).
    code = (
        "import re\n"
        "from pathlib import Path\n"
        "from tests.submissions.clerk_workbooks import read\n"
        f"parsed = read(Path({str(bomb)!r}))\n"
        "print([f.code for f in parsed.findings])\n"
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=300, check=True)
    codes, peak_mb = result.stdout.splitlines()
    assert codes == "['corrupt_file']"
    assert int(peak_mb) < 400, f"{peak_mb} MB to refuse a 512 MB member declaring 5 kB"


def test_a_member_inflating_past_its_declared_size_is_explained_as_such(tmp_path: Path) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    set_sheet_xml(path, "xl/worksheets/sheet1.xml",
                  lambda xml: xml.replace("</sheetData>", "</sheetData>" + " " * (1 << 20)))
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 5000)

    (finding,) = read(path).findings

    assert (finding.code, finding.found) == ("corrupt_file", "")
    assert finding.message_zh == (
        "文件“宕昌县.xlsx”：文件已损坏或不完整，无法读取（压缩内容与文件声明的大小不符，"
        "文件已损坏或被故意改造），请重新保存后再报送。"
    )
    assert finding.message_en == (
        "File “宕昌县.xlsx”: the file is damaged or incomplete and cannot be read (the compressed "
        "content does not match the sizes the file declares: it is damaged or deliberately "
        "malformed); save it again and resend."
    )


def _declare_entity(xml: str, entity: str) -> str:
    """A DOCTYPE (after the XML declaration, if any) declaring ``x``, used in a new cell."""
    xml = xml.replace("<sheetData>", '<sheetData><row r="60"><c r="A60" t="inlineStr"><is>'
                      "<t>&x;</t></is></c></row>", 1)
    head, _, rest = xml.partition("?>") if xml.startswith("<?xml") else ("", "", xml)
    root = re.match(r"\s*<([\w:]+)", rest)
    assert root is not None, rest[:80]
    return f"{head}{_}<!DOCTYPE {root.group(1)} [<!ENTITY x {entity}>]>{rest}"


@pytest.mark.parametrize("entity", ['"harmless"', 'SYSTEM "file:///nonexistent/secret"'])
def test_a_sheet_declaring_entities_is_refused_as_forbidden_xml_naming_the_sheet(
    tmp_path: Path, entity: str
) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    set_sheet_xml(path, "xl/worksheets/sheet3.xml", lambda xml: _declare_entity(xml, entity))

    (finding,) = read(path).findings

    assert (finding.severity, finding.code, finding.sheet) == (
        "error", "forbidden_xml", "表3 三保障和饮水安全",
    )
    assert finding.message_zh == (
        "文件“宕昌县.xlsx”工作表“表3 三保障和饮水安全”：工作表中含有出于安全原因不允许的XML声明"
        "（XML实体定义），无法读取，请在Excel中另存为新的.xlsx文件后再报送。"
    )
    assert finding.message_en == (
        "File “宕昌县.xlsx”, sheet 表3 三保障和饮水安全: the sheet contains XML declarations "
        "that are not allowed, for security (XML entity definitions), and cannot be read; save "
        "it as a new .xlsx file in Excel and resend."
    )


def test_entities_declared_outside_the_sheets_are_forbidden_xml_of_the_workbook(
    tmp_path: Path,
) -> None:
    path = save(tmp_path / "宕昌县.xlsx", standard_sheets())
    set_sheet_xml(path, "docProps/app.xml", lambda xml: _declare_entity(xml, '"x"'))

    (finding,) = read(path).findings

    assert (finding.code, finding.sheet) == ("forbidden_xml", "")
    assert finding.message_zh.startswith("文件“宕昌县.xlsx”：工作簿中含有出于安全原因不允许的")
    assert finding.message_en.startswith(
        "File “宕昌县.xlsx”: the workbook contains XML declarations that are not allowed"
    )


def test_a_line_break_in_a_file_name_does_not_break_the_message(tmp_path: Path) -> None:
    path = tmp_path / "copy.doc"
    path.write_bytes(b"a letter, not a form")

    parsed = read_submission(path, declared_period="2020-03", hash_personal=str,
                             name="宕昌县\n3月.doc")

    [finding] = parsed.findings
    assert finding.file_name == "宕昌县\n3月.doc"  # the name itself is kept as delivered
    assert "\n" not in finding.message_zh and "\n" not in finding.message_en
    assert finding.message_zh.startswith("文件“宕昌县\\x0a3月.doc”")

    # The clerk's report of the quarantined file names it the same way.
    _, findings = to_arrow(parsed, "d" * 64)
    rejected = pa.Table.from_pylist([{
        "file_sha256": "d" * 64, "drop_month": "2020-03", "file_name": finding.file_name,
        "file_kind": "county", "county_name": None, "county_code": None, "period": None,
    }])
    [report] = write_reports(tmp_path / "quarantine", rejected, findings)
    header = report.read_text(encoding="utf-8-sig").splitlines()[2]
    assert header == "文件 File: 宕昌县\\x0a3月.doc"


def test_load_time_findings_quote_a_name_as_the_reader_does() -> None:
    import duckdb

    from orchestration.submissions.assets import _shown_name_sql
    from orchestration.submissions.model import shown_name

    name = "".join(chr(code) for code in range(0x80)) + "宕昌县.xlsx"
    [(shown,)] = duckdb.execute(f"select {_shown_name_sql('name')} from (select ? as name)",
                                [name]).fetchall()
    assert shown == shown_name(name) and "\n" not in shown
