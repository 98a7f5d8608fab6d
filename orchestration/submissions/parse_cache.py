"""Parse archived files in parallel into Parquet, once per file and parser version.

Parsing is the slow part of a load and a pure function of the file's bytes (plus the drop
folder's month, which findings compare with the content), so its output is cached under
`warehouse/parsed/<parser>-<key>/`. The parser's name is a digest of this package's source:
change the reader and every file is parsed again; change nothing and a nightly run with no
new file parses nothing. The key fingerprint keeps digests made with another personal-data
key from being reused.
"""

from __future__ import annotations

import gc
import hashlib
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.personal import hasher, key_fingerprint
from orchestration.lib.workers import worker_count, worker_pool
from orchestration.submissions.arrow import (
    FINDINGS_SCHEMA,
    SUBMISSION_SCHEMA,
    VALUES_SCHEMA,
    submission_record,
    to_arrow,
)
from orchestration.submissions.model import ParsedSubmission
from orchestration.submissions.prefecture_summary import read_prefecture_summary
from orchestration.submissions.reader import read_submission
from orchestration.submissions.workbook import read_member

_PACKAGE = Path(__file__).resolve().parent
# Worker processes cost a second to start; below this many files one process is faster.
_SERIAL_BELOW = 8
_CHUNK_MAX = 64
# workbook.xml lists sheet names; a real one is a few kilobytes.
_WORKBOOK_XML_LIMIT = 1 << 20


@dataclass(frozen=True)
class ParseJob:
    file_sha256: str
    archive_path: Path
    drop_month: str
    original_name: str

    @property
    def stem(self) -> str:
        """The cache entry's name: the bytes, the drop month and the delivered name, since
        the entry depends on all three (findings quote the name, and its extension says
        how the file is read). The same bytes under another name are another entry."""
        name = hashlib.sha256(self.delivered_name.encode("utf-8", "surrogatepass"))
        return f"{self.file_sha256}-{self.drop_month}-{name.hexdigest()[:12]}"

    @property
    def delivered_name(self) -> str:
        """The file's own name, without the folders a clerk may have put it in."""
        return Path(self.original_name).name.replace("\x00", "") or "unnamed"


@dataclass(frozen=True)
class ParseOutcome:
    job: ParseJob
    cached: bool
    accepted: bool
    values: int
    findings: int


# One row per parsed file: the reader's record plus what kind of file it is.
FILE_SCHEMA = SUBMISSION_SCHEMA.append(pa.field("file_kind", pa.string(), nullable=False)).append(
    pa.field("prefecture_code", pa.string())
)


# The cached parts of a parsed file, each with its schema.
PART_SCHEMAS = {"file": FILE_SCHEMA, "values": VALUES_SCHEMA, "findings": FINDINGS_SCHEMA}


def parser_version() -> str:
    """A digest of this package's source files: the cache is valid while they are unchanged.

    The whole package counts, not only the reader, so that no change to how files are read
    or routed can leave an old parse in use; a change elsewhere costs one re-parse. Taken
    once, when the package is imported: the digest must name the code this process runs,
    and the steps of one run must agree on it even if new code is installed meanwhile (the
    parse step would otherwise write one folder and the staging step read another).
    """
    return _PARSER_VERSION


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


_PARSER_VERSION = _source_digest()


def is_prefecture_summary(path: Path) -> bool:
    """A workbook with a sheet named 汇总 is a prefecture's summary, not a county's form."""
    if path.suffix.lower() != ".xlsx":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > _WORKBOOK_XML_LIMIT:
                return False
            return 'name="汇总"' in read_member(archive, info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, RuntimeError):
        # Not a readable workbook: the county reader will say precisely what is wrong.
        return False


def cache_dir(warehouse_dir: Path, key: bytes) -> Path:
    return warehouse_dir / "parsed" / f"{parser_version()}-{key_fingerprint(key)}"


def cached_paths(cache: Path, job: ParseJob) -> dict[str, Path]:
    return {part: cache / f"{job.stem}.{part}.parquet" for part in PART_SCHEMAS}


def read_part(cache: Path, job: ParseJob, part: str) -> pa.Table:
    """One cached part of a parsed file; an empty table for a part the parse left unwritten."""
    path = cached_paths(cache, job)[part]
    if path.exists():
        return pq.read_table(path)
    return PART_SCHEMAS[part].empty_table()


