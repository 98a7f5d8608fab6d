"""The parse cache reads the archived copy and speaks of the file by its delivered name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.lib.personal import hasher
from orchestration.submissions import parse_cache
from orchestration.submissions.arrow import to_arrow
from orchestration.submissions.parse_cache import ParseJob, cached_paths, parse_all, read_part
from orchestration.submissions.reader import read_submission

from .clerk_workbooks import save, standard_sheets

KEY = b"parse-cache-test-key-of-32-bytes"


def _delivered(tmp_path: Path, name: str, sheets=None) -> Path:
    (tmp_path / "drop").mkdir(exist_ok=True)
    return save(tmp_path / "drop" / name, sheets or standard_sheets())


def _archived(tmp_path: Path, source: Path, sha: str, suffix: str) -> Path:
    """The file as the archive keeps it: named by its hash."""
    archive = tmp_path / "archive"
    archive.mkdir(exist_ok=True)
    return Path(shutil.copy(source, archive / f"{sha}{suffix}"))


def test_findings_and_record_name_the_delivered_file(tmp_path: Path) -> None:
    sheets = standard_sheets()
    sheets["t2"].rows[4][5] = "十二"  # a rate written in words: an error finding
    source = _delivered(tmp_path, "宕昌县 2020年3月.xlsx", sheets)
    sha = "a" * 64
    job = ParseJob(sha, _archived(tmp_path, source, sha, ".xlsx"), "2020-03",
                   "宕昌县/宕昌县 2020年3月.xlsx")

    [outcome] = parse_all([job], tmp_path / "cache", KEY)

    record = pq.read_table(cached_paths(tmp_path / "cache", job)["file"]).to_pylist()[0]
    findings = read_part(tmp_path / "cache", job, "findings").to_pylist()
    assert record["file_name"] == "宕昌县 2020年3月.xlsx" and record["format"] == "xlsx"
    assert findings and {f["file_name"] for f in findings} == {"宕昌县 2020年3月.xlsx"}
    assert not outcome.accepted


def test_the_cached_parts_are_what_the_reader_produced(tmp_path: Path) -> None:
    """The cache's write options (no statistics, a dictionary for some columns only) keep
    every value: decimals, blanks, texts and findings read back exactly."""
    sheets = standard_sheets()
    sheets["t2"].rows[4][5] = "十二"  # an error finding
    sheets["t2"].rows[3][9] = "—"  # a blank written as a dash: not reported
    source = _delivered(tmp_path, "宕昌县.xlsx", sheets)
    sha = "c" * 64
    job = ParseJob(sha, _archived(tmp_path, source, sha, ".xlsx"), "2020-03", "宕昌县.xlsx")

    parse_all([job], tmp_path / "cache", KEY)

    parsed = read_submission(job.archive_path, declared_period="2020-03",
                             hash_personal=hasher(KEY), name="宕昌县.xlsx")
    values, findings = to_arrow(parsed, sha)
    assert read_part(tmp_path / "cache", job, "values").equals(values)
    assert read_part(tmp_path / "cache", job, "findings").equals(findings)
    assert not all(values.column("is_reported").to_pylist())
    assert findings.num_rows > 0


def test_a_clean_file_leaves_no_findings_part(tmp_path: Path) -> None:
    source = _delivered(tmp_path, "宕昌县.xlsx")
    sha = "b" * 64
    job = ParseJob(sha, _archived(tmp_path, source, sha, ".xlsx"), "2020-03", "宕昌县.xlsx")

    [outcome] = parse_all([job], tmp_path / "cache", KEY)

    paths = cached_paths(tmp_path / "cache", job)
    assert outcome.accepted and outcome.findings == 0 and outcome.values > 0
    assert paths["file"].exists() and paths["values"].exists()
    assert not paths["findings"].exists()
    assert read_part(tmp_path / "cache", job, "findings").num_rows == 0


def test_the_delivered_extension_decides_the_format(tmp_path: Path) -> None:
    """An .xls renamed by the archive still reports the extension the clerk sent."""
    source = tmp_path / "drop" / "宕昌县.XLS"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"\xd0\xcf\x11\xe0 an old binary workbook")
    sha = "c" * 64
    job = ParseJob(sha, _archived(tmp_path, source, sha, ".xls"), "2020-03", "宕昌县.XLS")

    parse_all([job], tmp_path / "cache", KEY)

    [finding] = read_part(tmp_path / "cache", job, "findings").to_pylist()
    assert finding["code"] == "unsupported_format" and finding["found"] == ".XLS"
    assert finding["file_name"] == "宕昌县.XLS"


def test_a_part_left_by_an_interrupted_parse_is_not_kept(tmp_path: Path, monkeypatch) -> None:
    """A parse killed before its record leaves parts behind; the next parse of the entry
    may find nothing for one of them (here the earliest delivery is now a .txt copy), and
    the old part must not stand in for that nothing."""
    source = _delivered(tmp_path, "宕昌县.xlsx")
    sha = "d" * 64
    archived = _archived(tmp_path, source, sha, ".xlsx")
    real = parse_cache._write_atomically

    def killed_before_record(table, path: Path) -> None:
        if path.name.endswith(".file.parquet"):
            raise KeyboardInterrupt
        real(table, path)

    first = ParseJob(sha, archived, "2020-03", "宕昌县.xlsx")
    monkeypatch.setattr(parse_cache, "_write_atomically", killed_before_record)
    with pytest.raises(KeyboardInterrupt):
        parse_all([first], tmp_path / "cache", KEY)
    assert cached_paths(tmp_path / "cache", first)["values"].exists()
    monkeypatch.setattr(parse_cache, "_write_atomically", real)

    again = ParseJob(sha, archived, "2020-03", "宕昌县.txt")
    [outcome] = parse_all([again], tmp_path / "cache", KEY)

    assert outcome.values == 0 and not outcome.accepted
    assert not cached_paths(tmp_path / "cache", again)["values"].exists()
    assert read_part(tmp_path / "cache", again, "values").num_rows == 0


def test_the_same_bytes_under_another_name_are_another_entry(tmp_path: Path) -> None:
    # A later copy with an earlier time (`cp -p`, an unzipped archive) becomes the earliest
    # receipt: the entry cached under the first name must not speak for it.
    source = _delivered(tmp_path, "宕昌县.xlsx")
    sha = "c" * 64
    archived = _archived(tmp_path, source, sha, ".xlsx")
    first = ParseJob(sha, archived, "2020-03", "宕昌县.xlsx")
    later = ParseJob(sha, archived, "2020-03", "宕昌县3月报表.xlsx")

    parse_all([first], tmp_path / "cache", KEY)
    [outcome] = parse_all([later], tmp_path / "cache", KEY)

    assert not outcome.cached and first.stem != later.stem
    record = read_part(tmp_path / "cache", later, "file").to_pylist()[0]
    assert record["file_name"] == "宕昌县3月报表.xlsx"
