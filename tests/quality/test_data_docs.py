"""The Data Docs site made offline: new pages lose their remote references, pages of runs
long past are not walked again, and the index lists every run by time and suite, newest
first."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.quality.data_docs import make_offline

REMOTE = (
    '<html><head><script src="https://cdn.example.org/jquery.js"></script>'
    '<link href="https://cdn.example.org/bootstrap.css" rel="stylesheet"></head>'
    "<body><table><tr><td>flow_balance</td></tr></table></body></html>"
)


def _page(site: Path, suite: str, run_time: str, text: str = REMOTE) -> Path:
    page = site / "validations" / suite / "__none__" / run_time / f"warehouse-{suite}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    return page


def _run_folder(seconds_ago: float) -> str:
    return time.strftime("%Y%m%dT%H%M%S.000000Z", time.gmtime(time.time() - seconds_ago))


def test_pages_since_the_last_call_are_cleaned_and_old_runs_are_left(tmp_path: Path) -> None:
    site = tmp_path / "data_docs"
    old = _page(site, "village_flags", "20200105T010000.000000Z")
    suite_page = site / "expectations" / "village_flags.html"
    suite_page.parent.mkdir(parents=True)
    suite_page.write_text(REMOTE, encoding="utf-8")
    assert make_offline(site) == 2  # first call: every page
    assert "https://" not in old.read_text() + suite_page.read_text()

    # A page of a run long past, somehow carrying a remote reference again, with a recent
    # modification time: its folder's name says it is old, so it is not looked at.
    old.write_text(REMOTE, encoding="utf-8")
    # A page of a run named a minute ago and written after the last call (its checkpoint
    # was killed before cleaning, say), and the page of the run just made.
    interrupted = _page(site, "submission_outliers", _run_folder(60))
    newest = _page(site, "county_registry", _run_folder(0))
    last_call = time.time() - 120  # before both were written
    os.utime(site / ".offline", (last_call, last_call))

    assert make_offline(site) == 2
    assert "https://" not in interrupted.read_text() + newest.read_text()
    assert old.read_text() == REMOTE


def test_the_index_lists_runs_by_time_and_suite_newest_first(tmp_path: Path) -> None:
    site = tmp_path / "data_docs"
    _page(site, "village_flags", "20201205T060527.057554Z")
    _page(site, "county_registry", "20201206T010203.000000Z")
    _page(site, "plan_county_rows", "20201205T060523.377305Z")
    make_offline(site)
    index = (site / "index.html").read_text(encoding="utf-8")
    labels = [
        "2020-12-06 01:02:03 UTC · county_registry",
        "2020-12-05 06:05:27 UTC · village_flags",
        "2020-12-05 06:05:23 UTC · plan_county_rows",
    ]
    positions = [index.find(label) for label in labels]
    assert -1 not in positions, index
    assert positions == sorted(positions)
    assert "__none__ · " not in index
