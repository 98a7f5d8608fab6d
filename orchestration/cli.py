"""`dukan`: the commands the data team types.

    dukan prepare            parse the dbt project (run once by `make setup`)
    dukan nightly [--force]  run the whole nightly load and print what it built and found
                             (stops at once when no input changed since the last publish)
    dukan audit "SQL"        read-only SQL over the published warehouse
    dukan simulate ...       write the simulated 2020 submissions into raw/submissions/
    dukan template ...       the blank monthly form of one county, villages filled in
    dukan report --month M   the monthly dispatch report (HTML and xlsx) for officials
    dukan ui                 the Dagster UI on 127.0.0.1, for lineage and run history
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from orchestration.audit.cli import add_commands as add_audit_commands
from orchestration.lib.paths import PROJECT_ROOT, ProjectPaths
from orchestration.lib.stopping import Terminated, take_sigterm

# Closed network: no tool phones home, whatever its own defaults.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # Whoever read the output stopped reading (`dukan audit ... | head`): no error of
        # the command's, so no traceback. What is still buffered goes nowhere, or the
        # flush at exit would raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Terminated:
        # SIGTERM (orchestration.lib.stopping): the same clean-up as Ctrl-C on the way here.
        print("dukan: stopped (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        # Ctrl-C: what was started is stopped on the way out (a load publishes nothing
        # half-made); a traceback from wherever Python was would only alarm.
        print("dukan: interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["simulate"]:
        # The simulator and the report have their own options; hand them over untouched.
        from orchestration.simulation.cli import main as simulate_main

        return simulate_main(arguments[1:])
    if arguments[:1] == ["report"]:
        from orchestration.reports.cli import main as report_main

        return report_main(arguments[1:])
    parser = _parser()
    args = parser.parse_args(arguments)
    code = int(args.handler(args) or 0)
    if argv is None and args.handler is _nightly and "dagster" in sys.modules:
        leave_now(code)  # the command line, after a load; not a caller in this process
    return code


def leave_now(code: int) -> NoReturn:
    """End the process without the interpreter's teardown.

    After a load, Python's teardown (clearing the modules and freeing the objects of
    Dagster, dbt's adapter, Great Expectations and DuckDB) takes about 2 s and does nothing
    the load needs: by then every file, connection and worker pool is closed (no DuckDB or
    SQLite write-ahead log is left behind). The exit handlers still run (logging's flush,
    multiprocessing's clean-up) and the output is flushed first.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dukan", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="command")

    prepare = commands.add_parser("prepare", help="parse the dbt project into its manifest")
    prepare.set_defaults(handler=_prepare)

    nightly = commands.add_parser("nightly", help="run the nightly load end to end")
    nightly.add_argument("--force", action="store_true",
                         help="run even when no input changed since the last publish")
    nightly.set_defaults(handler=_nightly)

    audit = commands.add_parser("audit", help="read-only SQL over the published warehouse")
    audit.add_argument("sql", nargs="?", help="the query; reads standard input when absent")
    audit.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    audit.set_defaults(handler=_audit)

    # Listed for --help; main() hands `simulate` and `report` and their options on.
    commands.add_parser("simulate", help="write the simulated 2020 submissions (-h for options)")
    commands.add_parser("report", help="the monthly dispatch report, HTML and xlsx (--month)")

    template = commands.add_parser("template", help="write the blank monthly form of a county")
    template.add_argument("--county", required=True, help="6-digit code or name, e.g. 621223")
    template.add_argument("--month", required=True, help="reporting period YYYY-MM")
    template.add_argument("--out", type=Path, help="file to write (default: <code>_<month>.xlsx)")
    template.set_defaults(handler=_template)

    add_audit_commands(commands)

    ui = commands.add_parser("ui", help="start the Dagster UI on loopback")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    return parser


def dagster_home(paths: ProjectPaths) -> Path:
    """DAGSTER_HOME beside the warehouse it records, seeded with the project's dagster.yaml."""
    # Absolute: Dagster refuses a relative DAGSTER_HOME (`make` passes one on from a
    # relative DUKAN_WAREHOUSE_DIR).
    home = Path(os.environ.get("DAGSTER_HOME") or paths.warehouse_dir / "dagster").absolute()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    template = PROJECT_ROOT / "warehouse" / "dagster" / "dagster.yaml"
    if not config.exists() and template.exists():
        shutil.copyfile(template, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _prepare(_: argparse.Namespace) -> int:
    from orchestration.lib.dbt_manifest import parse_project

    paths = ProjectPaths.from_env()
    dagster_home(paths)
    return parse_project()


def _nightly(args: argparse.Namespace) -> int:
    from orchestration.nightly import run_nightly

    take_sigterm()
    paths = ProjectPaths.from_env()
    dagster_home(paths)
    return run_nightly(paths, force=args.force)


def _audit(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.lib.warehouse import WarehouseNotBuilt, connect_readonly

    sql = args.sql if args.sql is not None else sys.stdin.read()
    try:
        connection = connect_readonly(ProjectPaths.from_env())
    except WarehouseNotBuilt as error:
        print(error, file=sys.stderr)
        return 2

    with connection:
        try:
            relation = connection.sql(sql)
            if relation is None:
                return 0
            # Through Arrow, DECIMAL figures stay exact (0.80 prints as 0.80, not 0.8).
            frame = relation.to_arrow_table().to_pandas(integer_object_nulls=True)
        except duckdb.Error as error:  # binding or running: either way the user's query
            print(f"query failed: {error}", file=sys.stderr)
            return 1
        frame = frame.astype(object).where(frame.notna(), "")
        if args.csv:
            from orchestration.lib.spreadsheet import neutralise

            # The CSV is made to be opened in a spreadsheet: text from county files must not
            # run there as a formula. Column names are text too.
            frame = frame.map(neutralise).rename(columns=neutralise)
            # CRLF lines, as RFC 4180 and Excel have them: a carriage return inside a field
            # is then quoted instead of splitting the row.
            frame.to_csv(sys.stdout, index=False, lineterminator="\r\n")
        else:
            print(frame.to_markdown(index=False, disable_numparse=True))
    return 0


def _template(args: argparse.Namespace) -> int:
    from orchestration.submissions.county_forms import TemplateError, write_county_template

    out = args.out or Path(f"{args.county}_{args.month}.xlsx")
    if out.exists():
        # A mistyped --out must not replace a county's file, or the warehouse itself.
        print(f"{out} exists: choose another --out (nothing was written)", file=sys.stderr)
        return 2
    try:
        written = write_county_template(
            ProjectPaths.from_env().reference_dir, args.county, args.month, out
        )
    except TemplateError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {written}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    dagster_home(ProjectPaths.from_env())
    dagster = Path(sys.executable).with_name("dagster")
    # Loopback only: the warehouse holds government data and the UI has no login.
    command = [
        str(dagster), "dev", "-m", "orchestration.definitions",
        "--host", "127.0.0.1", "--port", str(args.port),
    ]
    # Replaced by `dagster dev` rather than waiting on it, so a signal sent to this pid
    # (a service manager's stop) reaches dagster, which stops its webserver and daemon.
    # dagster gives SIGTERM the handler SIGINT has; started in the background by a script
    # (`nohup dukan ui &`), SIGINT is ignored, and the UI could then only be killed, which
    # orphans its webserver and daemon. A server is stopped by signals, so SIGINT gets its
    # default back.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(PROJECT_ROOT)
    os.execv(command[0], command)


if __name__ == "__main__":
    raise SystemExit(main())
