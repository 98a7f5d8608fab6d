"""Hostile and broken county files, generated at test time, each with the outcome it must get.

Every entry writes one file (or link) into a drop folder and says what the intake must make
of it: ``quarantine`` with the error codes that name the reason, ``accept`` (the contract
reads it, possibly with warnings), ``skip`` (system files a clerk's computer leaves behind:
not archived, not loaded) or ``ignore`` (a symbolic link: never followed). ``at_load`` marks
the reasons only the load can find (the period had not started when the file arrived, a
county outside the 75): the parser alone accepts those files.

Nothing here is committed as a binary: the bytes are made from the clerk workbooks of the
submission tests, edited at the XML or byte level where a spreadsheet program would never
go.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.submissions.form import T1, T2
from tests.submissions.clerk_workbooks import (
    FILER,
    PHONE,
    T1_DATA,
    T2_DATA,
    form_sheet,
    Sheet,
    long_csv_lines,
    save,
    standard_sheets,
)

QUARANTINE, ACCEPT, SKIP, IGNORE = "quarantine", "accept", "skip", "ignore"
# A marker in a file outside the drop zone that entity and link tricks try to pull in.
SECRET = "HOSTILE-CORPUS-SECRET-7f3a"
INJECTIONS = ("=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
              "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name as delivered (may hold odd characters)
    make: Callable[[Path], None]  # writes the file at the given path
    outcome: str
    codes: frozenset[str] = field(default_factory=frozenset)  # error codes that must appear
    warnings: frozenset[str] = field(default_factory=frozenset)  # for accepted files
    at_load: bool = False
    fault: str = ""

    @property
    def loads(self) -> bool:
        """Whether the file reaches the parser at all."""
        return self.outcome in (QUARANTINE, ACCEPT)


# --- building blocks ---------------------------------------------------------------------


def _standard_bytes(sheets=None) -> bytes:
    buffer = io.BytesIO()
    save(buffer, standard_sheets() if sheets is None else sheets)  # type: ignore[arg-type]
    return buffer.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _edit_sheet1(edit: Callable[[str], str]) -> bytes:
    parts = _parts(_standard_bytes())
    parts["xl/worksheets/sheet1.xml"] = edit(parts["xl/worksheets/sheet1.xml"].decode()).encode()
    return _zip(parts)


def _with_dtd(xml: str, dtd: str) -> str:
    if not xml.startswith("<?xml"):
        return dtd + xml
    head, rest = xml.split("?>", 1)
    return f"{head}?>{dtd}{rest}"


def _write(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data() if callable(data) else data)


def _sheets_with_t1(index: int, value: object, info=None) -> bytes:
    sheets = standard_sheets()
    data = list(T1_DATA)
    data[index] = value
    sheets["t1"] = form_sheet(T1, [data], info=info)
    return _standard_bytes(sheets)


def _info(code: str = "621223", period: str = "2020年3月") -> list[list[object]]:
    return [["填报单位：宕昌县", None, None, f"行政区划代码：{code}", None, None, f"报告期：{period}"]]


def _all_sheets_with(info) -> bytes:
    from orchestration.submissions.form import T3, T4
    from tests.submissions.clerk_workbooks import T3_DATA, T4_DATA

    sheets = {
        "t1": form_sheet(T1, [list(T1_DATA)], info=info),
        "t2": form_sheet(T2, [list(r) for r in T2_DATA], info=info),
        "t3": form_sheet(T3, [list(T3_DATA)], info=info),
        "t4": form_sheet(T4, [list(r) for r in T4_DATA], info=info),
    }
    return _standard_bytes(sheets)


UNLIFTED = [i.id for i in T1.indicators].index("unlifted_persons")


# --- the files ---------------------------------------------------------------------------


def _truncated() -> bytes:
    data = _standard_bytes()
    return data[: len(data) // 2]


def _cfb(streams: tuple[str, ...]) -> bytes:
    """The start of a Compound File (what .xls and password-protected .xlsx are)."""
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HH", 0x3E, 3)
    header += b"\xfe\xff" + struct.pack("<H", 9) + b"\0" * (512 - len(header) - 4)
    names = b"".join(name.encode("utf-16-le").ljust(64, b"\0") for name in streams)
    return header + names + b"\0" * 4096


def _zip_bomb() -> bytes:
    """Deflated zeros: 100 MB unpacked from about 100 KB, plus a real workbook's parts."""
    parts = _parts(_standard_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("xl/media/zeros.bin", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(100):
                member.write(block)
    return buffer.getvalue()


def _lying_sizes() -> bytes:
    """A member that says it holds 100 bytes but inflates to 50 MB."""
    data = bytearray(_edit_sheet1(lambda xml: xml.replace("</sheetData>", "</sheetData>" + " " * (50 << 20))))
    # Rewrite the declared uncompressed size of sheet1.xml in its local and central headers.
    name = b"xl/worksheets/sheet1.xml"
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[at + offset:at + offset + 4] = struct.pack("<I", 100)
            start = at + 4
    return bytes(data)


def _billion_laughs(xml: str) -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    xml = _with_dtd(xml, f"<!DOCTYPE worksheet [{entities}]>")
    return xml.replace("<sheetData>", '<sheetData><row r="60"><c r="A60" t="inlineStr"><is><t>'
                       "&lol9;</t></is></c></row>", 1)


def _xxe(secret: Path) -> Callable[[str], str]:
    def edit(xml: str) -> str:
        xml = _with_dtd(xml, f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>')
        return xml.replace("<sheetData>", '<sheetData><row r="60"><c r="A60" t="inlineStr"><is>'
                           "<t>&xxe;</t></is></c></row>", 1)
    return edit


def _xxe_shared_strings(secret: Path) -> bytes:
    parts = _parts(_standard_bytes())
    xml = parts["xl/sharedStrings.xml"].decode() if "xl/sharedStrings.xml" in parts else None
    if xml is None:  # openpyxl writes inline strings only when told; add a strings part
        xml = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
               '.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>x</t></si></sst>')
    xml = _with_dtd(xml, f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret}">]>')
    parts["xl/sharedStrings.xml"] = xml.replace("<si><t>", "<si><t>&xxe;", 1).encode()
    return _zip(parts)


def _deep_nesting(xml: str) -> str:
    depth = 200_000
    return xml.replace("<sheetData>", "<sheetData>" + "<x>" * depth + "</x>" * depth, 1)


def _many_rows(xml: str) -> str:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>621223{r:06d}</t></is></c></row>'
        for r in range(100, 100_100)
    )
    return xml.replace("</sheetData>", rows + "</sheetData>", 1)


def _wide(xml: str) -> str:
    return xml.replace("</sheetData>", '<row r="90"><c r="XFD90"><v>1</v></c></row></sheetData>', 1)


def _prefixed_huge(xml: str) -> str:
    """A cell at the sheet's last position behind the xml: prefix, which needs no declaration:
    the value reader matches elements by local name and would build the whole sheet."""
    return xml.replace(
        "</sheetData>",
        '<row r="90"><xml:c r="XFD1048576"><v>1</v></xml:c></row></sheetData>', 1,
    )


def _declared_huge(xml: str) -> str:
    if "<dimension" in xml:
        start = xml.index("<dimension")
        end = xml.index("/>", start) + 2
        return xml[:start] + '<dimension ref="A1:XFD1048576"/>' + xml[end:]
    return xml.replace("<sheetViews>", '<dimension ref="A1:XFD1048576"/><sheetViews>', 1)


def _merge_bomb(xml: str) -> str:
    if "<mergeCells" in xml:
        return xml.replace("</mergeCells>", '<mergeCell ref="B200:XFD1048576"/></mergeCells>', 1)
    return xml.replace("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell '
                       'ref="B200:XFD1048576"/></mergeCells>', 1)


def _huge_cell_xlsx() -> bytes:
    return _sheets_with_t1(UNLIFTED, "9" * 10 + "x" * (8 << 20))


def _formula_uncached() -> bytes:
    return _sheets_with_t1(UNLIFTED, "=1900+100")


def _dup_villages() -> bytes:
    sheets = standard_sheets()
    sheets["t2"] = form_sheet(T2, [list(T2_DATA[0]), list(T2_DATA[1]), list(T2_DATA[0])])
    return _standard_bytes(sheets)


def _hidden_sheets(duplicate: bool) -> bytes:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(_standard_bytes()))
    hidden = workbook.create_sheet("表1 贫困人口（旧）" if duplicate else "底稿")
    hidden.sheet_state = "veryHidden" if duplicate else "hidden"
    hidden["A1"] = "内部底稿"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_slip() -> bytes:
    parts = _parts(_standard_bytes())
    parts["../../../../../../tmp/dukan-zip-slip.txt"] = b"written outside"
    parts["/etc/dukan-zip-slip.txt"] = b"absolute"
    return _zip(parts)


