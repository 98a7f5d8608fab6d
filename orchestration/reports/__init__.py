"""月调度报告 The monthly dispatch report: one HTML page and one workbook per month.

    write_dispatch_report(paths, "2020-06", out_dir) -> ReportFiles

Both are read from the published warehouse only (read-only, no file access), so a report
never shows a figure that the nightly checks did not pass.
"""

from __future__ import annotations

from .data import NoDataForMonth
from .dispatch import ReportFiles, write_dispatch_report

__all__ = ["NoDataForMonth", "ReportFiles", "write_dispatch_report"]
