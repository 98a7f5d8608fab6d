"""Files parsed ahead of the parse step are the entries the step would have cached itself,
and only for files whose name is certain; the process stops when asked, leaving only
whole entries."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orchestration.lib.workers import _alive
from orchestration.submissions import parse_ahead
from orchestration.submissions.archive import archive_months
from orchestration.submissions.assets import _parse_jobs
from orchestration.submissions.form import T1
from orchestration.submissions.parse_cache import (
    PART_SCHEMAS,
    ParseJob,
    cached_paths,
    parse_all,
    read_part,
)

from .clerk_workbooks import T1_DATA, form_sheet, save, standard_sheets

KEY = b"parse-ahead-test-key-of-32-bytes"
MONTHS = ["2020-03", "2020-04"]


def _deliver(raw: Path, month: str, name: str, sheets, when: str) -> Path:
    path = raw / "submissions" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    save(path, sheets)
    stamp = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def _with_t1(index: int, value: object):
    sheets = standard_sheets()
    data = list(T1_DATA)
    data[index] = value
    sheets["t1"] = form_sheet(T1, [data])
    return sheets


def _drop_zone(raw: Path) -> dict[str, Path]:
    """Two months as clerks leave them: a copy under a second name, a faulty file, a file
    that is no workbook, Excel's lock file, and a file renamed after it was received."""
    unlifted = [i.id for i in T1.indicators].index("unlifted_persons")
    files = {
        "clean": _deliver(raw, "2020-03", "宕昌县3月.xlsx", standard_sheets(),
                          "2020-03-24T10:00:00"),
        "copy": _deliver(raw, "2020-03", "宕昌县3月(1).xlsx", standard_sheets(),
                         "2020-03-24T10:05:00"),
        "faulty": _deliver(raw, "2020-03", "坏文件.xlsx", _with_t1(unlifted, "两千"),
                           "2020-03-24T11:00:00"),
        "renamed": _deliver(raw, "2020-04", "宕昌县4月.xlsx", _with_t1(unlifted, 1887),
                            "2020-04-20T09:00:00"),
        "nested": _deliver(raw, "2020-04", "汇总/宕昌县4月更正.xlsx", _with_t1(unlifted, 1880),
                           "2020-04-21T09:00:00"),
    }
    files["pdf"] = raw / "submissions" / "2020-03" / "说明.pdf"
    files["pdf"].write_bytes(b"%PDF-1.4 not a report")
    (raw / "submissions" / "2020-03" / "~$宕昌县3月.xlsx").write_bytes(b"lock")
    # Received once as 宕昌县4月.xlsx, then renamed in the folder: the receipt names it.
    archive_months(raw, ["2020-04"])
    files["renamed"] = files["renamed"].rename(files["renamed"].with_name("四月.xlsx"))
    return files


def _step_jobs(raw: Path) -> list[ParseJob]:
    """The parse step's jobs, after the archive step has run."""
    archive_months(raw, MONTHS)
    return _parse_jobs(raw, MONTHS)


