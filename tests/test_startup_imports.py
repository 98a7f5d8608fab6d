"""What the nightly load imports before its first step is on its critical path: the
libraries of the checks and the report wait until dbt builds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openpyxl.utils import get_column_letter

from orchestration.lib.later_imports import LATER_MODULES
from orchestration.submissions.workbook import column_letter

DEFERRED = ("pandas", "matplotlib", "openpyxl", "great_expectations", "scipy")


def _modules_after(code: str) -> set[str]:
    # A fresh interpreter: this one has imported everything the tests use.
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_the_definitions_load_without_the_later_libraries() -> None:
    loaded = _modules_after("import orchestration.definitions")
    assert "dagster_dbt" in loaded  # the definitions really loaded
    assert [name for name in DEFERRED if name in loaded] == []


def test_the_later_imports_bring_them_in() -> None:
    loaded = _modules_after(
        "from orchestration.lib.later_imports import import_later_modules\n"
        "import_later_modules().join(120)"
    )
    assert set(LATER_MODULES) <= loaded
    assert {"pandas", "matplotlib", "openpyxl"} <= loaded


@pytest.mark.parametrize("column", [1, 2, 25, 26, 27, 52, 53, 200, 701, 702, 703, 18278])
def test_column_letters_are_openpyxls(column: int) -> None:
    assert column_letter(column) == get_column_letter(column)


@pytest.mark.parametrize("column", [0, -1, 18279])
def test_no_letters_outside_the_sheet(column: int) -> None:
    with pytest.raises(ValueError):
        column_letter(column)
