"""dbt started ahead of the build: the command, its output and its exit status go through the
prepared process, and without one dbt runs as before."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.lib.paths import DBT_PROJECT_DIR
from orchestration.tiers import dbt_warm
from orchestration.tiers.assets import DBT_IN_BUILD_FOLDER


def _build_db(tmp_path: Path) -> Path:
    build_db = tmp_path / "run-1" / "dukan.duckdb"
    build_db.parent.mkdir()
    return build_db


def _client(build_db: Path, target: Path, *args: str, socket_path: str | None,
            project: Path | None = None) -> subprocess.Popen[str]:
    """dbt as the dbt step starts it: `python -m orchestration.tiers.dbt_cli ...`."""
    env = {**os.environ, "DUKAN_BUILD_DB": str(build_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    if project is not None:
        env["DBT_PROJECT_DIR"] = env["DBT_PROFILES_DIR"] = str(project)
    env.pop(dbt_warm.SOCKET_VARIABLE, None)
    if socket_path is not None:
        env[dbt_warm.SOCKET_VARIABLE] = socket_path
    # The file log in JSON names the process of every line.
    command = [sys.executable, *DBT_IN_BUILD_FOLDER, *args, "--target-path", str(target),
               "--log-path", str(target), "--log-format-file", "json"]
    return subprocess.Popen(command, cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _log_pids(target: Path) -> set[int]:
    """The processes that wrote dbt's JSON log."""
    pids = set()
    for line in (target / "dbt.log").read_text().splitlines():
        if line.startswith("{"):
            pids.add(json.loads(line)["info"]["pid"])
    return pids


