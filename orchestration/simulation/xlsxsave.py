"""Saving a workbook so that the same content gives the same bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries; both are
replaced by fixed values here. The same pass writes the cached result of formulas into the
sheet XML (``<v>…</v>``), which openpyxl cannot do because it never calculates: a clerk's
Excel stores the result of every formula it saved.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

ZIP_TIME = (2020, 1, 1, 0, 0, 0)

# sheet title → cell reference → the cached value as it goes between <v> and </v>
CachedValues = dict[str, dict[str, str]]


def save_workbook(
    workbook: Workbook, path: Path, *, stamp: datetime, cached: CachedValues | None = None
) -> bytes:
    """Save deterministically to ``path``; return the bytes written."""
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)

    members = {ws.title: f"xl/worksheets/sheet{i}.xml"
               for i, ws in enumerate(workbook.worksheets, start=1)}
    edits = {members[title]: refs for title, refs in (cached or {}).items() if refs}
    data = _rezip(buffer.getvalue(), stamp, edits)
    path.write_bytes(data)
    return data


def _rezip(data: bytes, stamp: datetime, edits: dict[str, dict[str, str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fix_core(content, stamp)
            if info.filename in edits:
                content = _add_cached(content.decode("utf-8"), edits[info.filename]).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _fix_core(content: bytes, stamp: datetime) -> bytes:
    text = content.decode("utf-8")
    value = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag in ("created", "modified"):
        text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{value}\2", text)
    return text.encode("utf-8")


def _add_cached(xml: str, refs: dict[str, str]) -> str:
    """Turn openpyxl's ``<c r="B5"><f>…</f><v /></c>`` into one with a computed result."""
    for ref, value in refs.items():
        pattern = re.compile(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v></v>)')
        xml, count = pattern.subn(rf"\g<1><v>{value}</v>", xml)
        if count != 1:
            raise ValueError(f"no formula cell {ref} to give a cached value")
    return xml
