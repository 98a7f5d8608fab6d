"""`dukan` leaves as a command should: `nightly` without the interpreter's teardown but with its
output, exit handlers and exit code; any command without a traceback when its reader goes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import DUKAN, PROJECT_ROOT, Scratch


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


def test_a_reader_that_stops_reading_gets_no_traceback(
    loaded_warehouse: tuple[Scratch, str],
) -> None:
    scratch, _ = loaded_warehouse
    # `dukan audit "..." | head`: the reader goes after the first lines of a long answer.
    process = subprocess.Popen([DUKAN, "audit", "select * from range(200000)"],
                               env=scratch.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100).startswith(b"| range")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_ctrl_c_ends_with_130_and_one_line(monkeypatch, capsys) -> None:
    from orchestration import cli

    def interrupted(args) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_audit", interrupted)

    assert cli.main(["audit", "select 1"]) == 130
    assert capsys.readouterr().err == "dukan: interrupted\n"
