"""Libraries only the steps after dbt use, imported in a thread while dbt builds.

The nightly load runs in one interpreter, and what it imports before its first step
(Dagster, the dbt project's assets, the intake) is paid on the critical path. During dbt's
build the process mostly waits on dbt's output, so the libraries of the checks and the
dispatch report (pandas, matplotlib, openpyxl, jinja2: about 0.6 s) are imported then, and
the modules that use them import them where they are used.
"""

from __future__ import annotations

import importlib
import threading

LATER_MODULES = (
    "pandas",
    "orchestration.reports.dispatch",
    "matplotlib.backends.backend_agg",
    "PIL.PngImagePlugin",
)


def import_later_modules() -> threading.Thread:
    thread = threading.Thread(target=_import_all, name="later-imports", daemon=True)
    thread.start()
    return thread


def _import_all() -> None:
    for name in LATER_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the step that needs it imports it and says why
            continue
