"""Worker processes end with the load that started them, even a load that was killed."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.lib.workers import _alive, private_folder
from tests.conftest import DUKAN

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


def test_a_load_folder_whose_load_is_gone_is_removed_by_the_next(tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"dukan-ahead-{gone.stdout.strip()}-x1"
    living = tmp_path / f"dukan-ahead-{os.getppid()}-x2"  # pytest's parent lives
    other_kind = tmp_path / f"dukan-dbt-{gone.stdout.strip()}-x3"
    for folder in (dead, living, other_kind):
        folder.mkdir()
        (folder / "copy.xlsx").write_bytes(b"clear text")

    made = private_folder("ahead")

    assert not dead.exists() and living.exists() and other_kind.exists()
    assert made.name.startswith(f"dukan-ahead-{os.getpid()}-") and made.parent == tmp_path
    assert made.stat().st_mode & 0o777 == 0o700


def test_a_refused_second_load_starts_nothing(scratch) -> None:
    month = scratch.raw / "submissions" / "2020-03"
    month.mkdir(parents=True)
    (month / "宕昌县.xlsx").write_bytes(b"not read")
    with open(scratch.warehouse / ".load.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a load is running
        load = subprocess.Popen([DUKAN, "nightly"], env=scratch.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = load.communicate(timeout=300)

    assert load.returncode == 1, out + err
    assert "another nightly load is running" in out
    started = list(Path(tempfile.gettempdir()).glob(f"dukan-*-{load.pid}-*"))
    assert started == [] and not list((scratch.warehouse / "logs").glob("nightly-*.log"))
    assert not (scratch.raw / "archive").exists()


def test_a_night_with_nothing_to_load_still_removes_a_killed_loads_folders(
    loaded_warehouse, tmp_path: Path,
) -> None:
    scratch, _ = loaded_warehouse
    env = {**scratch.env(), "TMPDIR": str(tmp_path)}
    # Other tests use this warehouse too: once more, so that the night below has nothing.
    subprocess.run([DUKAN, "nightly"], env=env, capture_output=True, timeout=600, check=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    left = [tmp_path / f"dukan-ahead-{gone}-k1", tmp_path / f"dukan-dbt-{gone}-k2"]
    for folder in left:
        folder.mkdir()
    (left[0] / "copy.xlsx").write_bytes(b"a clerk's workbook, names and telephone numbers")

    result = subprocess.run([DUKAN, "nightly"], env=env, capture_output=True, text=True,
                            timeout=300, check=False)

    assert result.returncode == 0 and "Nothing changed" in result.stdout, result.stdout
    assert not any(folder.exists() for folder in left)


def test_the_runs_subprocesses_write_into_the_log_not_the_terminal(tmp_path: Path,
                                                                   capfd) -> None:
    from orchestration.nightly import _into

    log_path = tmp_path / "nightly.log"
    with open(log_path, "a") as log, _into(log):
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('helper traceback')"],
                       check=True)
        os.write(1, b"native output\n")
    print("summary")

    captured = capfd.readouterr()
    assert captured.out == "summary\n" and captured.err == ""
    assert log_path.read_text() == "helper tracebacknative output\n"


def _session_members(session: int) -> list[int]:
    """Live processes of a session: what a load left behind after it ended."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while listed
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_for_line(path_glob: Path, text: str, process: subprocess.Popen, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.poll() is None:
        for log in path_glob.parent.glob(path_glob.name):
            if text in log.read_text(errors="replace"):
                return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached the log; the load ended {process.poll()}")


def _background_load(env: dict[str, str], stderr: int | None) -> subprocess.Popen:
    """A month simulated, and `dukan nightly` started in its own session, as a service
    manager starts it, with SIGINT ignored, as for a background job of a script (`nohup
    dukan nightly &`): Dagster gives SIGTERM the SIGINT handler it finds."""
    subprocess.run([DUKAN, "simulate", "--months", "2020-03..2020-03"], env=env,
                   capture_output=True, timeout=300, check=True)
    return subprocess.Popen([DUKAN, "nightly"], env=env, text=True, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=stderr,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))


@contextmanager
def _killed_if_left(load: subprocess.Popen) -> Iterator[None]:
    """A failed test leaves no load running."""
    try:
        yield
    finally:
        if load.poll() is None:
            os.killpg(load.pid, signal.SIGKILL)


def _stopped(load: subprocess.Popen) -> tuple[str, str]:
    """SIGTERM, as `kill PID` or a service manager sends it; its output once it ends."""
    load.terminate()
    out, err = load.communicate(timeout=120)
    return out, err or ""


def _assert_nothing_left(load: subprocess.Popen, temporary: Path) -> None:
    deadline = time.monotonic() + 30
    while _session_members(load.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _session_members(load.pid) == []
    assert list(temporary.glob(f"dukan-*-{load.pid}-*")) == []


def test_a_sigterm_mid_load_publishes_nothing_and_leaves_nothing_running(scratch,
                                                                          tmp_path: Path) -> None:
    env = {**scratch.env(), "TMPDIR": str(tmp_path)}
    load = _background_load(env, subprocess.STDOUT)
    with _killed_if_left(load):
        # While dbt builds: a process of its own writing the run's build file.
        _wait_for_line(scratch.warehouse / "logs" / "nightly-*.log",
                       'Started execution of step "dbt_models"', load, 300)
        time.sleep(1)
        out = _stopped(load)[0]

    assert load.returncode == 1, out
    assert "Nothing published" in out and "Traceback" not in out, out
    assert "dbt_models: interrupted (Ctrl-C or SIGTERM)" in out, out
    assert not scratch.published.exists()
    _assert_nothing_left(load, tmp_path)

    # The interrupted run holds nothing the next night needs: no lock, no pool slot.
    again = subprocess.run([DUKAN, "nightly"], env=env, capture_output=True, text=True,
                           timeout=600, check=False)
    assert again.returncode == 0 and "0 failed" in again.stdout, again.stdout + again.stderr
    assert scratch.published.exists()


def test_a_sigterm_before_the_run_stops_what_the_load_started(scratch, tmp_path: Path) -> None:
    load = _background_load({**scratch.env(), "TMPDIR": str(tmp_path)}, subprocess.PIPE)
    with _killed_if_left(load):
        # The dbt and the parse ahead are started before Dagster is imported, which takes
        # seconds: the signal comes while both run and the run does not exist yet.
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(f"dukan-ahead-{load.pid}-*")):
            assert time.monotonic() < deadline and load.poll() is None, load.communicate()
            time.sleep(0.05)
        out, err = _stopped(load)

    assert load.returncode == 143, out + err
    assert err.strip().endswith("dukan: stopped (SIGTERM)") and "Traceback" not in err, err
    assert not scratch.published.exists()
    _assert_nothing_left(load, tmp_path)
    assert list(tmp_path.glob("dukan-*")) == []
