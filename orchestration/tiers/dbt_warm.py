"""A dbt process started ahead of the build, so the build does not wait for dbt's imports.

Importing dbt takes about 1.8 s, paid by every `dbt build` and nearly all of it on the
critical path of a nightly load: the build can only start once the files are staged. The
second core is idle for most of the load's first seconds (Dagster importing, the archive),
so `dukan nightly` starts a process there that imports dbt and then waits (``start``):

- it listens on a Unix socket in a private folder (mode 0700), and accepts one request,
  from a process of the same user, which must arrive while the nightly process lives (the
  pipe on its standard input is the lifeline: at end of file it quits);
- the request is what `orchestration.tiers.dbt_cli` would have run itself: the command line,
  the environment, the working directory (the run's build folder) and the caller's standard
  input, output and error, passed as file descriptors; the process answers with its pid,
  and on the caller's "go" takes them over and runs dbt's command line as the caller
  would have, then reports the exit status (a caller that stopped waiting never says go,
  so two dbts never run one command);
- the caller (``run_prepared``) forwards SIGINT and SIGTERM to it, and exits with its status,
  or by the signal it passed on, so whoever started dbt sees what dbt did; a prepared
  process killed from outside is reported as such.

Nothing depends on it: with no prepared process (a run from the Dagster UI, a second dbt
command, a process that failed to start), `dbt_cli` runs dbt itself, as before.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from orchestration.lib.workers import private_folder

# Where the caller finds the prepared process; set by ``start`` for the run's subprocesses.
SOCKET_VARIABLE = "DUKAN_DBT_WARM"
_HEADER = struct.Struct("!I")
_STANDARD_STREAMS = [0, 1, 2]
# A request is a command line and an environment: far less than this.
_MAX_REQUEST = 1 << 20
# How long a caller waits for the prepared process to take its command (see run_prepared),
# and the prepared process for a caller that connected to send it and say go.
ACCEPT_TIMEOUT_S = float(os.environ.get("DUKAN_DBT_WARM_TIMEOUT_S", "120"))
_GO = b"go\n"
# Should the lifeline never close (a process that inherited it and lives on), the prepared
# process still goes; a command after this finds it gone and runs dbt itself.
_IDLE_LIMIT_S = 4 * 3600


@dataclass
class Prepared:
    """A prepared dbt process, and the private folder of its socket."""

    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def socket_path(self) -> Path:
        return self.folder / "dbt.sock"

    def close(self) -> None:
        """Let it go: unused, it quits when its lifeline closes; serving, it runs on."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # serving a dbt build the load gave up on; it ends with that build
        shutil.rmtree(self.folder, ignore_errors=True)
        if os.environ.get(SOCKET_VARIABLE) == str(self.socket_path):
            del os.environ[SOCKET_VARIABLE]


def start(log: Path | None = None) -> Prepared:
    """Start a process that imports dbt and waits for one dbt command; the run's dbt
    subprocesses find it through ``SOCKET_VARIABLE``."""
    folder = private_folder("dbt")
    output = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(folder / "dbt.sock")],
            stdin=subprocess.PIPE, stdout=output, stderr=output, close_fds=True,
        )
    finally:
        if output is not subprocess.DEVNULL:
            output.close()
    prepared = Prepared(process, folder)
    os.environ[SOCKET_VARIABLE] = str(prepared.socket_path)
    return prepared


# --- the caller --------------------------------------------------------------------------


