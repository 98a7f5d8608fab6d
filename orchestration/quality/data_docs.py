"""Great Expectations' Data Docs made fit for a closed network.

GE writes its pages with scripts and styles from public CDNs and a logo image whose URL
carries the data context's id (a beacon). On the office's network those requests fail at
best; at worst they tell a third party when an auditor opened a page. After every
checkpoint this module removes every reference to another host from the new pages (their
tables are rendered in the HTML and read fine without the scripts) and writes a plain
index, since GE's own index draws its list with the scripts it can no longer load.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

# A tag that would load something from another host when the page opens.
_REMOTE_TAGS = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=[\"']https?://[^>]*>"
    r"|<img\b[^>]*\bsrc=[\"']https?://[^>]*>",
    re.IGNORECASE,
)
_MARKER = ".offline"


def make_offline(site: Path) -> int:
    """Strip remote references from pages written since the last call; rewrite the index.

    Returns how many pages were rewritten.
    """
    if not site.exists():
        return 0
    marker = site / _MARKER
    since = marker.stat().st_mtime_ns if marker.exists() else 0
    changed = 0
    for page in site.rglob("*.html"):
        if page.name != "index.html" and page.stat().st_mtime_ns >= since:
            changed += _strip(page)
    write_index(site)
    marker.touch()
    return changed


def _strip(page: Path) -> int:
    text = page.read_text(encoding="utf-8")
    cleaned = _REMOTE_TAGS.sub("", text)
    if cleaned == text:
        return 0
    _write(page, cleaned)
    return 1


def write_index(site: Path) -> Path:
    """index.html: the suites, then every validation run, newest first, as plain links."""
    suites = sorted((site / "expectations").rglob("*.html"))
    runs = sorted(
        (site / "validations").rglob("*.html"), key=lambda page: page.parts[-3], reverse=True
    )
    body = [
        "<h1>数据质量文档 Data Docs</h1>",
        "<p>Great Expectations 规则集与每晚的校验结果 The suites and each night's results."
        " 规则说明见 docs/QUALITY.md.</p>",
        "<h2>规则集 Suites</h2>",
        _links(site, suites, lambda page: page.stem),
        "<h2>校验结果 Validation runs (newest first)</h2>",
        _links(site, runs, lambda page: f"{page.parts[-3]} · {page.parts[-5]}"),
    ]
    index = site / "index.html"
    _write(index, _page("\n".join(body)))
    return index


def _links(site: Path, pages: list[Path], label) -> str:
    if not pages:
        return "<p>无 none</p>"
    items = "\n".join(
        f'<li><a href="{html.escape(page.relative_to(site).as_posix())}">'
        f"{html.escape(label(page))}</a></li>"
        for page in pages
    )
    return f"<ul>\n{items}\n</ul>"


def _page(body: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>Data Docs</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
        "li{margin:.2em 0}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
