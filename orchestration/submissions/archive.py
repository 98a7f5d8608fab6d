"""Archive every delivered file unchanged, under its content hash, before it is loaded.

A county's file is evidence. The first things the load writes for a file in the drop zone
are its copy, `raw/archive/<sha256>.<ext>` (written under a temporary name, flushed,
renamed), and its receipt in `raw/archive/receipts.csv`. The drop zone is never modified; a file
whose content was archived before is recognised by its hash and not loaded again.

Receipts are the ledger the warehouse is derived from: which file arrived, under what
name, in which month's folder and when. "When" is the file's modification time in the drop
zone, the moment it was delivered, not the moment the nightly load noticed it.
"""

from __future__ import annotations

import csv
import ctypes
import hashlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.lib.periods import MONTH_FOLDER

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIPTS_NAME = "receipts.csv"
# What a clerk's computer leaves beside the files it sends (Finder and Explorer caches, the
# lock files Excel and LibreOffice keep while a workbook is open): never a county's report.
_SYSTEM_NAMES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", "__macosx"})


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
    system_files: list[Path]


def is_system_file(path: Path, folder: Path) -> bool:
    """A hidden or system file (or one in a hidden folder) under a month's drop folder.

    Dotfiles, ``~$`` lock files and the caches of file browsers are noise to a clerk: they
    are neither archived nor quarantined, only noted in the run's log.
    """
    return any(_is_system_name(part) for part in path.relative_to(folder).parts)


def _is_system_name(name: str) -> bool:
    # A leading ".." is a name made to look like a path, not a hidden file: it is archived
    # and reported to the clerk like any other file that cannot be read.
    hidden = name.startswith(".") and not name.startswith("..")
    return hidden or name.startswith("~$") or name.lower() in _SYSTEM_NAMES


def archive_dir(raw_dir: Path) -> Path:
    return raw_dir / "archive"


def readable_name(name: str) -> str:
    """A delivered name as text: as is when it is UTF-8, else decoded as Chinese Windows
    names are (GB18030, what unzipping an archive made on Windows often leaves), else
    with its undecodable bytes written as \\xNN.

    Python gives a name that is not UTF-8 with its bytes smuggled in as surrogates, which
    no file (the ledger, a report) can store: one such name would stop every load.
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace")


def delivered_path(path: Path, raw_dir: Path) -> str:
    """A delivered file's path under raw/submissions/ as the ledger records it."""
    return readable_name(path.relative_to(raw_dir / "submissions").as_posix())


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
    names = [field.name for field in fields(Receipt)]
    receipts = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            if None in row or None in row.values() or list(row) != names:
                raise ValueError(
                    f"{path}, line {reader.line_num}: the receipts ledger is damaged (a row "
                    f"of {len([v for v in row.values() if v is not None])} fields where "
                    f"{len(names)} belong). A file name holding a line break, written by a "
                    "version that did not quote it, splits a row in two: join the parts of "
                    "that row by hand, keeping the name's text, and run the load again."
                )
            fault = _receipt_fault(row)
            if fault:
                raise ValueError(
                    f"{path}, line {reader.line_num}: the receipts ledger is damaged: {fault}. "
                    "The ledger is written only by the load; restore it from a backup, or "
                    "mend that row by hand from the archived file it names."
                )
            receipts.append(Receipt(**{**row, "size_bytes": int(row["size_bytes"])}))
    return receipts


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _receipt_fault(row: dict[str, str]) -> str | None:
    """What is wrong with a ledger row the load could have written, if anything."""
    digest = row["file_sha256"]
    if not _SHA256.fullmatch(digest):
        return f"file_sha256 {digest[:80]!r} is not a SHA-256 digest (64 hex digits)"
    if row["archive_name"] != digest + safe_suffix(row["archive_name"]):
        return f"archive_name {row['archive_name'][:80]!r} is not the archived copy of {digest}"
    if not MONTH_FOLDER.fullmatch(row["drop_month"]):
        return f"drop_month {row['drop_month'][:80]!r} is not a month folder (YYYY-MM)"
    if not row["size_bytes"].isascii() or not row["size_bytes"].isdigit():
        return f"size_bytes {row['size_bytes'][:80]!r} is not a whole number"
    for field in ("received_at", "archived_at"):
        try:
            datetime.fromisoformat(row[field])
        except ValueError:
            return f"{field} {row[field][:80]!r} is not a time"
    return None


def delivery_kind(path: Path, folder: Path) -> str:
    """What an entry under a month's drop folder is to the archive: "file", a delivery it
    takes; "folder" (sub-folders count: a prefecture may file its summary under
    summaries/); "ignored", a link (which could point anywhere on the machine) or
    anything else that is not a regular file; "system" (see is_system_file)."""
    if path.is_dir() and not path.is_symlink():
        return "folder"
    if path.is_symlink() or not path.is_file():
        return "ignored"
    return "system" if is_system_file(path, folder) else "file"


def delivered_files(folder: Path) -> list[Path]:
    """The deliveries in a month's drop folder, in order: what the archive takes."""
    return [p for p in sorted(folder.rglob("*")) if delivery_kind(p, folder) == "file"]


