"""A nightly run with nothing new stops before parsing or dbt; anything new makes it run.

The decision is taken on a record of the inputs written beside a (stand-in) published
warehouse, so these tests need no real load; `test_intake_load` covers the record a real
publish writes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from orchestration import nightly
from orchestration.lib import fingerprint
from orchestration.lib.paths import ProjectPaths
from tests.conftest import PROJECT_ROOT, Scratch


@pytest.fixture
def published(scratch: Scratch, monkeypatch: pytest.MonkeyPatch) -> ProjectPaths:
    """A scratch whose stand-in warehouse was 'published' from the inputs as they are."""
    monkeypatch.setenv("DUKAN_PII_KEY_FILE", str(scratch.root / "pii.key"))
    (scratch.root / "pii.key").write_bytes(b"k" * 32)
    month = scratch.raw / "submissions" / "2020-03"
    month.mkdir(parents=True)
    (month / "宕昌县.csv").write_text("county_code,period\n", encoding="utf-8")
    paths = ProjectPaths(raw_dir=scratch.raw, warehouse_dir=scratch.warehouse)
    paths.published_db.write_bytes(b"stand-in warehouse")
    fingerprint.record_publish(paths, fingerprint.current_inputs(paths), "run-1")
    return paths


@pytest.fixture
def job_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Stands in for the Dagster run; records what made run_nightly start one."""
    runs: list[tuple[str, ...]] = []

    def run_job(paths, decision, log_path, force):
        runs.append(("forced",) if force else decision.changed)
        return 0

    monkeypatch.setattr(nightly, "_run_job", run_job)
    return runs


def test_nothing_changed_runs_nothing(published: ProjectPaths, job_runs, capsys) -> None:
    assert nightly.run_nightly(published) == 0

    assert job_runs == []
    out = capsys.readouterr().out
    assert "Nothing changed" in out and str(published.published_db) in out
    log = next((published.warehouse_dir / "logs").glob("nightly-*.log")).read_text()
    assert "skipped: nothing changed" in log and '"submissions"' in log


def test_a_new_file_runs_the_load(published: ProjectPaths, job_runs) -> None:
    folder = published.raw_dir / "submissions" / "2020-04"
    folder.mkdir()
    (folder / "岷县.xlsx").write_bytes(b"new")

    nightly.run_nightly(published)

    assert job_runs == [("submissions",)]


def test_a_touched_file_runs_the_load(published: ProjectPaths, job_runs) -> None:
    path = published.raw_dir / "submissions" / "2020-03" / "宕昌县.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))

    nightly.run_nightly(published)

    assert job_runs == [("submissions",)]


