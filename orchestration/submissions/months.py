"""Which reporting months a run loads, decided from the drop zone alone.

Kept apart from the schedule and the sensor (``automation``) so that `dukan nightly` can
decide before Dagster is imported, and start work on those months meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.submissions.archive import drop_months

FIRST_MONTH = "2020-01"


def nightly_range(raw_dir: Path) -> tuple[str, str]:
    """Every month that has a drop folder (or the first month when there is none)."""
    months = drop_months(raw_dir) or [FIRST_MONTH]
    return months[0], months[-1]


def nightly_months(
    raw_dir: Path, changed: tuple[str, ...], changed_months: tuple[str, ...] | None
) -> tuple[str, str, str]:
    """(first, last, why) of the months a nightly run loads.

    When only county files changed since the last publish, and in known month folders,
    those months, first to last: the other months' staged values, versions and marts
    stay as published (the tier build adds each new file's own period and the month
    after it, and the blocking checks still read every month). Anything else (the code,
    the reference data, the key, a warehouse not published by a nightly run, a folder
    gone) may change every month, so every month is loaded.
    """
    if set(changed) == {"submissions"} and changed_months:
        return changed_months[0], changed_months[-1], "only these months have new files"
    start, end = nightly_range(raw_dir)
    return start, end, "every month (" + ", ".join(changed or ("forced",)) + " changed)"

