"""How `dukan` takes a SIGTERM: as an interrupt, so that a load stopped by a service manager
(or a plain `kill`) cleans up on its way out as it does for Ctrl-C.

Python's default for SIGTERM ends the process at once: the processes and private folders a
load has started (the dbt started ahead, the parse ahead, a clerk's workbook copied to the
temporary directory) are then left to the next night. While a run executes, Dagster gives
SIGTERM the handler it gives SIGINT, which stops the run between steps; when the run ends,
it hands SIGTERM the handler SIGINT had before the run. For a load started in the
background by a script (`nohup dukan nightly &`) that is "ignored", so the handler here is
installed again after the run. SIGINT itself is left as the caller set it.
"""

from __future__ import annotations

import signal
from types import FrameType


class Terminated(KeyboardInterrupt):
    """A SIGTERM outside a run: raised where the process is, unwinding what it started."""


def take_sigterm() -> None:
    """From now on (and until Dagster replaces it), SIGTERM raises ``Terminated``."""
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated
