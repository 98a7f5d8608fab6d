"""Every hostile file through the parser, one process each, within bounded time and memory.

The parser runs in the nightly load's worker processes; here each file gets a fresh process
so that one file's time and peak memory are its own, and a file that hung or blew up memory
would be killed and named instead of taking the test run down with it.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from orchestration.submissions.parse_cache import ParseJob, parse_all, read_part
from tests.reliability.hostile_corpus import (
    ACCEPT,
    QUARANTINE,
    SECRET,
    Hostile,
    corpus,
    write_corpus,
)

# Safety bounds, not performance targets: a file the reader fails to bound blows past them.
MAX_SECONDS = 30
MAX_RSS_BYTES = 1 << 30
RECEIVED = 1584671000.0  # 2020-03-20 10:23 Beijing time
KEY = b"hostile-corpus-test-key-32-bytes"


def _parse_in_child(job: ParseJob, cache: Path, reply: Connection) -> None:
    outcome = parse_all([job], cache, KEY)[0]
    findings = read_part(cache, job, "findings").to_pylist()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    reply.send((outcome.accepted, findings, peak))


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """name -> (accepted, findings, peak RSS bytes, seconds) for every file that loads."""
    root = tmp_path_factory.mktemp("hostile")
    files = write_corpus(root / "drop", root / "outside" / "secret.txt", RECEIVED)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["orchestration.submissions.parse_cache"])
    results = {}
    for index, hostile in enumerate(h for h in files if h.loads):
        job = ParseJob(f"{index:064d}", root / "drop" / hostile.name, "2020-03", hostile.name)
        results[hostile.name] = _run_bounded(context, job, root / "cache")
    return results


def _run_bounded(context, job: ParseJob, cache: Path) -> tuple:
    receive, send = context.Pipe(duplex=False)
    started = time.monotonic()
    child = context.Process(target=_parse_in_child, args=(job, cache, send))
    child.start()
    send.close()
    ready = receive.poll(MAX_SECONDS)
    seconds = time.monotonic() - started
    if not ready:
        child.kill()
        child.join()
        return (None, [], 0, seconds)
    accepted, findings, peak = receive.recv()
    child.join(MAX_SECONDS)
    return (accepted, findings, peak, seconds)


def test_the_corpus_is_large_and_covers_every_kind_of_outcome(tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "drop", tmp_path / "secret.txt", RECEIVED)

    assert len(files) >= 40
    assert len({h.name for h in files}) == len(files)
    assert {h.outcome for h in files} == {QUARANTINE, ACCEPT, "skip", "ignore"}


@pytest.mark.parametrize("hostile", [
    pytest.param(h, id=h.fault) for h in corpus(Path("/nonexistent")) if h.loads
])
def test_each_file_gets_its_reason_within_bounds(parsed, hostile: Hostile) -> None:
    accepted, findings, peak, seconds = parsed[hostile.name]

    assert accepted is not None, f"{hostile.fault}: no answer within {MAX_SECONDS} s"
    assert seconds < MAX_SECONDS and peak < MAX_RSS_BYTES, (seconds, peak)
    errors = {f["code"] for f in findings if f["severity"] == "error"}
    others = {f["code"] for f in findings if f["severity"] != "error"}
    if hostile.outcome == QUARANTINE and not hostile.at_load:
        assert not accepted and hostile.codes <= errors, (errors, findings)
    else:
        # Accepted by the parser: the load-time rules reject the at_load ones (see the
        # end-to-end test).
        assert accepted and not errors, findings
        assert hostile.warnings <= others, others


def test_nothing_from_outside_the_file_reaches_a_finding(parsed) -> None:
    texts = [
        " ".join(str(value) for value in finding.values())
        for _, findings, _, _ in parsed.values()
        for finding in findings
    ]

    assert not any(SECRET in text for text in texts)


def test_zip_members_named_like_paths_are_never_written(parsed) -> None:
    assert "zip-slip.xlsx" in parsed
    assert not Path("/tmp/dukan-zip-slip.txt").exists()
    assert not Path("/etc/dukan-zip-slip.txt").exists()
