"""Parse the run's files on the idle core while the load starts.

A nightly load spends its first seconds on one core: importing Dagster, opening its
instance, creating the run, archiving. The other core imports dbt for the dbt step
(``orchestration.tiers.dbt_warm``) and then waits. `dukan nightly` knows before any of
that which months it loads, so it starts a process (``start``) that parses those months'
files into the parse cache as the parse step would, at the lowest priority, so that it
only takes time no other process of the load wants. The parse step shares the rest of
the files with it (``parse_alongside``) and then stops it (``stop``): what it finished is
a cache entry like any other.

A cache entry is keyed by the file's bytes, drop month and delivered name (findings quote
the name the clerk used). A file whose bytes are in the month's folder or its receipts
under another name too is left to the step, which chooses the name (the earliest
receipt); the process would only guess. The bytes parsed are the bytes hashed, read once
and parsed from a private copy, so a file replaced or renamed meanwhile is at worst
parsed for nothing: its entry is not the one the step looks for.

Nothing depends on it: without it (a run from the Dagster UI or the sensor, no
personal-data key yet, a process that failed) the parse step parses everything, as before.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from orchestration.lib.personal import key_path
from orchestration.lib.workers import private_folder, worker_count
from orchestration.submissions.archive import (
    delivered_files,
    read_receipts,
    readable_name,
    safe_suffix,
)
from orchestration.submissions.parse_cache import (
    ParseJob,
    ParseOutcome,
    cache_dir,
    cached_paths,
    parse_all,
    parse_one,
)

# Bigger files are left to the parse step: a month's files are held in memory at once.
_MAX_FILE_BYTES = 32 << 20
# A file takes milliseconds. One not finished this long after the step asked it to stop
# is abandoned, its process killed and its unfinished parts removed: a file that costs
# seconds, or a machine so busy that a process at the lowest priority gets no time.
_STOP_TIMEOUT_S = 2.0
_OUTCOMES = "outcomes.tsv"


class _Ahead:
    """The process parsing ahead, its private folder, and the cache it writes."""

    process: subprocess.Popen[bytes] | None = None
    folder: Path | None = None
    cache: Path | None = None


def start(raw_dir: Path, warehouse_dir: Path, months: Sequence[str],
          log: Path | None = None) -> bool:
    """Start parsing ``months``' files ahead of the parse step; False when it cannot."""
    if _Ahead.process is not None or not months or not key_path().exists():
        return False  # the run makes the key on a first load: nothing to parse with yet
    folder = private_folder("ahead")
    output = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        _Ahead.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(raw_dir), str(warehouse_dir), str(folder),
             str(os.getpid()), *months],
            stdin=subprocess.PIPE, stdout=output, stderr=output, close_fds=True,
        )
    finally:
        if output is not subprocess.DEVNULL:
            output.close()
    _Ahead.folder = folder
    _Ahead.cache = cache_dir(warehouse_dir, key_path().read_bytes())
    return True


def parse_alongside(
    jobs: Sequence[ParseJob], cache: Path, key: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[ParseOutcome], int] | None:
    """The parse step's work, shared with the process parsing ahead: (every job's outcome,
    how many of the files that process parsed), or None when none is parsing ahead.

    On a machine of two cores, this process and the one ahead are the two workers: the
    parse step's pool would take a second to start (a server importing the reader, then
    its workers) while a core sat idle. This process parses from the end of the list
    while the other goes on from the start; a file either finds done is passed over. When
    they meet, or when the other has ended, it is stopped, and what neither parsed (a file
    whose name was not certain, one the other gave up on) is parsed as usual. On more
    cores the other is stopped at once and the pool takes the rest.
    """
    process = _Ahead.process
    if process is None:
        return None
    # Made here too: a parser changed since the process started (a deployment during the
    # run) names another folder, which that process never made.
    cache.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, ParseOutcome] = {}
    try:
        if worker_count(len(jobs)) <= 2:
            _parse_from_the_end(process, jobs, cache, key, outcomes, progress)
    finally:
        ahead = stop()
    by_stem = {job.stem: job for job in jobs}
    parsed_ahead = 0
    for stem, outcome in ahead.items():
        # An entry under another name than the step's (a copy delivered after the process
        # looked, with an earlier time) is another stem, and not used.
        # Only an entry in this step's folder counts: one written under another parser's
        # version would be staged as a file with nothing in it.
        job = by_stem.get(stem)
        if (job is not None and stem not in outcomes
                and cached_paths(cache, job)["file"].exists()):
            outcomes[stem] = ParseOutcome(job, False, *outcome)
            parsed_ahead += 1
    rest = [job for job in jobs if job.stem not in outcomes]
    outcomes.update((o.job.stem, o) for o in parse_all(rest, cache, key, progress))
    return [outcomes[job.stem] for job in jobs], parsed_ahead


def _parse_from_the_end(process: subprocess.Popen[bytes], jobs: Sequence[ParseJob],
                        cache: Path, key: bytes, outcomes: dict[str, ParseOutcome],
                        progress: Callable[[int, int], None] | None) -> None:
    # Dagster's objects stay out of the cycle collector's sight meanwhile, as a worker's
    # imports do: between files it would scan them all.
    gc.freeze()
    try:
        for passed, job in enumerate(reversed(jobs), start=1):
            if process.poll() is not None:
                return  # it has done all it could: the rest as usual
            if not cached_paths(cache, job)["file"].exists():
                outcomes[job.stem] = parse_one(job, cache, key)
            if progress is not None:
                progress(passed, len(jobs))
    finally:
        gc.unfreeze()