def test_changed_reference_data_runs_the_load(published: ProjectPaths, job_runs) -> None:
    counties = published.reference_dir / "counties.csv"
    counties.write_text(counties.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    nightly.run_nightly(published)

    assert job_runs == [("reference",)]


def test_a_replaced_or_missing_warehouse_runs_the_load(published: ProjectPaths, job_runs) -> None:
    replacement = published.warehouse_dir / "other.duckdb"
    replacement.write_bytes(b"another warehouse")
    os.replace(replacement, published.published_db)
    nightly.run_nightly(published)
    published.published_db.unlink()
    nightly.run_nightly(published)

    assert job_runs == [("warehouse",), ("warehouse",)]


def test_force_runs_even_when_nothing_changed(published: ProjectPaths, job_runs) -> None:
    nightly.run_nightly(published, force=True)

    assert job_runs == [("forced",)]


def test_a_warehouse_published_after_the_record_is_loaded_again(published: ProjectPaths) -> None:
    """A run killed after its publish (before the command wrote a new record), or a run
    started from the UI, leaves a published file the record does not describe."""
    replacement = published.published_db.with_name("other.duckdb")
    replacement.write_bytes(published.published_db.read_bytes() + b"\0")
    os.replace(replacement, published.published_db)

    decision = fingerprint.compare(published)

    assert not decision.unchanged and "warehouse" in decision.changed


def test_the_command_decides_without_loading_dagster_or_duckdb(published: ProjectPaths) -> None:
    env = {**os.environ, "DUKAN_RAW_DIR": str(published.raw_dir),
           "DUKAN_WAREHOUSE_DIR": str(published.warehouse_dir),
           "DAGSTER_HOME": str(published.warehouse_dir / "dagster")}
    code = (
        "import sys\n"
        "from orchestration.cli import main\n"
        "assert main(['nightly']) == 0\n"
        "heavy = [m for m in ('dagster', 'dbt', 'duckdb', 'pandas') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nothing changed" in result.stdout


# --- which months a run loads -------------------------------------------------------------


def _months(paths: ProjectPaths) -> tuple[str, str]:
    from orchestration.submissions.months import nightly_months

    decision = fingerprint.compare(paths)
    start, end, _ = nightly_months(paths.raw_dir, decision.changed, decision.changed_months)
    return start, end


def _deliver(paths: ProjectPaths, month: str, name: str) -> None:
    folder = paths.raw_dir / "submissions" / month
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"new")


def test_new_files_in_one_month_load_only_that_month(published: ProjectPaths) -> None:
    for month in ("2020-01", "2020-02", "2020-04"):
        _deliver(published, month, "earlier.csv")
    fingerprint.record_publish(published, fingerprint.current_inputs(published), "run-2")
    _deliver(published, "2020-02", "岷县.xlsx")

    assert fingerprint.compare(published).changed_months == ("2020-02",)
    assert _months(published) == ("2020-02", "2020-02")

    _deliver(published, "2020-05", "岷县.xlsx")  # a new month folder as well

    assert _months(published) == ("2020-02", "2020-05")


def test_a_touched_file_loads_its_month(published: ProjectPaths) -> None:
    _deliver(published, "2020-04", "earlier.csv")
    fingerprint.record_publish(published, fingerprint.current_inputs(published), "run-2")
    path = published.raw_dir / "submissions" / "2020-03" / "宕昌县.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))

    assert _months(published) == ("2020-03", "2020-03")


def test_anything_but_new_files_loads_every_month(published: ProjectPaths) -> None:
    _deliver(published, "2020-04", "earlier.csv")
    fingerprint.record_publish(published, fingerprint.current_inputs(published), "run-2")
    _deliver(published, "2020-04", "岷县.xlsx")
    counties = published.reference_dir / "counties.csv"
    counties.write_text(counties.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    assert _months(published) == ("2020-03", "2020-04")


def test_a_gone_folder_or_an_older_record_loads_every_month(published: ProjectPaths) -> None:
    _deliver(published, "2020-04", "earlier.csv")
    _deliver(published, "2020-05", "earlier.csv")
    fingerprint.record_publish(published, fingerprint.current_inputs(published), "run-2")
    for path in (published.raw_dir / "submissions" / "2020-05").iterdir():
        path.unlink()
    (published.raw_dir / "submissions" / "2020-05").rmdir()
    _deliver(published, "2020-04", "岷县.xlsx")

    assert fingerprint.compare(published).changed_months is None
    assert _months(published) == ("2020-03", "2020-04")

    record = fingerprint.record_path(published)
    fingerprint.record_publish(published, fingerprint.current_inputs(published), "run-3")
    stored = json.loads(record.read_text(encoding="utf-8"))
    del stored["months"]
    record.write_text(json.dumps(stored), encoding="utf-8")
    _deliver(published, "2020-04", "临潭县.xlsx")

    assert fingerprint.compare(published).changed_months is None
    assert _months(published) == ("2020-03", "2020-04")


def test_the_same_reference_data_in_another_folder_is_no_change(published: ProjectPaths,
                                                                 tmp_path) -> None:
    # A deployment moved, or restored from a backup elsewhere: the same files.
    moved = tmp_path / "elsewhere" / "raw"
    shutil.copytree(published.raw_dir, moved)
    elsewhere = ProjectPaths(raw_dir=moved, warehouse_dir=published.warehouse_dir)

    before = fingerprint.current_inputs(published)
    after = fingerprint.current_inputs(elsewhere)

    assert after["reference"] == before["reference"]
    (moved / "reference" / "counties.csv").write_text("edited", encoding="utf-8")
    assert fingerprint.current_inputs(elsewhere)["reference"] != before["reference"]
