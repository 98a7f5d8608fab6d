"""What the published warehouse was built from, so a nightly run with nothing new can stop.

The warehouse is a function of its inputs: the files in the drop zone, the reference CSVs,
the personal-data key and the code that reads them (this package, the dbt project, the
expectations, the pinned dependencies). ``current_inputs`` digests each of them;
``record_publish`` stores the digests a run started from beside the warehouse it
published, with the identity of that file, once the whole run has ended well (a run killed
after the publish but before its exports and feedback were written leaves no record, so
the next run does them); ``compare`` tells whether anything differs
now. Only the standard library is imported, so the check runs before Dagster, dbt or
DuckDB are loaded.

The digests are taken when a run starts, before it reads anything: a file that arrives
during the run makes the next run differ, and is loaded then.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.lib.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR, PROJECT_ROOT, ProjectPaths
from orchestration.lib.periods import MONTH_FOLDER

RECORD_NAME = "dukan.inputs.json"
VERSION = 1
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Folders inside the code trees that hold what a run writes, not what it reads.
_SKIPPED_DIRS = frozenset({"__pycache__", "target", "logs", "uncommitted", ".user.yml"})
_CODE_FILES = ("pyproject.toml", "constraints.txt")


@dataclass(frozen=True)
class Decision:
    unchanged: bool
    current: dict[str, str]
    changed: tuple[str, ...]  # names of the inputs that differ ("warehouse" if it was replaced)
    published_at: str | None
    # The drop zone's listing digest per month folder now, and the folders whose listing
    # differs from the publish's (None when that cannot be told: no record of them, or a
    # folder has gone).
    months: dict[str, str] = field(default_factory=dict)
    changed_months: tuple[str, ...] | None = None


def current_inputs(paths: ProjectPaths, months: dict[str, str] | None = None) -> dict[str, str]:
    """One digest per kind of input, as they are now (``months``: ``month_listings``, when
    the caller has them already)."""
    months = month_listings(paths) if months is None else months
    return {
        "code": _digest_contents(_code_files(), PROJECT_ROOT),
        "reference": _digest_contents(_files(paths.reference_dir), paths.reference_dir),
        # Size and modification time, not contents: a delivery is a new or touched file,
        # and hashing every workbook every night would be the very work being skipped.
        "submissions": _digest_submissions(paths.raw_dir / "submissions", months),
        "personal_key": _key_digest(),
    }


def compare(paths: ProjectPaths, current: dict[str, str] | None = None) -> Decision:
    """Whether the published warehouse was built from exactly the inputs there are now."""
    months = month_listings(paths)
    current = current if current is not None else current_inputs(paths, months)
    record = read_record(paths)
    if record is None or not paths.published_db.exists():
        return Decision(False, current, ("warehouse",), None, months)

    changed = [name for name in current if record["inputs"].get(name) != current[name]]
    if record.get("published") != _identity(paths.published_db):
        changed.append("warehouse")
    return Decision(not changed, current, tuple(changed), record.get("published_at"), months,
                    _changed_months(record.get("months"), months))


def month_listings(paths: ProjectPaths) -> dict[str, str]:
    """The listing digest of each month folder of the drop zone."""
    root = paths.raw_dir / "submissions"
    if not root.is_dir():
        return {}
    return {
        entry.name: _digest_listing(entry)
        for entry in sorted(root.iterdir())
        if entry.is_dir() and not entry.is_symlink() and MONTH_FOLDER.fullmatch(entry.name)
    }


def _changed_months(recorded: object, now: dict[str, str]) -> tuple[str, ...] | None:
    if not isinstance(recorded, dict) or set(recorded) - set(now):
        return None
    return tuple(month for month, digest in now.items() if recorded.get(month) != digest)


def read_record(paths: ProjectPaths) -> dict | None:
    path = record_path(paths)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != VERSION:
        return None
    return record


def record_path(paths: ProjectPaths) -> Path:
    return paths.warehouse_dir / RECORD_NAME


def record_publish(
    paths: ProjectPaths, inputs: dict[str, str], run_id: str,
    months: dict[str, str] | None = None,
) -> Path:
    """Store the inputs a run started from beside the warehouse it has just published.

    Written to a temporary name, synced and renamed, so a reader sees the old record or
    the new one. It names the published file by inode, size and time: if that file is
    replaced any other way, the record no longer matches and the next run loads.
    """
    record = {
        "version": VERSION,
        "inputs": inputs,
        "published": _identity(paths.published_db),
        # Beijing time, as every other time the warehouse shows.
        "published_at": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        "run_id": run_id,
        "months": months if months is not None else month_listings(paths),
    }
    path = record_path(paths)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def forget(paths: ProjectPaths) -> None:
    """Drop the record, so that the next nightly run loads whatever it finds."""
    record_path(paths).unlink(missing_ok=True)


def _identity(path: Path) -> dict[str, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return {"inode": stat.st_ino, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _code_files() -> Iterator[Path]:
    yield from _files(Path(__file__).resolve().parents[1], suffixes=(".py",))
    yield from _files(DBT_PROJECT_DIR)
    yield from _files(EXPECTATIONS_DIR)
    for name in _CODE_FILES:
        if (PROJECT_ROOT / name).exists():
            yield PROJECT_ROOT / name


def _files(root: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
    """Regular files under root in a stable order, outside the folders runs write to."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                continue
            yield Path(folder, name)


def _digest_contents(files: Iterator[Path], root: Path) -> str:
    """Each file's path, relative to ``root`` (a copy of the project or of raw/ elsewhere is
    the same input), and its content."""
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest.update(name.encode("utf-8", errors="surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _digest_listing(root: Path, skipped: Collection[str] = ()) -> str:
    """Every entry under root by path, size and modification time, links included; the
    folders named in ``skipped`` (directly under root) left out."""
    digest = hashlib.sha256()
    if root.exists():
        for folder, dirs, names in os.walk(root):
            if folder == str(root):
                dirs[:] = [d for d in dirs if d not in skipped]
            dirs.sort()
            for name in sorted(names):
                path = Path(folder, name)
                stat = path.lstat()
                entry = f"{path.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
                digest.update(entry.encode("utf-8", errors="surrogateescape"))
    return digest.hexdigest()


def _digest_submissions(root: Path, months: dict[str, str]) -> str:
    """The drop zone: each month folder by its listing digest (taken once, for the months a
    run loads too), everything else entry by entry."""
    digest = hashlib.sha256()
    for month, listing in sorted(months.items()):
        digest.update(f"{month}/\0{listing}\n".encode())
    digest.update(_digest_listing(root, skipped=months.keys()).encode())
    return digest.hexdigest()


def _key_digest() -> str:
    """The key's public fingerprint (as in the parse cache's name): a new key, new hashes."""
    from orchestration.lib.personal import key_fingerprint, key_path

    path = key_path()
    return key_fingerprint(path.read_bytes()) if path.exists() else ""
