"""Archiving: every file copied unchanged under its hash before anything else, exactly once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from orchestration.submissions.archive import archive_months, drop_months, read_receipts


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
