"""dbt's command line, run from the folder of this run's build copy of the warehouse.

    DUKAN_BUILD_DB=warehouse/build/<run id>/dukan.duckdb python -m orchestration.tiers.dbt_cli build

The profile names the warehouse file relatively (`path: dukan.duckdb`), so dbt opens the
file in its working directory, and this module makes that the folder of DUKAN_BUILD_DB
before dbt starts. Two things follow:

- the profile is the same for every run, so dbt keeps its parse of the project from one
  run to the next (partial parsing) instead of parsing every file again: dbt re-parses in
  full whenever the profile's connection settings change, and an absolute path per run
  changed them every night (about 2 s a run);
- a dbt that outlives a killed run resolves the relative path against its own working
  directory, its own run's folder, whatever folders are created or renamed afterwards; so
  it can never write the next run's build, as before with the absolute path.

When the nightly load has started a dbt process ahead (`orchestration.tiers.dbt_warm`),
the command is handed to it, with this process's streams, and this process waits for its
exit status; otherwise dbt runs here.
"""

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from orchestration.lib.paths import DBT_PROJECT_DIR, ProjectPaths
from orchestration.tiers.dbt_warm import run_prepared

# The file name the profile gives (dbt_project/profiles.yml).
PROFILE_FILE = "dukan.duckdb"


def build_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder dbt must run in, from DUKAN_BUILD_DB; refuses anything else."""
    value = environ.get("DUKAN_BUILD_DB")
    if not value:
        raise SystemExit("dbt_cli: DUKAN_BUILD_DB is not set (the nightly load sets it to the "
                         "run's build copy, warehouse/build/<run id>/dukan.duckdb)")
    build_db = Path(value).absolute()
    if build_db.name != PROFILE_FILE:
        raise SystemExit(f"dbt_cli: DUKAN_BUILD_DB must name a file called {PROFILE_FILE}, "
                         f"as the profile does: {build_db}")
    if not build_db.parent.is_dir():
        raise SystemExit(f"dbt_cli: the build folder does not exist: {build_db.parent}")
    if build_db.resolve() == ProjectPaths.from_env().published_db.resolve():
        raise SystemExit(f"dbt_cli: {build_db} is the published warehouse auditors read; dbt "
                         "builds a copy of it (the nightly load makes one per run)")
    return build_db.parent


def main() -> None:
    # dagster-dbt names the project and profile folders in these variables; from a shell
    # they default to this project's, since the working directory is no longer the project.
    os.environ.setdefault("DBT_PROJECT_DIR", str(DBT_PROJECT_DIR))
    os.environ.setdefault("DBT_PROFILES_DIR", str(DBT_PROJECT_DIR))
    os.chdir(build_folder())
    argv = ["dbt", *sys.argv[1:]]
    # A dbt process the nightly load started ahead, with dbt already imported, if any.
    code = run_prepared(argv, os.environ, Path.cwd())
    if code is not None:
        sys.exit(code)
    from dbt.cli.main import cli  # after the chdir: nothing of dbt has run yet

    sys.argv = argv
    sys.exit(cli())


if __name__ == "__main__":
    main()
