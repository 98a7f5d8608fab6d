"""`dukan nightly` leaves without the interpreter's teardown, but not without its output,
its exit handlers or its exit code."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_leaving_runs_the_exit_handlers_and_keeps_the_output_and_the_code() -> None:
    code = (
        "import atexit, logging\n"
        "from orchestration.cli import leave_now\n"
        "atexit.register(lambda: print('exit handler ran'))\n"
        "print('summary;', end='')\n"  # a pipe is block-buffered: still in the buffer
        "leave_now(3)\n"
        "print('never printed')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 3, result.stderr
    assert result.stdout == "summary;exit handler ran\n"
