"""Worker processes for the steps that share files or months out over the cores."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path


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
    return ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker,
                               initargs=(os.getpid(), initializer))


def start_worker(load: int, initializer: Callable[[], object] | None = None) -> None:
    """A pool worker's first step: it ends with the load, then ``initializer`` runs."""
    exit_with(load)
    if initializer is not None:
        initializer()


def exit_with(load: int) -> None:
    """End this worker process once the process ``load`` is gone.

    A pool's worker holds both ends of its task queue, so a worker whose load was killed
    (SIGKILL: nothing stops the pool) would wait for a task forever. The load's pid is
    passed in, not read here: by the time a worker starts, its load may be gone already.
    """
    threading.Thread(target=_watch, args=(load,), name="load-watch", daemon=True).start()


def _watch(load: int) -> None:
    while _alive(load):
        time.sleep(1)
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed load whose parent has not reaped it yet is a zombie: gone for this purpose.
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return True


LOAD_FOLDER_KINDS = ("ahead", "dbt")


def private_folder(kind: str) -> Path:
    """A new folder of mode 0700 under the temporary directory, for a process the load
    starts beside it (``kind`` names which), named with this load's pid; those of loads
    that are gone are removed first (``remove_dead_load_folders``)."""
    remove_dead_load_folders((kind,))
    root = Path(tempfile.gettempdir())
    return Path(tempfile.mkdtemp(prefix=f"dukan-{kind}-{os.getpid()}-", dir=root))


def remove_dead_load_folders(kinds: Sequence[str] = LOAD_FOLDER_KINDS) -> None:
    """Remove this user's load folders (``private_folder``) whose load is gone.

    The load removes its folders when it ends; a load killed (SIGKILL, the whole process
    group) cannot, and a folder may hold a clerk's workbook in clear text. Each folder's
    name carries its load's pid, so the next nightly command, whether it loads or not,
    removes them.
    """
    root = Path(tempfile.gettempdir())
    for kind in kinds:
        for folder in root.glob(f"dukan-{kind}-*-*"):
            pid = folder.name.split("-")[2]
            try:
                mine = folder.stat().st_uid == os.getuid()
            except OSError:
                continue
            if mine and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
