"""The nightly load under faults: killed at many points, read during the publish, fed hostile
files, run twice. Compared by `table_hashes`, a fingerprint of every table.

One scratch warehouse goes through the whole story in order (baseline, second run, killed
runs, the converging run, hostile files), so the module costs about ten loads of two months
of simulated files, not ten of a year.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.hashing import differing, table_hashes
from tests.conftest import DUKAN, Scratch, file_digest, make_scratch
from tests.reliability.auditor import file_fingerprint
from tests.reliability.hostile_corpus import ACCEPT, IGNORE, QUARANTINE, SECRET, write_corpus
from tests.submissions.clerk_workbooks import FILER, PHONE, REVIEWER

pytestmark = pytest.mark.slow

FIRST, SECOND = "2020-02", "2020-03"
RECEIVED = 1584671000.0  # 2020-03-20 10:23 Beijing time: inside March, before the 25th

# (marker in the step log, seconds to wait after it, kill the whole process group or only
# the load's own process). Spread over the run: intake, build copy, dbt, checks, publish.
KILL_POINTS = [
    ('Started execution of step "submission_archive"', 0.0, True),
    ('Started execution of step "warehouse_build"', 0.0, True),
    ('Started execution of step "submission_parses"', 0.5, True),
    ('Started execution of step "submission_rows"', 0.1, True),
    ("dbt build against", 3.0, True),
    # Only the load's process: dbt is orphaned and may still write its run's build file
    # while the next run starts.
    ("dbt build against", 5.0, False),
    ("county_registry_complete - STEP_START", 0.0, True),
    ('Started execution of step "published_warehouse"', 0.0, True),
    ('Started execution of step "dispatch_report"', 0.0, True),
]
PUBLISH_MARKERS = ("published_warehouse", "dispatch_report")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months of simulated county files, written once, delivered by copying."""
    scratch = make_scratch(tmp_path_factory.mktemp("simulated"))
    result = scratch.dukan("simulate", "--months", f"{FIRST}..{SECOND}")
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch.raw / "submissions"


def deliver(scratch: Scratch, simulated: Path, *months: str) -> None:
    drop = scratch.raw / "submissions"
    drop.mkdir(parents=True, exist_ok=True)
    shutil.copy2(simulated / "simulation_manifest.csv", drop / "simulation_manifest.csv")
    for month in months:
        shutil.copytree(simulated / month, drop / month, dirs_exist_ok=True)  # keeps mtimes


def nightly(scratch: Scratch, *options: str) -> subprocess.CompletedProcess[str]:
    result = scratch.dukan("nightly", *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, simulated: Path) -> dict[str, str]:
    """The warehouse one uninterrupted load of both months builds."""
    scratch = make_scratch(tmp_path_factory.mktemp("uninterrupted"))
    deliver(scratch, simulated, FIRST, SECOND)
    nightly(scratch)
    return table_hashes(scratch.published)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, simulated: Path) -> dict:
    """The scratch warehouse the tests below take through the story, in order."""
    scratch = make_scratch(tmp_path_factory.mktemp("story"))
    deliver(scratch, simulated, FIRST)
    nightly(scratch)
    return {"scratch": scratch, "baseline": table_hashes(scratch.published)}


def test_two_loads_in_a_row_give_identical_tables(story) -> None:
    scratch = story["scratch"]
    runs_before = _checked_runs(scratch.published)

    # Forced: with nothing new the load would otherwise stop before doing anything.
    nightly(scratch, "--force")

    assert differing(story["baseline"], table_hashes(scratch.published)) == []
    # The check results are a log: one more run's rows, the same verdicts.
    assert _checked_runs(scratch.published) == runs_before + 1


def test_killed_loads_keep_the_warehouse_and_the_next_run_converges(
    story, simulated: Path, uninterrupted: dict[str, str]
) -> None:
    scratch = story["scratch"]
    deliver(scratch, simulated, SECOND)
    baseline = story["baseline"]

    outcomes = []
    for marker, delay, whole_group in KILL_POINTS:
        _kill_at(scratch, marker, delay, whole_group)
        after = table_hashes(scratch.published)
        published_new = not differing(after, uninterrupted)
        outcomes.append((marker, delay, published_new))
        if any(step in marker for step in PUBLISH_MARKERS):
            assert published_new or not differing(after, baseline), marker
        else:
            assert not differing(after, baseline), (marker, differing(after, baseline))

    nightly(scratch)

    assert differing(table_hashes(scratch.published), uninterrupted) == []
    assert _builds(scratch) == []
    # The last kill comes after the rename: that load had published.
    assert outcomes[-1][2] is True, outcomes


def test_auditors_reading_during_a_load_see_only_whole_warehouses(story, tmp_path: Path) -> None:
    scratch = story["scratch"]
    before_copy = tmp_path / "before.duckdb"
    shutil.copy2(scratch.published, before_copy)
    # Something for the load to change: one more file (quarantined, so the tiers stay).
    extra = scratch.raw / "submissions" / SECOND / "迟到的说明.pdf"
    extra.write_bytes(b"%PDF-1.4 late\n")
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    readers = [_start_auditor(scratch, out.with_suffix(f".{n}.jsonl"), stop) for n in range(2)]
    try:
        nightly(scratch)
        time.sleep(0.5)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)

    states = [json.loads(line) for path in tmp_path.glob("reads.*.jsonl")
              for line in path.read_text().splitlines()]
    allowed = [file_fingerprint(before_copy), file_fingerprint(scratch.published)]
    assert allowed[0] != allowed[1]
    assert len(states) > 20
    assert [s for s in states if "error" in s] == []
    assert all(s["tables"] in allowed for s in states)
    assert {allowed.index(s["tables"]) for s in states} == {0, 1}
    story["before_hostile"] = table_hashes(scratch.published)