def _wait_until(condition: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def _listening(prepared: dbt_warm.Prepared) -> None:
    """Until the prepared process listens (a caller that comes earlier runs dbt itself)."""
    _wait_until(prepared.socket_path.exists)


def _long_command(prepared: dbt_warm.Prepared, tmp_path: Path) -> subprocess.Popen[str]:
    """A dbt command that runs until it is stopped, handed over: a macro of a small project
    looping for ever (a command that only takes long could end before the test acts, on a
    machine busy enough)."""
    _listening(prepared)
    project = tmp_path / "spin"
    (project / "macros").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: spin\nversion: '1.0'\nprofile: spin\nmacro-paths: [macros]\n")
    (project / "profiles.yml").write_text(
        "spin:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: spin.duckdb\n")
    # Jinja's sandbox caps a range at 100,000 items: 10^10 steps, nested.
    (project / "macros" / "spin.sql").write_text(
        "{% macro spin() %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endmacro %}\n")
    return _client(_build_db(tmp_path), tmp_path / "target", "run-operation", "spin",
                   socket_path=str(prepared.socket_path), project=project)


@pytest.fixture()
def prepared(tmp_path: Path):
    started = dbt_warm.start(tmp_path / "prepared.log")
    yield started
    started.close()
    if started.process.poll() is None:
        started.process.kill()


def _hand_over(prepared: dbt_warm.Prepared, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """A dbt command through the prepared process: the caller's status and output."""
    _listening(prepared)
    client = _client(_build_db(tmp_path), tmp_path / "target", *args,
                     socket_path=str(prepared.socket_path))
    stdout, stderr = client.communicate(timeout=300)
    return client.returncode, stdout, stderr


def test_the_prepared_process_runs_the_command_with_the_callers_streams(
    prepared: dbt_warm.Prepared, tmp_path: Path
) -> None:
    code, stdout, stderr = _hand_over(prepared, tmp_path, "parse")
    assert code == 0, stdout + stderr
    assert "Running with dbt=" in stdout, stdout + stderr  # dbt wrote to the caller's output
    # dbt ran in the prepared process, which ended with its command.
    assert _log_pids(tmp_path / "target") == {prepared.process.pid}
    assert prepared.process.wait(timeout=30) == 0
    assert not prepared.socket_path.exists()


def test_the_exit_status_and_the_error_reach_the_caller(
    prepared: dbt_warm.Prepared, tmp_path: Path
) -> None:
    code, stdout, stderr = _hand_over(prepared, tmp_path, "no-such-command")
    assert code == 2, stdout + stderr
    assert "no-such-command" in stderr
    assert prepared.process.wait(timeout=30) == 2


def test_without_a_prepared_process_dbt_runs_in_the_caller(tmp_path: Path) -> None:
    target = tmp_path / "target"
    client = _client(_build_db(tmp_path), target, "parse",
                     socket_path=str(tmp_path / "nobody-listens.sock"))
    stdout, stderr = client.communicate(timeout=300)
    assert client.returncode == 0, stdout + stderr
    assert _log_pids(target) == {client.pid}


def test_an_unused_prepared_process_quits_with_its_lifeline(tmp_path: Path) -> None:
    prepared = dbt_warm.start()
    assert os.environ[dbt_warm.SOCKET_VARIABLE] == str(prepared.socket_path)
    prepared.close()
    assert prepared.process.returncode == 0
    assert not prepared.folder.exists()
    assert dbt_warm.SOCKET_VARIABLE not in os.environ


def test_a_signal_to_the_caller_reaches_the_dbt_it_handed_over_to(
    prepared: dbt_warm.Prepared, tmp_path: Path
) -> None:
    client = _long_command(prepared, tmp_path)
    log = tmp_path / "prepared.log"
    _wait_until(lambda: "runs `dbt run-operation`" in log.read_text())  # after the go
    client.send_signal(signal.SIGTERM)
    client.communicate(timeout=60)
    assert client.returncode == -signal.SIGTERM
    assert prepared.process.wait(timeout=60) == -signal.SIGTERM



def test_a_caller_that_gave_up_is_not_run_for(prepared: dbt_warm.Prepared, tmp_path: Path) -> None:
    """The prepared process runs nothing until the caller says go: a caller that stopped
    waiting runs dbt itself, and two dbts must never build one file."""
    _listening(prepared)
    request = json.dumps({"argv": ["dbt", "parse"], "env": dict(os.environ),
                          "cwd": str(tmp_path)}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as caller:
        caller.connect(str(prepared.socket_path))
        socket.send_fds(caller, [len(request).to_bytes(4, "big")], [0, 1, 2])
        caller.sendall(request)
        assert b'"pid"' in caller.makefile("rb").readline()
    assert prepared.process.wait(timeout=30) == 0
    assert not (tmp_path / "target").exists() and not (tmp_path / "logs").exists()


def test_a_socket_that_never_answers_leaves_dbt_to_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(silent))
        listener.listen(1)
        monkeypatch.setattr(dbt_warm, "ACCEPT_TIMEOUT_S", 0.5)
        started = time.monotonic()
        code = dbt_warm.run_prepared(["dbt", "parse"],
                                     {dbt_warm.SOCKET_VARIABLE: str(silent)}, tmp_path)
    assert code is None
    assert time.monotonic() - started < 30


def test_a_caller_that_connects_and_says_nothing_does_not_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUKAN_DBT_WARM_TIMEOUT_S", "1")  # the prepared process reads it
    prepared = dbt_warm.start(tmp_path / "prepared.log")
    try:
        _listening(prepared)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
            silent.connect(str(prepared.socket_path))
            assert prepared.process.wait(timeout=60) == 0
    finally:
        prepared.close()


def test_garbage_on_the_socket_ends_it_without_running_anything(
    prepared: dbt_warm.Prepared, tmp_path: Path
) -> None:
    _listening(prepared)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as caller:
        caller.connect(str(prepared.socket_path))
        socket.send_fds(caller, [(5).to_bytes(4, "big")], [0, 1, 2])
        caller.sendall(b"{oops")
        assert prepared.process.wait(timeout=60) != 0
    assert "not a request" in (tmp_path / "prepared.log").read_text()


def test_a_prepared_dbt_killed_from_outside_is_reported_by_the_caller(
    prepared: dbt_warm.Prepared, tmp_path: Path
) -> None:
    client = _long_command(prepared, tmp_path)
    log = tmp_path / "prepared.log"
    # It took the command: it logs that after the caller's go.
    _wait_until(lambda: "runs `dbt run-operation`" in log.read_text())
    prepared.process.kill()
    _, stderr = client.communicate(timeout=60)
    assert client.returncode == 2
    assert f"prepared dbt process {prepared.process.pid} ended without an exit status" in stderr


def test_a_sigterm_ends_it_even_when_its_load_ignores_sigterm(tmp_path: Path) -> None:
    # A load started with SIGINT ignored (a background job of a script) ignores SIGTERM
    # too once Dagster has run in it, and ignored signals pass to the processes it starts.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        prepared = dbt_warm.start(tmp_path / "prepared.log")
    finally:
        signal.signal(signal.SIGTERM, previous)
    try:
        _listening(prepared)
        prepared.process.send_signal(signal.SIGTERM)
        assert prepared.process.wait(timeout=60) == -signal.SIGTERM
    finally:
        prepared.close()