def parse_all(
    jobs: Sequence[ParseJob],
    cache: Path,
    key: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> list[ParseOutcome]:
    """Parse what is not cached yet, on every core; report (done, total) as it goes."""
    cache.mkdir(parents=True, exist_ok=True)
    todo: list[ParseJob] = []
    outcomes: dict[str, ParseOutcome] = {}
    for job in jobs:
        if cached_paths(cache, job)["file"].exists():
            outcomes[job.stem] = _cached_outcome(cache, job)
        else:
            todo.append(job)

    if len(todo) < _SERIAL_BELOW:
        results = (parse_one(job, cache, key) for job in todo)
        _collect(results, outcomes, len(todo), progress)
    else:
        workers = worker_count(len(todo))
        # gc.freeze keeps the imported modules out of the cycle collector's sight for the
        # worker's life.
        with worker_pool(workers, preload=[__name__], initializer=gc.freeze) as pool:
            # Results come back a chunk at a time: small enough chunks that progress is
            # reported every few seconds and the last ones keep both workers busy.
            chunk = max(1, min(_CHUNK_MAX, len(todo) // (workers * 4)))
            results = pool.map(parse_one, todo, [cache] * len(todo), [key] * len(todo),
                               chunksize=chunk)
            _collect(results, outcomes, len(todo), progress)
    return [outcomes[job.stem] for job in jobs]


def _collect(results, outcomes: dict, total: int, progress) -> None:
    for done, outcome in enumerate(results, start=1):
        outcomes[outcome.job.stem] = outcome
        if progress is not None:
            progress(done, total)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Reading a workbook makes thousands of objects that live until it is written, and no
    reference cycles worth collecting; Python's cycle collector, run every few hundred
    allocations, scanned them again and again and took a fifth of the parse. Memory is
    still freed by reference counting; the collector runs again after the file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_one(job: ParseJob, cache: Path, key: bytes) -> ParseOutcome:
    """Parse one file into the cache: a worker's task (and the parse ahead's)."""
    with _no_cycle_collection():
        return _parse_and_write(job, cache, key)


def _parse_and_write(job: ParseJob, cache: Path, key: bytes) -> ParseOutcome:
    # The archived copy is read; findings quote the name the clerk used.
    path, name = job.archive_path, job.delivered_name
    if is_prefecture_summary(path):
        parsed, kind, prefecture = _read_summary(path, job, key)
    else:
        parsed = read_submission(path, declared_period=job.drop_month,
                                 hash_personal=hasher(key), name=name)
        kind, prefecture = "county", None
    values, findings = to_arrow(parsed, job.file_sha256)
    record = submission_record(parsed, job.file_sha256)
    record = record.append_column(FILE_SCHEMA.field("file_kind"), pa.array([kind]))
    record = record.append_column(
        FILE_SCHEMA.field("prefecture_code"), pa.array([prefecture], pa.string())
    )

    paths = cached_paths(cache, job)
    # An empty part is not written: most files have no findings, and an empty Parquet file
    # costs as much to write (and to stage) as a full one. The record is written last: its
    # presence is what marks the entry complete, and a part missing beside it is empty. A
    # part an interrupted earlier parse of the entry left is removed first, since it may
    # not be what this parse found (the delivered name, and so the format, may differ).
    for part, table in (("values", values), ("findings", findings), ("file", record)):
        if part == "file" or table.num_rows:
            _write_atomically(table, paths[part])
        else:
            paths[part].unlink(missing_ok=True)
    return ParseOutcome(job, False, parsed.accepted, values.num_rows, findings.num_rows)


def _read_summary(
    path: Path, job: ParseJob, key: bytes
) -> tuple[ParsedSubmission, str, str | None]:
    """A prefecture summary in the shape of a submission: its values are keyed by county."""
    summary = read_prefecture_summary(
        path, hash_personal=hasher(key), declared_period=job.drop_month,
        name=job.delivered_name,
    )
    parsed = ParsedSubmission(
        file_name=summary.file_name,
        format="xlsx",
        county_name=summary.prefecture_name,
        period=summary.period,
        filled_date=summary.filled_date,
        declared_period=summary.declared_period,
        personal=summary.personal,
        values=summary.values,
        findings=summary.findings,
    )
    return parsed, "prefecture_summary", summary.prefecture_code


def _cached_outcome(cache: Path, job: ParseJob) -> ParseOutcome:
    # ParquetFile, not read_table: a quarter of the time (0.3 ms), which a forced run of
    # every month pays for each of its files.
    record = pq.ParquetFile(cached_paths(cache, job)["file"]).read(
        columns=["accepted", "values", "errors", "warnings"]
    ).to_pylist()[0]
    return ParseOutcome(
        job, True, bool(record["accepted"]), int(record["values"]),
        int(record["errors"]) + int(record["warnings"]),
    )


# Columns that repeat a few values across a file's rows; only these are dictionary-encoded.
# Encoding the others (cell, raw, the values) cost a third of the write and saved nothing.
_DICTIONARY_COLUMNS = frozenset(
    ("file_sha256", "file_name", "county_code", "period", "table", "row_key", "indicator",
     "kind", "sheet", "severity", "code")
)


def _write_atomically(table: pa.Table, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    # No column statistics: staging reads every row, so nothing ever skips a page by them,
    # and they cost a fifth of the write. A one-row file gets no dictionary at all.
    dictionary = (
        [name for name in table.schema.names if name in _DICTIONARY_COLUMNS]
        if table.num_rows > 1 else False
    )
    pq.write_table(table, temporary, write_statistics=False, use_dictionary=dictionary)
    os.replace(temporary, path)
