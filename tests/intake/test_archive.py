"""Archiving: every file copied unchanged under its hash before anything else, exactly once."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import pytest

from orchestration.submissions import archive
from orchestration.submissions.archive import archive_months, drop_months, read_receipts
from orchestration.submissions.automation import months_with_new_files


def drop(raw: Path, month: str, name: str, content: bytes, mtime: float = 1585000000) -> Path:
    path = raw / "submissions" / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))
    return path


def test_files_are_archived_unchanged_under_their_hash(tmp_path: Path) -> None:
    first = drop(tmp_path, "2020-03", "宕昌县.xlsx", b"workbook bytes")

    outcome = archive_months(tmp_path, ["2020-03"])

    digest = hashlib.sha256(b"workbook bytes").hexdigest()
    assert [r.file_sha256 for r in outcome.new] == [digest]
    assert (tmp_path / "archive" / f"{digest}.xlsx").read_bytes() == b"workbook bytes"
    assert first.read_bytes() == b"workbook bytes"  # the drop zone is never touched
    receipt = read_receipts(tmp_path)[0]
    assert (receipt.original_name, receipt.drop_month, receipt.size_bytes) == (
        "宕昌县.xlsx", "2020-03", 14,
    )
    assert receipt.received_at == "2020-03-24T05:46:40+08:00"  # the file's mtime, Beijing time


def test_two_files_saved_within_a_second_keep_their_order(tmp_path: Path) -> None:
    # Named against their order, so that sorting by name would give the wrong one.
    drop(tmp_path, "2020-03", "b-first.xlsx", b"first", mtime=1585000000.25)
    drop(tmp_path, "2020-03", "a-second.xlsx", b"second", mtime=1585000000.75)

    archive_months(tmp_path, ["2020-03"])

    receipts = sorted(read_receipts(tmp_path), key=lambda r: r.received_at)
    assert [r.original_name for r in receipts] == ["b-first.xlsx", "a-second.xlsx"]
    assert receipts[0].received_at == "2020-03-24T05:46:40.250000+08:00"


def test_a_file_seen_before_is_not_archived_again(tmp_path: Path) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"same")
    archive_months(tmp_path, ["2020-03"])

    again = archive_months(tmp_path, ["2020-03"])

    assert again.new == [] and [p.name for p in again.already_archived] == ["a.xlsx"]
    assert len(read_receipts(tmp_path)) == 1


def test_same_bytes_under_another_name_is_receipted_but_stored_once(tmp_path: Path) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"same")
    drop(tmp_path, "2020-03", "copy of a.xlsx", b"same")

    archive_months(tmp_path, ["2020-03"])

    assert len(read_receipts(tmp_path)) == 2
    assert len(list((tmp_path / "archive").glob("*.xlsx"))) == 1


def test_a_copy_takes_its_name_only_once_it_is_on_disk_and_before_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later load trusts a copy it finds under its digest, so the name must never stand
    for a copy a crash could leave short."""
    for county in ("宕昌县", "礼县", "漳县"):
        drop(tmp_path, "2020-03", f"{county}.xlsx", county.encode() * 100)
    flushes: list[tuple[list[str], bool]] = []
    real = archive._make_durable

    def watched(folder: Path, written: list[Path]) -> None:
        names = sorted(path.name for path in folder.iterdir())
        flushes.append((names, (folder / "receipts.csv").exists()))
        real(folder, written)

    monkeypatch.setattr(archive, "_make_durable", watched)
    archive_months(tmp_path, ["2020-03"])

    (before, ledger_before), (after, ledger_after) = flushes
    assert len(before) == 3 and all(name.endswith(".xlsx.partial") for name in before)
    assert len(after) == 3 and all(name.endswith(".xlsx") for name in after)
    assert not ledger_before and not ledger_after  # the ledger comes after both
    assert len(read_receipts(tmp_path)) == 3


def test_without_syncfs_every_copy_and_the_folder_are_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"a")
    drop(tmp_path, "2020-03", "b.xlsx", b"b")
    flushed: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(archive, "_SYNCFS", None)
    monkeypatch.setattr(archive.os, "fsync", lambda fd: (flushed.append(fd), real_fsync(fd)))

    archive_months(tmp_path, ["2020-03"])

    # two copies and the folder, then the folder again for the names, then the ledger
    assert len(flushed) == 5
    assert {p.name for p in (tmp_path / "archive").glob("*.xlsx")} == {
        f"{hashlib.sha256(b'a').hexdigest()}.xlsx", f"{hashlib.sha256(b'b').hexdigest()}.xlsx"
    }


def test_odd_names_and_extensions_cannot_escape_the_archive(tmp_path: Path) -> None:
    drop(tmp_path, "2020-03", "..%2F..%2Fevil.x$lsx", b"a")
    drop(tmp_path, "2020-03", "no extension", b"b")

    archive_months(tmp_path, ["2020-03"])

    names = sorted(p.name for p in (tmp_path / "archive").iterdir() if p.name != "receipts.csv")
    assert names == sorted(
        [hashlib.sha256(b"a").hexdigest() + ".bin", hashlib.sha256(b"b").hexdigest() + ".bin"]
    )


