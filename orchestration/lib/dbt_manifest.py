"""Keep dbt's manifest in step with the dbt project before Dagster reads it.

Dagster builds its dbt assets and checks from `dbt_project/target/manifest.json`. After a
model, test or macro is added or changed (an upgrade of the project, say) an old manifest
would make the load fail on a node it does not know; so a load parses first when any file
of the project is newer than the manifest, or when the manifest is missing or was cut short
by a load stopped while dbt wrote it. Parsing takes a few seconds and happens only then.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.paths import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def manifest_is_stale() -> bool:
    if not MANIFEST.exists() or not _written_to_the_end(MANIFEST):
        return True
    built = MANIFEST.stat().st_mtime_ns
    return any(path.stat().st_mtime_ns > built for path in _project_files())


def _written_to_the_end(path: Path) -> bool:
    """dbt writes its manifest in place: a load stopped while dbt wrote it leaves a file cut
    short, which Dagster cannot read, and the next load would fail before it started. A
    whole manifest is a JSON object, so it ends with a closing brace."""
    with path.open("rb") as manifest:
        manifest.seek(0, os.SEEK_END)
        manifest.seek(max(manifest.tell() - 64, 0))
        return manifest.read().rstrip().endswith(b"}")


def _project_files() -> list[Path]:
    files: list[Path] = []
    for name in _SOURCES:
        path = DBT_PROJECT_DIR / name
        files.extend([path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()])
    return files


def parse_project() -> int:
    """`dbt parse` (it opens no database). Its saved parse is what each run's dbt starts
    from: runs pass dbt the same profile and no `--vars`, so they parse only what changed."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "parse", "--quiet"]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, check=False).returncode
