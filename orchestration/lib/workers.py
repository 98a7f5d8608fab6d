"""Worker processes for the steps that share files or months out over the cores."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def worker_count(tasks: int) -> int:
    """One worker per core, and never more workers than tasks."""
    return max(1, min(tasks, os.cpu_count() or 1))


def worker_pool(
    workers: int,
    *,
    preload: Sequence[str] = (),
    initializer: Callable[[], object] | None = None,
) -> ProcessPoolExecutor:
    """A process pool whose workers fork from a forkserver.

    forkserver, not fork: the caller is a multi-threaded Dagster process, and forking it
    could copy a lock another thread holds. The server is a clean process that imports the
    ``preload`` modules once; workers fork from it in milliseconds (spawn would import
    everything again in every worker). A process has one server, started by its first
    pool: later pools' ``preload`` adds nothing, and their modules load in each worker.
    """
    context = get_context("forkserver")
    if preload:
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer)
