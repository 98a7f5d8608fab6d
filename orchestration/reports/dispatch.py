"""``write_dispatch_report``: the month's HTML page and workbook, side by side in one folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.paths import ProjectPaths

from .charts import counties_chart, progress_chart
from .data import read_dispatch_data
from .html_page import render_page
from .workbook import write_workbook


@dataclass(frozen=True)
class ReportFiles:
    """The files of one month's report."""

    month: str
    html: Path
    xlsx: Path

    def __iter__(self) -> Iterator[Path]:
        return iter((self.html, self.xlsx))


def report_stem(month: str) -> str:
    return f"月调度报告_{month}"


def write_dispatch_report(paths: ProjectPaths, month: str, out_dir: Path) -> ReportFiles:
    """Write the report of ``month`` (YYYY-MM) into ``out_dir``.

    Raises :class:`~orchestration.reports.data.NoDataForMonth` when the published warehouse
    has no dispatch figures for the month, before any file is written.
    """
    data = read_dispatch_data(paths, month)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{report_stem(month)}.html"
    page = render_page(data, progress_chart(data), counties_chart(data.province))
    _write_atomically(html_path, page.encode("utf-8"))
    xlsx_path = write_workbook(data, out_dir / f"{report_stem(month)}.xlsx")
    return ReportFiles(month=month, html=html_path, xlsx=xlsx_path)


def _write_atomically(path: Path, content: bytes) -> None:
    """Officials may have yesterday's page open from a shared folder; never show half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    partial.replace(path)
