"""Archive every delivered file unchanged, under its content hash, before anything else.

A county's file is evidence. The first thing the load does with a file in the drop zone is
copy it to `raw/archive/<sha256>.<ext>` (write to a temporary name, fsync, rename) and
append a receipt to `raw/archive/receipts.csv`. The drop zone is never modified; a file
whose content was archived before is recognised by its hash and not loaded again.

Receipts are the ledger the warehouse is derived from: which file arrived, under what
name, in which month's folder and when. "When" is the file's modification time in the drop
zone, the moment it was delivered, not the moment the nightly load noticed it.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")
RECEIPTS_NAME = "receipts.csv"


@dataclass(frozen=True)
class Receipt:
    """One delivered file as the ledger records it."""

    file_sha256: str
    original_name: str
    drop_month: str
    relative_path: str
    size_bytes: int
    received_at: str
    archived_at: str
    archive_name: str


@dataclass(frozen=True)
class ArchiveOutcome:
    new: list[Receipt]
    already_archived: list[Path]
    ignored: list[Path]


def archive_dir(raw_dir: Path) -> Path:
    return raw_dir / "archive"


def drop_months(raw_dir: Path) -> list[str]:
    """The month folders present in the drop zone, in order."""
    drop = raw_dir / "submissions"
    if not drop.exists():
        return []
    return sorted(p.name for p in drop.iterdir() if p.is_dir() and MONTH_FOLDER.fullmatch(p.name))


def read_receipts(raw_dir: Path) -> list[Receipt]:
    path = archive_dir(raw_dir) / RECEIPTS_NAME
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Receipt(**{**row, "size_bytes": int(row["size_bytes"])})
            for row in csv.DictReader(handle)
        ]


def archive_months(raw_dir: Path, months: list[str]) -> ArchiveOutcome:
    """Archive every file of the given months' drop folders that is not archived yet."""
    known = {(r.file_sha256, r.relative_path) for r in read_receipts(raw_dir)}
    new: list[Receipt] = []
    already: list[Path] = []
    ignored: list[Path] = []

    for month in months:
        folder = raw_dir / "submissions" / month
        if not folder.is_dir():
            continue
        # Sub-folders count (a prefecture may file its summary under summaries/).
        for path in sorted(folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                continue
            # Everything a county delivered is evidence, hidden files included; only links
            # (which could point anywhere on the machine) and folders are passed over.
            if path.is_symlink() or not path.is_file():
                ignored.append(path)
                continue
            receipt = _archive_one(raw_dir, path, month, known)
            if receipt is None:
                already.append(path)
            else:
                new.append(receipt)
                known.add((receipt.file_sha256, receipt.relative_path))

    _append_receipts(raw_dir, new)
    return ArchiveOutcome(new=new, already_archived=already, ignored=ignored)


def _archive_one(
    raw_dir: Path, path: Path, month: str, known: set[tuple[str, str]]
) -> Receipt | None:
    digest = _sha256(path)
    relative = path.relative_to(raw_dir / "submissions").as_posix()
    if (digest, relative) in known:
        return None

    suffix = _safe_suffix(path.name)
    target = archive_dir(raw_dir) / f"{digest}{suffix}"
    if not target.exists():
        _copy_atomically(path, target)

    stat = path.stat()
    received = datetime.fromtimestamp(stat.st_mtime, tz=SHANGHAI)
    return Receipt(
        file_sha256=digest,
        original_name=path.name,
        drop_month=month,
        relative_path=relative,
        size_bytes=stat.st_size,
        received_at=received.isoformat(timespec="seconds"),
        archived_at=datetime.now(timezone.utc).astimezone(SHANGHAI).isoformat(timespec="seconds"),
        archive_name=target.name,
    )


def _safe_suffix(name: str) -> str:
    """The file's extension for the archive name, reduced to harmless characters."""
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    with open(source, "rb") as reader, open(temporary, "wb") as writer:
        for block in iter(lambda: reader.read(1 << 20), b""):
            writer.write(block)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(temporary, target)


def _append_receipts(raw_dir: Path, receipts: list[Receipt]) -> None:
    if not receipts:
        return
    path = archive_dir(raw_dir) / RECEIPTS_NAME
    is_new = not path.exists()
    names = [field.name for field in fields(Receipt)]
    with open(path, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        if is_new:
            writer.writeheader()
        writer.writerows(asdict(receipt) for receipt in receipts)
        handle.flush()
        os.fsync(handle.fileno())
