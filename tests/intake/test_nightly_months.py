"""A nightly run after new county files loads only their months, and ends where a full
load of every month would.

Three real loads on a small drop zone, then a forced load of every month: the warehouse
the narrowed runs left is compared table by table with the one the forced run builds.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.lib.hashing import differing, table_hashes
from tests.conftest import Scratch, make_scratch
from orchestration.submissions.form import T1
from tests.intake.test_intake_load import UNLIFTED, deliver, t1_with
from tests.submissions.clerk_workbooks import T1_DATA, form_sheet, standard_sheets

LIFTED = [i.id for i in T1.indicators].index("lifted_cumulative")

pytestmark = pytest.mark.slow


def _info(month: int) -> list[list[object]]:
    return [["填报单位：宕昌县", None, None, "行政区划代码：621223", None, None,
             f"报告期：2020年{month}月"]]


def _month(month: int, unlifted: int) -> dict:
    """宕昌县's form for a month of 2020 with that many not lifted (and the rest of the
    52,000 registered lifted); the month's flows are the standard ones: 120 lifted, 5 newly
    identified, 2 returned."""
    info = _info(month)
    sheets = t1_with(UNLIFTED, unlifted, info=info)
    data = list(T1_DATA)
    data[UNLIFTED], data[LIFTED] = unlifted, T1_DATA[0] - unlifted
    sheets["t1"] = form_sheet(T1, [data], info=info)
    return sheets


def _load(scratch: Scratch, *args: str) -> str:
    result = scratch.dukan("nightly", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _balance(scratch: Scratch, period: str) -> tuple:
    with duckdb.connect(str(scratch.published), read_only=True) as connection:
        return connection.execute(
            "select * from counties.county_monthly_balance where county_code = '621223' "
            "and period = ?", [period],
        ).fetchall()


def test_new_files_load_their_months_and_end_as_a_full_load(tmp_path) -> None:
    scratch = make_scratch(tmp_path)
    deliver(scratch, "2020-03", "宕昌县3月.xlsx", standard_sheets(), "2020-03-24T10:00:00")
    # March's 2000 not lifted, less 120 lifted, plus 5 new and 2 returned: 1887 in April.
    deliver(scratch, "2020-04", "宕昌县4月.xlsx", _month(4, 1887), "2020-04-20T09:00:00")
    assert "every month" in _load(scratch)
    april_before = _balance(scratch, "2020-04")
    assert april_before, "April balances against March"

    deliver(scratch, "2020-05", "宕昌县5月.xlsx", _month(5, 1774), "2020-05-20T09:00:00")
    out = _load(scratch)
    assert "months 2020-05..2020-05: only these months have new files" in out
    assert _balance(scratch, "2020-04") == april_before
    assert _balance(scratch, "2020-05"), "May is in the balance mart"

    # A correction of March changes the balance April is checked against: April no longer
    # balances, and is held.
    deliver(scratch, "2020-03", "宕昌县3月更正.xlsx", _month(3, 2100), "2020-03-28T09:00:00")
    out = _load(scratch)
    assert "months 2020-03..2020-03: only these months have new files" in out
    assert _balance(scratch, "2020-04") != april_before
    narrowed = table_hashes(scratch.published)

    assert "every month (forced)" in _load(scratch, "--force")
    assert differing(narrowed, table_hashes(scratch.published)) == []
