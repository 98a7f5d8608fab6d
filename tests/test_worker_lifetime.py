"""Worker processes end with the load that started them, even a load that was killed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from orchestration.lib.workers import _alive

LOAD = """
import os, sys
from orchestration.lib.workers import worker_pool

if __name__ == "__main__":
    pool = worker_pool(2, preload=["orchestration.submissions.parse_cache"])
    assert list(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]
    print(" ".join(str(pid) for pid in pool._processes), flush=True)
    os.kill(os.getpid(), 9)  # as a load killed mid-parse
"""


def test_parse_workers_end_when_their_load_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    load = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    workers = [int(pid) for pid in load.stdout.readline().split()]
    assert load.wait(timeout=60) == -9
    assert len(workers) == 2
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
    load.stdout.close()
