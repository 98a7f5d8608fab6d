"""GE's validation results store keeps a suite's newest runs; older results move to the
archive, none is lost, and the checkpoint works on as before."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.lib.paths import ProjectPaths
from orchestration.quality import gx_runner
from orchestration.quality.gx_runner import KEPT_RESULTS, run_checkpoint
from tests.quality.test_rule_suites import frame

CHECKPOINT = "submission_file_rules"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUKAN_WAREHOUSE_DIR", str(tmp_path))
    gx_runner._context.cache_clear()
    yield ProjectPaths.from_env()
    gx_runner._context.cache_clear()


def _runs(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*/*") if path.is_dir())


def test_old_results_move_to_the_archive_and_none_is_lost(warehouse: ProjectPaths) -> None:
    data = frame("flow_balance", [("exact", 0, 0)])
    assert run_checkpoint(CHECKPOINT, data).success
    store = gx_runner.results_dir(warehouse) / CHECKPOINT
    [first] = _runs(store)
    # Forty earlier nights, as GE names its run folders (UTC time, sorting in time order).
    [run_folder] = [path for path in store.glob("*/*") if path.is_dir()]
    earlier = [f"2020{month:02d}{day:02d}T010000.000000Z" for month in (6, 7) for day in
               range(1, 21)]
    for name in earlier:
        shutil.copytree(run_folder, run_folder.with_name(name))

    outcome = run_checkpoint(CHECKPOINT, frame("flow_balance", [("wrong", 1, 0)]))

    assert not outcome.success  # the checkpoint still validates what it is given
    kept = _runs(store)
    archived = _runs(gx_runner.results_archive_dir(warehouse) / CHECKPOINT)
    newest = max(kept)
    assert newest not in [*earlier, first]
    assert len(kept) == KEPT_RESULTS
    assert sorted(kept + archived) == sorted([*earlier, first, newest])
    # The oldest went; both of today's runs stayed.
    assert archived == sorted(earlier)[: len(archived)]
    assert first in kept
    for name in archived:
        [result] = (gx_runner.results_archive_dir(warehouse) / CHECKPOINT).glob(f"*/{name}/*")
        assert result.suffix == ".json" and result.stat().st_size > 0


def test_a_store_within_the_limit_is_left_alone(tmp_path: Path) -> None:
    store, archive = tmp_path / "store" / "suite", tmp_path / "archive" / "suite"
    for day in range(1, KEPT_RESULTS):
        (store / "__none__" / f"202006{day:02d}T010000.000000Z").mkdir(parents=True)
    assert gx_runner.archive_old_results(store, archive) == 0
    assert not archive.exists()
    (store / "__none__" / "20200701T010000.000000Z").mkdir()
    assert gx_runner.archive_old_results(store, archive) == 1
    assert _runs(archive) == ["20200601T010000.000000Z"]