def test_hostile_files_are_quarantined_and_change_nothing_else(story, tmp_path: Path) -> None:
    scratch = story["scratch"]
    before = story.get("before_hostile") or table_hashes(scratch.published)
    folder = scratch.raw / "submissions" / SECOND / "来件"
    corpus = write_corpus(folder, tmp_path / "outside" / "secret.txt", RECEIVED)
    # The parser accepts these (see test_hostile_files); they would rightly change the tiers.
    for hostile in corpus:
        if hostile.outcome == ACCEPT:
            (folder / hostile.name).unlink()
    delivered = [h for h in corpus if h.outcome != ACCEPT]
    digests = {h.name: file_digest(folder / h.name) for h in delivered if h.loads}

    started = time.monotonic()
    result = nightly(scratch)
    elapsed = time.monotonic() - started

    assert elapsed < 600, elapsed
    statuses = _rows(scratch, "select file_sha256, accepted from submissions.files")
    accepted = dict(statuses)
    codes = _error_codes(scratch)
    for hostile in delivered:
        if hostile.loads:
            sha = digests[hostile.name]
            assert accepted.get(sha) is False, hostile.fault
            # Files with the same bytes (the empty .csv and the 0-byte .xlsx) are one
            # submission, read under the name it first came with.
            twins = [h for h in delivered if h.loads and digests[h.name] == sha]
            found = codes.get(sha, set())
            assert any(twin.codes <= found for twin in twins), (hostile.fault, found)
    _assert_not_received(scratch, [h.name for h in delivered if not h.loads])
    _assert_reports(scratch, len(set(digests.values())))
    after = table_hashes(scratch.published, without_files=set(digests.values()))
    assert differing(before, after) == []
    assert "Quarantined" in result.stdout
    # Passed over with no receipt and no finding: the operator is told which.
    links = [h.name for h in corpus if h.outcome == IGNORE]
    assert links and all(f"{SECOND}/来件/{name}" in result.stdout for name in links), links
    story["hostile_digests"] = digests


def test_no_personal_data_or_outside_file_in_the_warehouse_or_reports(story) -> None:
    scratch = story["scratch"]
    assert "hostile_digests" in story, "runs after the hostile load"
    secrets = [FILER, PHONE, REVIEWER, SECRET]
    derived = [scratch.published, *(scratch.warehouse / "quarantine").rglob("*.txt"),
               *(scratch.warehouse / "parsed").rglob("*.parquet"),
               *(scratch.warehouse / "parquet").rglob("*.parquet"),
               *(scratch.warehouse / "reports").rglob("*.*")]

    for path in derived:
        data = path.read_bytes()
        found = [text for text in secrets
                 if text.encode() in data or text.encode("utf-8-sig")[3:] in data]
        assert found == [], path


# --- helpers -----------------------------------------------------------------------------


def _checked_runs(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select count(distinct run_id) from quality.expectation_results"
        ).fetchall()[0][0]


def _logs(scratch: Scratch) -> set[Path]:
    return set((scratch.warehouse / "logs").glob("nightly-*.log"))


def _kill_at(scratch: Scratch, marker: str, delay: float, whole_group: bool) -> None:
    """Start a load, wait for `marker` in its step log, wait `delay`, SIGKILL it."""
    earlier = _logs(scratch)
    load = subprocess.Popen([DUKAN, "nightly"], env=scratch.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(scratch, earlier, marker, load)
        time.sleep(delay)
    finally:
        if whole_group:
            os.killpg(load.pid, signal.SIGKILL)
        else:
            load.kill()
        load.wait(timeout=60)


def _wait_for(scratch: Scratch, earlier: set[Path], marker: str, load: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        new = _logs(scratch) - earlier
        if new and any(marker in path.read_text(errors="replace") for path in new):
            return
        assert load.poll() is None, f"the load ended before {marker!r}"
        time.sleep(0.05)
    raise AssertionError(f"{marker!r} never appeared in the step log")


def _builds(scratch: Scratch) -> list[Path]:
    build = scratch.warehouse / "build"
    return sorted(build.iterdir()) if build.exists() else []


def _start_auditor(scratch: Scratch, out: Path, stop: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.auditor", str(out), str(stop)],
        env=scratch.env(), cwd=Path(__file__).resolve().parents[2],
    )


def _rows(scratch: Scratch, sql: str) -> list[tuple]:
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _error_codes(scratch: Scratch) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = {}
    for sha, code in _rows(scratch, "select file_sha256, code from submissions.findings "
                                    "where severity = 'error'"):
        codes.setdefault(sha, set()).add(code)
    return codes


def _assert_not_received(scratch: Scratch, names: list[str]) -> None:
    received = {name for (name,) in _rows(scratch, "select original_name from submissions.receipts")}
    assert not received & set(names)
    archived = [p.read_bytes() for p in (scratch.raw / "archive").iterdir() if p.is_file()]
    assert not any(SECRET.encode() in data for data in archived)


def _assert_reports(scratch: Scratch, quarantined_files: int) -> None:
    folder = (scratch.warehouse / "quarantine" / SECOND).resolve()
    reports = list(folder.iterdir())
    assert all(path.resolve().parent == folder for path in reports)
    hostile = [p for p in reports if "迟到的说明" not in p.name]
    assert len(hostile) == quarantined_files


def test_corpus_outcomes_cover_quarantine_and_the_skips() -> None:
    from tests.reliability.hostile_corpus import corpus

    outcomes = {h.outcome for h in corpus(Path("/nonexistent"))}
    assert {QUARANTINE, "skip", "ignore"} <= outcomes