def stop() -> dict[str, tuple[bool, int, int]]:
    """Stop parsing ahead once the file in hand is written; what it parsed, by job stem:
    (accepted, values, findings). Empty when nothing was parsing ahead."""
    process, folder, cache = _Ahead.process, _Ahead.folder, _Ahead.cache
    _Ahead.process = _Ahead.folder = _Ahead.cache = None
    if process is None or folder is None:
        return {}
    try:
        # Its input closes first: the signal to stop.
        process.communicate(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        print(f"parse_ahead: process {process.pid} had not stopped {_STOP_TIMEOUT_S:.0f} s after "
              "it was asked (a file that takes long, or no time left for it on a busy "
              "machine): killed; the parse step parses what it had not finished",
              file=sys.stderr, flush=True)
        if cache is not None:
            for partial in cache.glob(f".*.{process.pid}.partial"):
                partial.unlink(missing_ok=True)
    try:
        return _read_outcomes(folder / _OUTCOMES)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_outcomes(path: Path) -> dict[str, tuple[bool, int, int]]:
    """The outcome lines of finished files; a line cut short by a kill is left out (its
    file, if whole in the cache, is read from there)."""
    outcomes = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                o = json.loads(line)
                outcomes[o["stem"]] = (bool(o["accepted"]), int(o["values"]),
                                       int(o["findings"]))
            except (ValueError, KeyError, TypeError):
                continue
    return outcomes


# --- the process ------------------------------------------------------------------------


def parse_months(raw_dir: Path, cache: Path, key: bytes, months: Sequence[str], scratch: Path,
                 stopping: Callable[[], bool] = lambda: False) -> list[ParseOutcome]:
    """Parse into ``cache`` every file of ``months`` whose name is certain and that is not
    cached yet, until ``stopping`` says so; the outcomes, also written as lines to
    ``scratch``/outcomes.tsv as each file is done. ``scratch`` holds the copies parsed."""
    cache.mkdir(parents=True, exist_ok=True)
    names = _receipt_names(raw_dir)
    done: list[ParseOutcome] = []
    with open(scratch / _OUTCOMES, "a", encoding="utf-8", buffering=1) as lines:
        for month in months:
            for job, data in _month_jobs(raw_dir, month, names, cache, scratch):
                if stopping():
                    return done
                job.archive_path.write_bytes(data)
                try:
                    outcome = parse_one(job, cache, key)
                except Exception as error:  # noqa: BLE001 - the step meets it and says so
                    print(f"parse_ahead: {month}/{job.original_name}: {error!r}; left to the "
                          "parse step", file=sys.stderr)
                    continue
                finally:
                    job.archive_path.unlink()
                done.append(outcome)
                lines.write(json.dumps({
                    "stem": job.stem, "accepted": outcome.accepted,
                    "values": outcome.values, "findings": outcome.findings,
                }) + "\n")
    return done


def _receipt_names(raw_dir: Path) -> dict[tuple[str, str], set[str]]:
    """The names each (content, month) was received under before this run."""
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for receipt in read_receipts(raw_dir):
        names[receipt.file_sha256, receipt.drop_month].add(receipt.original_name)
    return names


def _month_jobs(raw_dir: Path, month: str, names: dict[tuple[str, str], set[str]],
                cache: Path, scratch: Path) -> Iterator[tuple[ParseJob, bytes]]:
    """The month's files to parse: not cached, and delivered under one name only."""
    folder = raw_dir / "submissions" / month
    if not folder.is_dir():
        return
    contents: dict[str, bytes] = {}
    delivered: dict[str, set[str]] = defaultdict(set)
    for path in delivered_files(folder):
        try:
            if path.stat().st_size > _MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue  # gone or unreadable: the archive step reports it
        digest = hashlib.sha256(data).hexdigest()
        contents.setdefault(digest, data)
        delivered[digest].add(readable_name(path.name))
    for digest, data in contents.items():
        every_name = delivered[digest] | names.get((digest, month), set())
        if len(every_name) != 1:
            continue
        [name] = every_name
        job = ParseJob(digest, scratch / f"{digest}{safe_suffix(name)}", month, name)
        if not cached_paths(cache, job)["file"].exists():
            yield job, data


def _stop_at_end_of_input() -> Callable[[], bool]:
    """The stop signal: standard input closing (the step's ``stop``, or the load gone)."""
    closed = threading.Event()

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        closed.set()

    threading.Thread(target=watch, name="stop-watch", daemon=True).start()
    return closed.is_set


def _lowest_priority() -> None:
    """Run only on a core nothing else of the load wants (SCHED_IDLE), else at nice 19."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def main(argv: list[str]) -> int:
    raw_dir, warehouse_dir, scratch = Path(argv[0]), Path(argv[1]), Path(argv[2])
    # Passed in, not read here: by the time this process runs, its load may be gone.
    load, months = int(argv[3]), argv[4:]
    # A Ctrl-C reaches the whole process group; this process stops when its input closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lowest_priority()
    stopping = _stop_at_end_of_input()
    began = time.monotonic()
    gc.freeze()  # the imported modules, out of the cycle collector's sight (as in the workers)
    key = key_path().read_bytes()
    done = parse_months(raw_dir, cache_dir(warehouse_dir, key), key, months, scratch, stopping)
    print(f"parse_ahead: process {os.getpid()} parsed {len(done)} files of {months[0]}.."
          f"{months[-1]} in {time.monotonic() - began:.1f} s", file=sys.stderr)
    if os.getppid() != load:  # the load is gone: nobody will read or remove the folder
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown (freeing pyarrow's and the reader's objects takes a good part
    # of a second), which the parse step would wait for: every file is written and closed.
    os._exit(status)
