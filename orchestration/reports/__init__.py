"""月调度报告 The monthly dispatch report: one HTML page and one workbook per month.

    write_dispatch_report(paths, "2020-06", out_dir) -> ReportFiles

Both are read from the published warehouse only (read-only, no file access), so a report
never shows a figure that the nightly checks did not pass.
"""

from __future__ import annotations

from typing import Any

from .data import NoDataForMonth

__all__ = ["NoDataForMonth", "ReportFiles", "write_dispatch_report"]


def __getattr__(name: str) -> Any:
    # The report's own modules (matplotlib, openpyxl, jinja2) are loaded when it is written,
    # not with the package: the nightly load imports the package at start-up.
    if name in ("ReportFiles", "write_dispatch_report"):
        from . import dispatch

        return getattr(dispatch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