def _many_members() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(20_000):
            archive.writestr(f"junk/{index}.xml", b"<a/>")
    return buffer.getvalue()


def _prefecture_summary_broken() -> bytes:
    return _standard_bytes([Sheet("汇总", [["陇南市脱贫攻坚挂牌督战工作进展月报汇总表"], ["没有表头"]])])


def _csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def _csv_with_value(index: int, value: str) -> bytes:
    lines = long_csv_lines()
    head, _, _ = lines[index].rpartition(",")
    lines[index] = f'{head},"{value}"' if any(c in value for c in ",\r\n\"") else f"{head},{value}"
    return _csv(lines)


def _csv_many_rows() -> bytes:
    lines = long_csv_lines()
    extra = [f"621223,2020-03,t2,621223{n:06d},poverty_incidence_pct,1.5" for n in range(100_000)]
    return _csv(lines + extra)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + os.urandom(64)


def corpus(secret: Path) -> list[Hostile]:
    """Every hostile file; ``secret`` is a file outside the drop zone holding SECRET."""
    q, a = QUARANTINE, ACCEPT
    csv_row = 1  # line 2 of the long CSV: the first value of 表1
    files = [
        # Not a workbook at all, or not a whole one.
        Hostile("空文件.csv", _write(b""), q, frozenset({"bad_header"}), fault="empty file"),
        Hostile("零字节.xlsx", _write(b""), q, frozenset({"corrupt_file"}), fault="0-byte xlsx"),
        Hostile("截断.xlsx", _write(_truncated), q, frozenset({"corrupt_file"}),
                fault="truncated xlsx"),
        Hostile("旧版.xlsx", _write(_cfb(("Workbook",))), q, frozenset({"corrupt_file"}),
                fault="xls renamed to xlsx"),
        Hostile("加密.xlsx", _write(_cfb(("EncryptionInfo", "EncryptedPackage"))), q,
                frozenset({"corrupt_file"}), fault="password-protected OOXML (CFB container)"),
        Hostile("图片.xlsx", _write(_png), q, frozenset({"corrupt_file"}), fault="PNG named .xlsx"),
        Hostile("网页.xlsx", _write(b"<html><table><tr><td>1</td></tr></table></html>"), q,
                frozenset({"corrupt_file"}), fault="HTML table saved as .xlsx"),
        Hostile("长表.xlsx", _write(lambda: _csv(long_csv_lines())), q,
                frozenset({"corrupt_file"}), fault="CSV named .xlsx"),
        Hostile("工作簿.csv", _write(_standard_bytes), q, frozenset({"bad_encoding"}),
                fault="xlsx named .csv"),
        Hostile("只有清单.xlsx", _write(lambda: _zip({"[Content_Types].xml": b"<Types/>"})), q,
                frozenset({"corrupt_file"}), fault="zip without a workbook part"),
        Hostile("两万成员.xlsx", _write(_many_members), q, frozenset({"corrupt_file"}),
                fault="zip with 20,000 members"),
        Hostile("说明.pdf", _write(b"%PDF-1.4\n%%EOF\n"), q, frozenset({"unsupported_format"}),
                fault="PDF"),
        Hostile("没有扩展名", _write(b"621223"), q, frozenset({"unsupported_format"}),
                fault="no extension"),
        # Resource exhaustion.
        Hostile("压缩炸弹.xlsx", _write(_zip_bomb), q, frozenset({"file_too_large"}),
                fault="zip bomb (100 MB of zeros)"),
        Hostile("虚报大小.xlsx", _write(_lying_sizes), q, frozenset({"corrupt_file"}),
                fault="zip member lying about its size"),
        Hostile("十亿笑.xlsx", _write(lambda: _edit_sheet1(_billion_laughs)), q,
                frozenset({"forbidden_xml"}), fault="XML entity expansion (billion laughs)"),
        Hostile("外部实体.xlsx", _write(lambda: _edit_sheet1(_xxe(secret))), q,
                frozenset({"forbidden_xml"}), fault="XXE to a local file (worksheet)"),
        Hostile("外部实体字符串.xlsx", _write(lambda: _xxe_shared_strings(secret)), q,
                frozenset({"forbidden_xml"}), fault="XXE to a local file (shared strings)"),
        # Elements the form does not know are ignored, as Excel's own extensions are.
        Hostile("深层嵌套.xlsx", _write(lambda: _edit_sheet1(_deep_nesting)), ACCEPT,
                fault="XML nested 200,000 deep"),
        Hostile("十万行.xlsx", _write(lambda: _edit_sheet1(_many_rows)), q,
                frozenset({"sheet_too_large"}), fault="100,000 rows"),
        Hostile("十万行.csv", _write(_csv_many_rows), q, frozenset({"too_many_lines"}),
                fault="100,000-line CSV"),
        Hostile("16384列.xlsx", _write(lambda: _edit_sheet1(_wide)), q,
                frozenset({"sheet_too_large"}), fault="a cell in column 16384 (XFD)"),
        Hostile("前缀单元格.xlsx", _write(lambda: _edit_sheet1(_prefixed_huge)), q,
                frozenset({"sheet_too_large"}), fault="a cell at XFD1048576 behind xml:"),
        Hostile("声明百万行.xlsx", _write(lambda: _edit_sheet1(_declared_huge)), q,
                frozenset({"sheet_too_large"}), fault="dimension declaring 1048576x16384"),
        Hostile("合并全表.xlsx", _write(lambda: _edit_sheet1(_merge_bomb)), q,
                frozenset({"sheet_too_large"}), fault="merged range over the whole sheet"),
        Hostile("超大单元格.xlsx", _write(_huge_cell_xlsx), q, frozenset({"not_a_number"}),
                fault="8 MB text in one cell"),
        Hostile("超大字段.csv", _write(lambda: _csv_with_value(csv_row, "9" * (1 << 20))), q,
                frozenset({"field_too_long"}), fault="1 MB field in a CSV"),
        # Encodings and delimiters.
        Hostile("UTF16.csv", _write(lambda: _csv(long_csv_lines(), "utf-16")), q,
                frozenset({"bad_encoding"}), fault="CSV in UTF-16"),
        Hostile("乱码.csv", _write(lambda: b"\xff\xfe\xfa" + _csv(long_csv_lines())), q,
                frozenset({"bad_encoding"}), fault="bytes valid in no accepted encoding"),
        Hostile("NUL字节.csv", _write(lambda: _csv(long_csv_lines()).replace(b",t1,", b",t1\0,")),
                q, frozenset({"unknown_table"}), fault="CSV with NUL bytes"),
        Hostile("分号.csv", _write(lambda: _csv([line.replace(",", ";") for line in long_csv_lines()])),
                q, frozenset({"bad_header"}), fault="CSV with ; as delimiter"),
        Hostile("只有BOM.csv", _write(b"\xef\xbb\xbf"), q, frozenset({"bad_header"}),
                fault="CSV holding only a BOM"),
        # The content breaks the contract.
        Hostile("区划代码不在75县.xlsx", _write(lambda: _all_sheets_with(_info("620102"))), q,
                frozenset({"unknown_county"}), at_load=True, fault="wrong county code"),
        Hostile("区划代码不在75县.csv",
                _write(lambda: _csv([line.replace("621223,", "620102,", 1) for line in long_csv_lines()])),
                q, frozenset({"unknown_county"}), at_load=True, fault="wrong county code (CSV)"),
        Hostile("未来报告期.xlsx", _write(lambda: _all_sheets_with(_info(period="2020年12月"))), q,
                frozenset({"period_not_started"}), at_load=True, fault="a period in the future"),
        Hostile("报告期13月.xlsx", _write(lambda: _all_sheets_with(_info(period="2020年13月"))), q,
                frozenset({"bad_period"}), fault="month 13"),
        Hostile("重复村.xlsx", _write(_dup_villages), q, frozenset({"duplicate_village"}),
                fault="duplicated village rows"),
        Hostile("公式无值.xlsx", _write(_formula_uncached), q, frozenset({"formula_without_value"}),
                fault="formula without a cached value"),
        Hostile("负数.xlsx", _write(lambda: _sheets_with_t1(UNLIFTED, -5)), q,
                frozenset({"negative_count"}), fault="negative count"),
        Hostile("文字.xlsx", _write(lambda: _sheets_with_t1(UNLIFTED, "两千")), q,
                frozenset({"not_a_number"}), fault="text in a count"),
        Hostile("电话填错格.xlsx", _write(lambda: _sheets_with_t1(UNLIFTED, PHONE)), q,
                frozenset({"looks_like_phone"}), fault="a telephone number in a count cell"),
        Hostile("重复值.csv", _write(lambda: _csv(long_csv_lines() + long_csv_lines()[1:3])), q,
                frozenset({"duplicate_value"}), fault="duplicated CSV lines"),
        Hostile("空工作簿.xlsx", _write(lambda: _standard_bytes([Sheet("Sheet1", [])])), q,
                frozenset({"missing_sheet"}), fault="workbook with one empty sheet"),
        Hostile("汇总表坏.xlsx", _write(_prefecture_summary_broken), q,
                frozenset({"missing_header"}), fault="prefecture summary without a header"),
        # Names that try to climb out of the archive or the quarantine folder.
        Hostile("..\\..\\..\\Windows\\System32\\evil.xlsx", _write(_png), q,
                frozenset({"corrupt_file"}), fault="path traversal with backslashes"),
        Hostile("%2e%2e%2f%2e%2e%2fetc%2fpasswd.xlsx", _write(_png), q,
                frozenset({"corrupt_file"}), fault="URL-encoded traversal"),
        Hostile("-rf --no-preserve-root .xlsx", _write(_png), q, frozenset({"corrupt_file"}),
                fault="name that reads as command options"),
        Hostile("换行\n回车\r制表\t.xlsx", _write(_png), q, frozenset({"corrupt_file"}),
                fault="control characters in the name"),
        Hostile("长" * 80 + ".xlsx", _write(_png), q, frozenset({"corrupt_file"}),
                fault="a 245-byte name"),
        # The parser accepts these; the exports and the archive must stay safe.
        Hostile("隐藏工作表.xlsx", _write(lambda: _hidden_sheets(False)), a,
                fault="hidden extra sheet"),
        Hostile("隐藏的表1.xlsx", _write(lambda: _hidden_sheets(True)), a,
                warnings=frozenset({"duplicate_sheet"}), fault="very hidden second 表1"),
        Hostile("zip-slip.xlsx", _write(_zip_slip), a,
                fault="zip members named ../../tmp/... and /etc/..."),
        Hostile("GB18030.csv", _write(lambda: _csv(long_csv_lines(), "gb18030")), a,
                fault="CSV in GB18030 (the contract reads it)"),
        # System files and links: not county reports.
        Hostile(".DS_Store", _write(b"\0\0\0\1Bud1" + b"\0" * 64), SKIP, fault="macOS .DS_Store"),
        Hostile("Thumbs.db", _write(_cfb(("Catalog",))), SKIP, fault="Windows Thumbs.db"),
        Hostile("desktop.ini", _write(b"[.ShellClassInfo]\r\n"), SKIP, fault="desktop.ini"),
        Hostile("~$宕昌县3月.xlsx", _write(b"\x06clerk" + b"\0" * 100), SKIP,
                fault="Excel lock file ~$"),
        Hostile(".~lock.宕昌县3月.xlsx#", _write(b"clerk,host\n"), SKIP,
                fault="LibreOffice lock file"),
        Hostile(".隐藏.xlsx", _write(_standard_bytes), SKIP, fault="dotfile"),
        Hostile("外部链接.xlsx", lambda path: path.symlink_to(secret), IGNORE,
                fault="symlink pointing outside the drop folder"),
    ]
    for index, text in enumerate(INJECTIONS):
        # openpyxl stores text starting with = as a formula (never calculated); the rest as text.
        code = "formula_without_value" if text.startswith("=") else "not_a_number"
        files.append(Hostile(f"公式注入{index}.xlsx", _write(lambda t=text: _sheets_with_t1(UNLIFTED, t)),
                             q, frozenset({code}), fault=f"formula injection {text!r} in a count"))
    files.append(Hostile("公式注入.csv", _write(lambda: _csv_with_value(csv_row, INJECTIONS[0])), q,
                         frozenset({"not_a_number"}), fault="formula injection in a CSV value"))
    return files


def write_corpus(folder: Path, secret: Path, when: float) -> list[Hostile]:
    """Write every file into ``folder`` with modification time ``when``; return the corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text(f"{SECRET}\n{FILER}\n", encoding="utf-8")
    files = corpus(secret)
    for hostile in files:
        path = folder / hostile.name
        hostile.make(path)
        if not path.is_symlink():
            os.utime(path, (when, when))
    return files