def test_only_month_folders_are_drop_folders(tmp_path: Path) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"a")
    drop(tmp_path, "2020-12", "b.xlsx", b"b")
    (tmp_path / "submissions" / "misc").mkdir()
    (tmp_path / "submissions" / "simulation_manifest.csv").write_text("x")

    assert drop_months(tmp_path) == ["2020-03", "2020-12"]


def test_the_parse_cache_folder_names_the_code_loaded_not_the_code_on_disk(
    tmp_path: Path, monkeypatch
) -> None:
    """New code installed while a load runs must not send its staging step to another cache
    folder than its parse step wrote."""
    from orchestration.submissions import parse_cache

    source = tmp_path / "package"
    source.mkdir()
    (source / "reader.py").write_text("READER = 1\n")
    monkeypatch.setattr(parse_cache, "_PACKAGE", source)
    written = parse_cache.cache_dir(tmp_path, b"k" * 32)
    digest = parse_cache._source_digest()

    (source / "reader.py").write_text("READER = 2\n")

    assert parse_cache._source_digest() != digest, "the digest does follow the sources"
    assert parse_cache.cache_dir(tmp_path, b"k" * 32) == written


def test_a_name_holding_a_carriage_return_keeps_the_ledger_readable(tmp_path: Path) -> None:
    drop(tmp_path, "2020-12", "七里河区\r_更正_2020-12.xlsx", b"corrected")
    drop(tmp_path, "2020-12", "a.xlsx", b"other")
    archive_months(tmp_path, ["2020-12"])

    names = sorted(receipt.original_name for receipt in read_receipts(tmp_path))
    assert names == ["a.xlsx", "七里河区\r_更正_2020-12.xlsx"]
    # The next night: nothing new, and the ledger still reads.
    drop(tmp_path, "2020-12", "b.xlsx", b"third")
    assert [r.original_name for r in archive_months(tmp_path, ["2020-12"]).new] == ["b.xlsx"]
    assert months_with_new_files(tmp_path) == []


def test_a_name_that_is_not_utf8_is_recorded_as_its_chinese_text(tmp_path: Path) -> None:
    # What unzipping an archive made on Chinese Windows leaves: the name in GBK bytes.
    gbk = os.fsdecode("621226_礼县_更正_2020-09.xlsx".encode("gbk"))
    drop(tmp_path, "2020-09", gbk, b"gbk named")
    undecodable = os.fsdecode(b"\xff\xfe_broken.xlsx")
    drop(tmp_path, "2020-09", undecodable, b"no encoding")

    archive_months(tmp_path, ["2020-09"])

    receipts = {r.file_sha256: r for r in read_receipts(tmp_path)}
    named = receipts[hashlib.sha256(b"gbk named").hexdigest()]
    assert named.original_name == "621226_礼县_更正_2020-09.xlsx"
    assert named.relative_path == "2020-09/621226_礼县_更正_2020-09.xlsx"
    assert receipts[hashlib.sha256(b"no encoding").hexdigest()].original_name.endswith(
        "_broken.xlsx"
    )
    # Recognised the next night, by the same reading of its name.
    assert archive_months(tmp_path, ["2020-09"]).new == []
    assert months_with_new_files(tmp_path) == []


def test_a_damaged_ledger_is_named_with_its_line(tmp_path: Path) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"a")
    archive_months(tmp_path, ["2020-03"])
    ledger = tmp_path / "archive" / "receipts.csv"
    # A row split in two, as an unquoted carriage return in a name left it.
    ledger.write_bytes(ledger.read_bytes() + b'b\r_x.xlsx,2020-03\n')

    with pytest.raises(ValueError, match=r"receipts.csv, line 3: the receipts ledger is damaged"):
        read_receipts(tmp_path)


@pytest.mark.parametrize(("column", "value", "says"), [
    ("file_sha256", "x" + "0" * 63, "is not a SHA-256 digest"),
    ("archive_name", "../other.xlsx", "is not the archived copy of"),
    ("drop_month", "2020-3", "is not a month folder"),
    ("size_bytes", "12kb", "is not a whole number"),
    ("received_at", "yesterday", "is not a time"),
])
def test_a_ledger_row_the_load_could_not_have_written_is_named(
    tmp_path: Path, column: str, value: str, says: str
) -> None:
    drop(tmp_path, "2020-03", "a.xlsx", b"a")
    drop(tmp_path, "2020-03", "b.xlsx", b"b")
    archive_months(tmp_path, ["2020-03"])
    ledger = tmp_path / "archive" / "receipts.csv"
    rows = list(csv.DictReader(ledger.open(encoding="utf-8", newline="")))
    rows[1][column] = value
    with ledger.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    with pytest.raises(ValueError, match=rf"receipts.csv, line 3: .*{says}"):
        read_receipts(tmp_path)
