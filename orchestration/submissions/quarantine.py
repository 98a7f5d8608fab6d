"""Reports a county clerk can read for every file that could not be loaded.

A quarantined file stays in the archive as delivered; none of its values reach the tiers.
The report names the file, then every problem with its sheet and cell, what was expected
and what was found, in Chinese first and English after. Reports are derived, like the
rest of `warehouse/`, and rewritten for the months a load covers.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow as pa

from .model import shown_name

_UNSAFE = re.compile(r"[^\w.\-()（）\u4e00-\u9fff]+")
_SEVERITY_ZH = {"error": "错误", "warning": "提醒", "info": "说明"}


def write_reports(folder: Path, rejected: pa.Table, findings: pa.Table) -> list[Path]:
    """Write one report per rejected file; return their paths."""
    by_file: dict[str, list[dict]] = {}
    for finding in findings.to_pylist():
        by_file.setdefault(finding["file_sha256"], []).append(finding)

    months = {row["drop_month"] for row in rejected.to_pylist()}
    for month in months:
        shutil.rmtree(folder / month, ignore_errors=True)

    written = []
    for row in rejected.to_pylist():
        name = f"{_safe(row['file_name'])}.{row['file_sha256'][:8]}.问题说明.txt"
        path = folder / row["drop_month"] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # UTF-8 with BOM, so Notepad on a county office's Windows shows the Chinese.
        path.write_text(_report(row, by_file.get(row["file_sha256"], [])), encoding="utf-8-sig")
        written.append(path)
    return written


# File systems limit a name to 255 bytes, and a Chinese character takes 3 in UTF-8: the
# delivered name is cut to this many bytes, leaving room for the hash and the suffix.
_NAME_BYTES = 150


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", Path(name).name)
    cut = cleaned.encode("utf-8")[:_NAME_BYTES].decode("utf-8", errors="ignore")
    return cut or "unnamed"


# The title and the filer's line, by the kind of file the intake took it for.
_TITLES = {
    "county": ("县级月报退回说明 / Monthly report returned", "县 County"),
    "prefecture_summary": (
        "市州汇总表退回说明 / Prefecture summary returned", "市州 Prefecture"
    ),
}


def _report(file_row: dict, findings: list[dict]) -> str:
    title, filer_label = _TITLES.get(file_row.get("file_kind") or "county", _TITLES["county"])
    filer = file_row.get("county_name") or file_row.get("county_code") or "（未能识别）"
    if file_row.get("file_kind") == "prefecture_summary":
        filer = file_row.get("county_name") or file_row.get("prefecture_code") or "（未能识别）"
    lines = [
        title,
        "",
        f"文件 File: {shown_name(file_row['file_name'])}",
        f"{filer_label}: {filer}",
        f"报告期 Period: {file_row.get('period') or '（未能识别）'}",
        f"文件指纹 SHA-256: {file_row['file_sha256']}",
        "",
        "本文件未能入库，其中的数字不会进入汇总。请按以下说明修改后重新报送。",
        "This file was not loaded; none of its figures reach the summaries. Please correct "
        "the problems below and send it again.",
        "",
    ]
    ordered = sorted(findings, key=lambda f: ("error", "warning", "info").index(f["severity"]))
    for number, finding in enumerate(ordered, start=1):
        lines.extend(_finding_lines(number, finding))
    return "\n".join(lines) + "\n"


def _finding_lines(number: int, finding: dict) -> list[str]:
    place = "!".join(part for part in (finding["sheet"], finding["cell"]) if part)
    if finding.get("line"):
        place = f"{place} (第{finding['line']}行 line {finding['line']})".strip()
    severity = _SEVERITY_ZH.get(finding["severity"], finding["severity"])
    lines = [f"{number}. [{severity} {finding['severity']}] {place or '整个文件 whole file'}"]
    lines.append(f"   {finding['message_zh']}")
    lines.append(f"   {finding['message_en']}")
    if finding["expected"] or finding["found"]:
        lines.append(f"   应为 expected: {finding['expected']}    实际 found: {finding['found']}")
    return lines
