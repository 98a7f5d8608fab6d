"""`dukan trace` and `dukan feedback`: the auditor's and the clerk's side of the warehouse.

    dukan trace counties.county_monthly_balance unlifted_persons --period 2020-06 --county 621223
    dukan trace dispatch.dispatch_monthly_overview unlifted_persons --period 2020-06
    dukan trace ... --as-of "2020-06-20 12:00"      (the cells in force at that moment)
    dukan feedback --month 2020-06 [--county 621223] [--out DIR]

Both read the published warehouse through the read-only audit connection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.lib.paths import ProjectPaths

SOURCE_COLUMNS = (
    "county_name", "period", "indicator", "row_key", "value", "sheet", "cell",
    "original_name", "version", "received_at", "file_sha256",
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    trace = commands.add_parser(
        "trace", help="where a tier figure came from: files, sheets, cells, hashes"
    )
    trace.add_argument("model", help="tier mart, e.g. counties.county_monthly_balance")
    trace.add_argument("column", help="its column, e.g. unlifted_persons")
    trace.add_argument("--period", required=True, help="reporting month YYYY-MM")
    trace.add_argument("--county", help="6-digit county code (county figures)")
    trace.add_argument("--prefecture", help="6-digit prefecture code (prefecture figures)")
    trace.add_argument("--target", help="target id (department figures)")
    trace.add_argument("--as-of", dest="as_of",
                       help="the cells in force at this time, e.g. '2020-06-20 12:00' (Beijing)")
    trace.add_argument("--csv", action="store_true", help="print the sources as CSV")
    trace.set_defaults(handler=_trace)

    feedback = commands.add_parser(
        "feedback", help="write the counties' feedback workbooks (反馈表) of a month"
    )
    feedback.add_argument("--month", required=True, help="reporting period YYYY-MM")
    feedback.add_argument("--county", help="only this county: 6-digit code or name")
    feedback.add_argument("--out", type=Path, help="folder (default: <warehouse>/feedback/)")
    feedback.set_defaults(handler=_feedback)


def _trace(args: argparse.Namespace) -> int:
    from orchestration.audit.trace import Figure, TraceError, source_total, trace
    from orchestration.lib.warehouse import WarehouseNotBuilt, connect_readonly

    figure = Figure(
        model=args.model, column=args.column, period=args.period, county_code=args.county,
        prefecture_code=args.prefecture, target_id=args.target, as_of=args.as_of,
    )
    try:
        with connect_readonly(ProjectPaths.from_env()) as connection:
            result = trace(connection, figure)
    except (TraceError, WarehouseNotBuilt) as error:
        print(f"dukan trace: {error}", file=sys.stderr)
        return 2

    if args.csv:
        result.sources.to_csv(sys.stdout, index=False)
        return 0
    print(f"figure {figure.model}.{figure.column} {figure.keys()}")
    print(_table(result.mart_rows))
    print("\nread from (audit.figure_lineage):")
    print(_table(result.lineage[["form_table", "indicator", "period_offset", "scope"]]))
    print(f"\nsource cells ({len(result.sources)}):")
    shown = [column for column in SOURCE_COLUMNS if column in result.sources.columns]
    print(_table(result.sources[shown]) if len(result.sources) else "(none)")
    total = source_total(result)
    if total is not None:
        print(f"\nsum of the source cells: {total}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _table(frame) -> str:
    if frame.empty:
        return "(no rows)"
    return frame.astype(object).where(frame.notna(), "").to_markdown(
        index=False, disable_numparse=True
    )


def _feedback(args: argparse.Namespace) -> int:
    from orchestration.lib.warehouse import WarehouseNotBuilt
    from orchestration.lib.periods import require_reporting_month
    from orchestration.reports.feedback import months_with_files, write_month_feedback
    from orchestration.submissions.county_forms import TemplateError, find_county

    paths = ProjectPaths.from_env()
    try:
        known = months_with_files(paths)
        if require_reporting_month(args.month) not in known:
            raise ValueError(
                f"no county file of {args.month} is in the warehouse (months with files: "
                f"{', '.join(known) or 'none'}): there is nothing to give feedback on"
            )
        # A clerk may give the county by name (宕昌县) as well as by code.
        county = find_county(paths.reference_dir, args.county)[0] if args.county else None
        run = write_month_feedback(paths, args.month, args.out, county)
    except (WarehouseNotBuilt, TemplateError, ValueError) as error:
        print(f"dukan feedback: {error}", file=sys.stderr)
        return 2
    print(f"反馈表 {args.month} in {run.folder}: {len(run.written)} written, "
          f"{run.unchanged} unchanged (already up to date)")
    for path in run.written:
        print(f"  {path}")
    return 0