def test_entries_parsed_ahead_are_the_parse_steps_own(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _drop_zone(raw)
    ahead_cache, scratch = tmp_path / "ahead", tmp_path / "scratch"
    scratch.mkdir()

    done = parse_ahead.parse_months(raw, ahead_cache, KEY, MONTHS, scratch)

    jobs = _step_jobs(raw)
    step = {o.job.stem: o for o in parse_all(jobs, tmp_path / "step", KEY)}
    names = {job.stem: job.original_name for job in jobs}
    ahead = {o.job.stem for o in done}
    # The copy's bytes came under two names, and the renamed file's receipt names another:
    # which name a finding quotes is the parse step's to decide.
    assert sorted(names[stem] for stem in ahead) == ["坏文件.xlsx", "宕昌县4月更正.xlsx", "说明.pdf"]
    # (The renamed file's two receipts have one time: the step takes the name first in
    # order, the new one here.)
    assert sorted(set(names.values()) - {names[s] for s in ahead}) == ["四月.xlsx",
                                                                         "宕昌县3月.xlsx"]
    for outcome in done:
        job = next(j for j in jobs if j.stem == outcome.job.stem)
        mine = step[job.stem]
        assert (outcome.accepted, outcome.values, outcome.findings) == (
            mine.accepted, mine.values, mine.findings)
        for part in PART_SCHEMAS:
            assert read_part(ahead_cache, job, part).equals(read_part(tmp_path / "step", job,
                                                                      part)), part
    assert not any(ahead_cache.glob(".*"))  # no partial file left
    assert not any(scratch.glob("*.xlsx")) and not any(scratch.glob("*.pdf"))
    assert (scratch / "outcomes.tsv").read_text().count("\n") == len(done) == 3
    rejected = sorted(names[o.job.stem] for o in done if not o.accepted)
    assert rejected == ["坏文件.xlsx", "说明.pdf"]


def test_it_stops_between_files_when_asked(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _drop_zone(raw)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    asked: list[int] = []

    def stopping() -> bool:
        asked.append(1)
        return len(asked) > 1

    done = parse_ahead.parse_months(raw, tmp_path / "cache", KEY, MONTHS, scratch, stopping)

    records = list((tmp_path / "cache").glob("*.file.parquet"))
    assert len(done) == len(records) == 1
    assert parse_ahead._read_outcomes(scratch / "outcomes.tsv") == {
        done[0].job.stem: (done[0].accepted, done[0].values, done[0].findings)
    }


def test_a_copy_that_changes_the_name_after_the_parse_ahead_is_parsed_again(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    _deliver(raw, "2020-03", "宕昌县3月.xlsx", standard_sheets(), "2020-03-24T10:00:00")
    scratch, cache = tmp_path / "scratch", tmp_path / "cache"
    scratch.mkdir()
    [ahead] = parse_ahead.parse_months(raw, cache, KEY, ["2020-03"], scratch)
    # Then, before the archive step, the same bytes under another name and an earlier time:
    # the receipts make that name the submission's.
    _deliver(raw, "2020-03", "3月报表.xlsx", standard_sheets(), "2020-03-20T08:00:00")
    jobs = _step_jobs(raw)
    assert [job.original_name for job in jobs] == ["3月报表.xlsx"]
    # The process ahead has ended; its folder holds what it parsed.
    parse_ahead._Ahead.process = subprocess.Popen([sys.executable, "-c", ""],
                                                  stdin=subprocess.PIPE)
    parse_ahead._Ahead.folder, parse_ahead._Ahead.cache = scratch, cache

    [outcome], by_ahead = parse_ahead.parse_alongside(jobs, cache, KEY)

    assert by_ahead == 0 and not outcome.cached
    assert outcome.job.file_sha256 == ahead.job.file_sha256 and outcome.job.stem != ahead.job.stem
    assert read_part(cache, jobs[0], "file").column("file_name").to_pylist() == ["3月报表.xlsx"]


def test_the_step_and_the_process_ahead_share_the_files(tmp_path: Path, monkeypatch) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    _many_months(raw)
    key_file = tmp_path / "pii.key"
    key_file.write_bytes(KEY)
    monkeypatch.setenv("DUKAN_PII_KEY_FILE", str(key_file))
    months = [f"2020-{m:02d}" for m in range(2, 13)]

    assert parse_ahead.start(raw, warehouse, months, tmp_path / "ahead.log")
    folder, cache = parse_ahead._Ahead.folder, parse_ahead._Ahead.cache
    _first_file_parsed(folder)
    archive_months(raw, months)
    jobs = _parse_jobs(raw, months)
    shared = parse_ahead.parse_alongside(jobs, cache, KEY)

    assert shared is not None
    outcomes, by_ahead = shared
    expected = parse_all(jobs, tmp_path / "alone", KEY)
    assert [(o.job, o.accepted, o.values, o.findings) for o in outcomes] == [
        (o.job, o.accepted, o.values, o.findings) for o in expected]
    assert not any(o.cached for o in outcomes)
    assert 0 < by_ahead < len(jobs)  # both parsed: the step from the end, the other ahead
    assert re.search(r"parse_ahead: process \d+ parsed \d+ files of 2020-02..2020-12",
                     (tmp_path / "ahead.log").read_text())
    assert parse_ahead._Ahead.process is None and not folder.exists()
    assert not any(cache.glob(".*.partial"))


def test_entries_ahead_in_another_folder_are_parsed_again(tmp_path: Path, monkeypatch) -> None:
    # The parser's code changed after the process ahead started (a deployment during the
    # run): the step's cache folder, named by the parser's version, is another one, and
    # the process's outcomes describe files that are not in it.
    raw, warehouse, months = _three_months_keyed(tmp_path, monkeypatch)

    assert parse_ahead.start(raw, warehouse, months, tmp_path / "ahead.log")
    _first_file_parsed(parse_ahead._Ahead.folder)
    archive_months(raw, months)
    jobs = _parse_jobs(raw, months)
    other = warehouse / "parsed" / "another-version"
    shared = parse_ahead.parse_alongside(jobs, other, KEY)

    assert shared is not None
    outcomes, by_ahead = shared
    assert by_ahead == 0
    assert all(cached_paths(other, job)["file"].exists() for job in jobs)
    expected = parse_all(jobs, tmp_path / "alone", KEY)
    assert [(o.job, o.values, o.findings) for o in outcomes] == [
        (o.job, o.values, o.findings) for o in expected]


def test_on_more_cores_the_pool_takes_the_rest(tmp_path: Path, monkeypatch) -> None:
    raw, warehouse, months = _three_months_keyed(tmp_path, monkeypatch)
    monkeypatch.setattr(parse_ahead, "worker_count", lambda tasks: 4)

    assert parse_ahead.start(raw, warehouse, months)
    cache = parse_ahead._Ahead.cache
    archive_months(raw, months)
    jobs = _parse_jobs(raw, months)
    outcomes, by_ahead = parse_ahead.parse_alongside(jobs, cache, KEY)

    assert len(outcomes) == len(jobs) and not any(o.cached for o in outcomes)
    for job in jobs:
        assert cached_paths(cache, job)["file"].exists()
    assert by_ahead < len(jobs)


def test_a_load_killed_leaves_no_process_and_no_folder(tmp_path: Path) -> None:
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    _many_months(raw, months=2)
    key_file = tmp_path / "pii.key"
    key_file.write_bytes(KEY)
    load = subprocess.Popen(
        [sys.executable, "-c", _LOAD.format(raw=str(raw), warehouse=str(warehouse))],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "DUKAN_PII_KEY_FILE": str(key_file)},
    )
    assert load.stdout is not None
    pid, folder = load.stdout.readline().split(maxsplit=1)

    load.kill()  # SIGKILL: the load's own stop never runs
    load.wait()

    deadline = time.monotonic() + 60
    while _alive(int(pid)) or Path(folder.strip()).exists():
        assert time.monotonic() < deadline, "the process ahead outlived its load"
        time.sleep(0.05)


_LOAD = """
import time
from pathlib import Path
from orchestration.lib.workers import _alive
from orchestration.submissions import parse_ahead
assert parse_ahead.start(Path({raw!r}), Path({warehouse!r}), ["2020-02", "2020-03"])
print(parse_ahead._Ahead.process.pid, parse_ahead._Ahead.folder, flush=True)
time.sleep(600)
"""


def test_without_a_key_nothing_is_started(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DUKAN_PII_KEY_FILE", str(tmp_path / "none.key"))

    assert not parse_ahead.start(tmp_path / "raw", tmp_path / "warehouse", MONTHS)
    assert parse_ahead.parse_alongside([], tmp_path / "cache", KEY) is None
    assert parse_ahead.stop() == {}


def _many_months(raw: Path, months: int = 11) -> None:
    """Eight distinct workbooks a month: enough that the step and the process ahead both
    take some."""
    unlifted = [i.id for i in T1.indicators].index("unlifted_persons")
    for month in range(2, 2 + months):
        folder = raw / "submissions" / f"2020-{month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(8):
            save(folder / f"县{n}.xlsx", _with_t1(unlifted, 2000 + 10 * month + n))


def _three_months_keyed(tmp_path: Path, monkeypatch) -> tuple[Path, Path, list[str]]:
    """A drop zone of three months, and the key the process ahead reads."""
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    _many_months(raw, months=3)
    key_file = tmp_path / "pii.key"
    key_file.write_bytes(KEY)
    monkeypatch.setenv("DUKAN_PII_KEY_FILE", str(key_file))
    return raw, warehouse, ["2020-02", "2020-03", "2020-04"]


def _first_file_parsed(folder: Path) -> None:
    """Wait for the process ahead to finish a file, as the run's start gives it time to."""
    deadline = time.monotonic() + 60
    while not (folder / "outcomes.tsv").exists() or not (folder / "outcomes.tsv").read_text():
        assert time.monotonic() < deadline, "the process ahead parsed nothing in 60 s"
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _nothing_left_running():
    yield
    parse_ahead.stop()