def run_prepared(argv: list[str], environ: Mapping[str, str], cwd: Path) -> int | None:
    """Have the prepared process run dbt's command line ``argv``; its exit status, or None
    when there is no prepared process to take the command (the caller then runs dbt)."""
    path = environ.get(SOCKET_VARIABLE)
    if not path:
        return None
    forwarding = _Forwarding()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Whatever listens there must take the command in this time (it may still be importing
    # dbt). Past it, this process runs dbt itself; the prepared one runs the command only
    # on this process's "go", sent once its process id has come back.
    connection.settimeout(ACCEPT_TIMEOUT_S)
    try:
        connection.connect(path)
        env = {k: v for k, v in environ.items() if k != SOCKET_VARIABLE}
        request = json.dumps({"argv": argv, "env": env, "cwd": str(cwd)}).encode()
        socket.send_fds(connection, [_HEADER.pack(len(request))], _STANDARD_STREAMS)
        connection.sendall(request)
        replies = connection.makefile("rb")
        accepted = replies.readline()
        pid = int(json.loads(accepted)["pid"])
        connection.sendall(_GO)
    except (OSError, ValueError, KeyError, TypeError):
        connection.close()
        forwarding.stop()
        return None  # nothing of dbt ran there
    connection.settimeout(None)  # dbt's build takes what it takes
    forwarding.to(pid)
    status = replies.readline()
    if status:
        return int(json.loads(status)["exit"])
    if forwarding.received:
        # Stopped by the signal passed on: end the same way, so the caller's parent sees a
        # dbt stopped by that signal.
        signum = forwarding.received[-1]
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return 128 + signum
    print(f"dbt_cli: the prepared dbt process {pid} ended without an exit status (killed "
          "from outside?); see the load's log", file=sys.stderr, flush=True)
    return 2


class _Forwarding:
    """SIGINT and SIGTERM, passed on to the prepared process once it has taken the command
    (a signal that comes before is passed on then), or taken as they come when it did not."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.pid: int | None = None
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.pid is not None:
            self._send(signum)

    def _send(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)  # type: ignore[arg-type]
        except ProcessLookupError:
            pass

    def to(self, pid: int) -> None:
        self.pid = pid
        for signum in self.received:
            self._send(signum)

    def stop(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM
                          else signal.default_int_handler)
        for signum in self.received:
            signal.raise_signal(signum)


# --- the prepared process ----------------------------------------------------------------


def serve(socket_path: str) -> NoReturn:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(1)
    # A Ctrl-C at the terminal reaches the whole process group; it is meant for the load.
    # The caller forwards it once dbt runs here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A SIGTERM ends it, whatever it inherited: a load started with SIGINT ignored (a
    # background job of a script) ignores SIGTERM too once Dagster has run in it (Dagster
    # gives SIGTERM the SIGINT handler), and an ignored signal passes to the processes it
    # starts, so a SIGTERM forwarded by the caller would not stop dbt.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from dbt.cli.main import cli  # the point of this process
    import dbt.adapters.duckdb  # noqa: F401  dbt loads it on every command

    connection = _one_caller(listener)
    listener.close()
    os.unlink(socket_path)
    if connection is None:
        os._exit(0)
    # A caller that connects and then says nothing must not keep this process forever.
    connection.settimeout(ACCEPT_TIMEOUT_S)
    try:
        request, streams = _read_request(connection)
        connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        go = _receive_exactly(connection, len(_GO))
    except OSError:  # a timeout among them
        go = b""
    if go != _GO:
        os._exit(0)  # the caller gave up waiting and runs dbt itself
    connection.settimeout(None)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Into the load's log, before the streams are the caller's.
    print(f"dbt_warm: process {os.getpid()} runs `{' '.join(request['argv'][:2])}` in "
          f"{request['cwd']}", flush=True)
    _take_over(request, streams)
    code = _run_cli(cli, request["argv"])
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
    os._exit(code)


def _one_caller(listener: socket.socket) -> socket.socket | None:
    """The first connection from a process of this user; None when the lifeline closes."""
    while True:
        ready, _, _ = select.select([listener, sys.stdin.buffer], [], [], _IDLE_LIMIT_S)
        if not ready or sys.stdin.buffer in ready:
            return None
        connection, _ = listener.accept()
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                            struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", credentials)
        if uid == os.getuid():
            return connection
        connection.close()


def _read_request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    header, streams, _, _ = socket.recv_fds(connection, _HEADER.size, len(_STANDARD_STREAMS))
    if len(header) != _HEADER.size or len(streams) != len(_STANDARD_STREAMS):
        raise SystemExit("dbt_warm: a request without its header and three streams")
    (size,) = _HEADER.unpack(header)
    if size > _MAX_REQUEST:
        raise SystemExit(f"dbt_warm: a request of {size} bytes")
    data = _receive_exactly(connection, size)
    if len(data) < size:
        raise SystemExit("dbt_warm: the request ended early")
    try:
        request = json.loads(data)
        return {"argv": list(request["argv"]), "env": dict(request["env"]),
                "cwd": str(request["cwd"])}, streams
    except (ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"dbt_warm: not a request: {error}") from None


def _receive_exactly(connection: socket.socket, size: int) -> bytes:
    """``size`` bytes, or fewer if the caller closed the connection first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _take_over(request: Mapping[str, Any], streams: list[int]) -> None:
    """Become the caller's dbt: its streams, working directory and environment."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for target, received in zip(_STANDARD_STREAMS, streams, strict=True):
        os.dup2(received, target)
        os.close(received)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])


def _run_cli(cli: Any, argv: list[str]) -> int:
    sys.argv = list(argv)
    try:
        cli()
    except KeyboardInterrupt:  # a forwarded SIGINT that dbt did not turn into an exit
        return 130
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    serve(sys.argv[1])