def archive_months(raw_dir: Path, months: list[str]) -> ArchiveOutcome:
    """Archive every file of the given months' drop folders that is not archived yet."""
    known = {(r.file_sha256, r.relative_path) for r in read_receipts(raw_dir)}
    copies = _Copies()
    new: list[Receipt] = []
    already: list[Path] = []
    ignored: list[Path] = []
    system: list[Path] = []

    for month in months:
        folder = raw_dir / "submissions" / month
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            kind = delivery_kind(path, folder)
            if kind == "ignored":
                ignored.append(path)
            elif kind == "system":
                system.append(path)
            if kind != "file":
                continue
            receipt = _archive_one(raw_dir, path, month, known, copies)
            if receipt is None:
                already.append(path)
            else:
                new.append(receipt)
                known.add((receipt.file_sha256, receipt.relative_path))

    # Every copy is on disk under its own name before the ledger says it is archived.
    copies.commit(archive_dir(raw_dir))
    _append_receipts(raw_dir, new)
    return ArchiveOutcome(new=new, already_archived=already, ignored=ignored, system_files=system)


def _archive_one(
    raw_dir: Path, path: Path, month: str, known: set[tuple[str, str]], copies: _Copies
) -> Receipt | None:
    digest = _sha256(path)
    relative = delivered_path(path, raw_dir)
    if (digest, relative) in known:
        return None

    suffix = safe_suffix(path.name)
    target = archive_dir(raw_dir) / f"{digest}{suffix}"
    if not target.exists():
        copies.add(path, target)

    stat = path.stat()
    return Receipt(
        file_sha256=digest,
        original_name=readable_name(path.name),
        drop_month=month,
        relative_path=relative,
        size_bytes=stat.st_size,
        received_at=received_at(stat.st_mtime)[0],
        archived_at=datetime.now(timezone.utc).astimezone(SHANGHAI).isoformat(timespec="seconds"),
        archive_name=target.name,
    )


def received_at(mtime: float) -> tuple[str, str]:
    """A file's delivery time as its receipt gives it (its modification time, Beijing time,
    to the microsecond the file system keeps, so that two files saved within one second
    are versions in the order they came), and as receipts written to the second gave it."""
    received = datetime.fromtimestamp(mtime, tz=SHANGHAI)
    return received.isoformat(), received.isoformat(timespec="seconds")


def safe_suffix(name: str) -> str:
    """The file's extension for the archive name, reduced to harmless characters."""
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Copies:
    """The archive's new copies, made durable together.

    Each file is copied under a temporary name; ``commit`` makes every copy durable, then
    gives each its name, then makes the names durable. A copy that has its name is whole
    whatever happens when (a later load trusts a copy it finds under its digest), at the
    cost of two flushes of the file system for the batch, where an fsync per file cost
    about 0.25 ms each (a national month: 10,000 files).
    """

    def __init__(self) -> None:
        self.pending: dict[Path, Path] = {}  # target -> temporary

    def add(self, source: Path, target: Path) -> None:
        if target in self.pending:  # the same content delivered twice in one batch
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.partial")
        with open(source, "rb") as reader, open(temporary, "wb") as writer:
            for block in iter(lambda: reader.read(1 << 20), b""):
                writer.write(block)
        self.pending[target] = temporary

    def commit(self, folder: Path) -> None:
        if not self.pending:
            return
        _make_durable(folder, list(self.pending.values()))
        for target, temporary in self.pending.items():
            os.replace(temporary, target)
        _make_durable(folder, [])
        self.pending.clear()


def _make_durable(folder: Path, written: list[Path]) -> None:
    """Flush what was written under ``folder`` (files and names) to disk: syncfs(2) on
    Linux, one call for the whole file system; elsewhere an fsync per file and one for the
    folder."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        if _SYNCFS is not None and _SYNCFS(handle) == 0:
            return
        for path in written:
            with open(path, "rb") as file:
                os.fsync(file.fileno())
        os.fsync(handle)
    finally:
        os.close(handle)


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _load_syncfs()


def _append_receipts(raw_dir: Path, receipts: list[Receipt]) -> None:
    """Add receipts to the ledger by writing it whole under a temporary name and renaming.

    Appending in place is not safe against a kill: Linux may stop a large write() part way
    on SIGKILL, and a half line would make the ledger unreadable for every later load. The
    ledger is small (a thousand lines a year), so rewriting it costs nothing.
    """
    if not receipts:
        return
    path = archive_dir(raw_dir) / RECEIPTS_NAME
    names = [field.name for field in fields(Receipt)]
    buffer = io.StringIO(newline="")
    # Every field quoted: with "\n" as the line end, the csv module quotes a field holding
    # "\n" but not one holding a lone "\r", which readers take for a line end too.
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n",
                            quoting=csv.QUOTE_ALL)
    if not path.exists():
        writer.writeheader()
    writer.writerows(asdict(receipt) for receipt in receipts)

    earlier = path.read_bytes() if path.exists() else b""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with open(temporary, "wb") as handle:
        handle.write(earlier + buffer.getvalue().encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
