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
import time
from collections.abc import Iterator
from pathlib import Path

# A tag that would load something from another host when the page opens.
_REMOTE_TAGS = re.compile(
    r"<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=[\"']https?://[^>]*>"
    r"|<img\b[^>]*\bsrc=[\"']https?://[^>]*>",
    re.IGNORECASE,
)
_MARKER = ".offline"
# How much older than the last call a run folder's name may be and still be looked at: a
# checkpoint names its run before it writes the page, and a process killed in between
# leaves a page the next call must still clean.
_SLACK_S = 3600


def make_offline(site: Path) -> int:
    """Strip remote references from pages written since the last call; rewrite the index.

    A validation page is looked at only if its run folder, named by the run's UTC time, is
    less than an hour older than the last call: after a few years the site holds thousands
    of pages, and a stat of each on every checkpoint grew with them. The rest of the site
    (the suites' pages, GE's own) is small and is checked by modification time throughout.
    Returns how many pages were rewritten.
    """
    if not site.exists():
        return 0
    marker = site / _MARKER
    since = marker.stat().st_mtime_ns if marker.exists() else 0
    runs = _validation_pages(site)
    cutoff = time.strftime("%Y%m%dT%H%M%S", time.gmtime(since / 1e9 - _SLACK_S))
    recent = [page for page in runs if _run_folder_after(page.parts[-2], cutoff)]
    changed = sum(
        _strip(page)
        for page in [*recent, *_pages_outside(site, "validations")]
        if page.name != "index.html" and page.stat().st_mtime_ns >= since
    )
    _write_index(site, runs)
    marker.touch()
    return changed


def _validation_pages(site: Path) -> list[Path]:
    """validations/<suite>/<run name>/<run time>/<batch>.html, newest run first."""
    pages = (site / "validations").glob("*/*/*/*.html")
    return sorted(pages, key=lambda page: (page.parts[-2], page.parts[-4]), reverse=True)


def _run_folder_after(folder: str, cutoff: str) -> bool:
    """Whether a run folder may hold a page written since the cutoff; a folder not named
    by GE's run time is always looked at."""
    return not folder[:8].isdigit() or folder >= cutoff


def _pages_outside(site: Path, skipped: str) -> Iterator[Path]:
    for child in site.iterdir():
        if child.name == skipped:
            continue
        if child.is_dir():
            yield from child.rglob("*.html")
        elif child.suffix == ".html":
            yield child


def _strip(page: Path) -> int:
    text = page.read_text(encoding="utf-8")
    cleaned = _REMOTE_TAGS.sub("", text)
    if cleaned == text:
        return 0
    _write(page, cleaned)
    return 1


def write_index(site: Path) -> Path:
    """index.html: the suites, then every validation run, newest first, as plain links."""
    return _write_index(site, _validation_pages(site))


def _write_index(site: Path, runs: list[Path]) -> Path:
    suites = sorted((site / "expectations").rglob("*.html"))
    body = [
        "<h1>数据质量文档 Data Docs</h1>",
        "<p>Great Expectations 规则集与每晚的校验结果 The suites and each night's results."
        " 规则说明见 docs/QUALITY.md.</p>",
        "<h2>规则集 Suites</h2>",
        _links(site, suites, lambda page: page.stem),
        "<h2>校验结果 Validation runs (newest first)</h2>",
        _links(site, runs, lambda page: f"{_run_time(page.parts[-2])} · {page.parts[-4]}"),
    ]
    index = site / "index.html"
    _write(index, _page("\n".join(body)))
    return index


def _run_time(folder: str) -> str:
    """20201205T060523.689361Z -> 2020-12-05 06:05:23 UTC; another name as it is."""
    if len(folder) < 15 or folder[8] != "T":
        return folder
    return (f"{folder[0:4]}-{folder[4:6]}-{folder[6:8]} "
            f"{folder[9:11]}:{folder[11:13]}:{folder[13:15]} UTC")


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
