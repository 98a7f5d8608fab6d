"""The column-at-a-time read of clean sheets gives what the row-by-row read gives.

``xlsx._read_clean_rows`` reads a sheet's data rows a column at a time and declines any
sheet with something to say about a row or a cell, which the row loop then reads. Both
ways must agree on every value of every workbook, and on every finding, in order.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from orchestration.simulation import MessyOptions, SimulationResult, simulate
from orchestration.submissions import xlsx
from orchestration.submissions.model import ParsedSubmission
from orchestration.submissions.reader import read_submission

# Faults in every other file, so that many sheets are declined and many are not.
FAULTY = MessyOptions(cell_fault_rate=0.5, cell_faults_per_file=3, layout_fault_rate=0.3)


@pytest.fixture(scope="module")
def faulty_month(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("faulty"), seed=7, months=["2020-05"],
                    messy=FAULTY)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: Path) -> ParsedSubmission:
    return read_submission(path, declared_period="2020-05", hash_personal=_hash)


def _row_by_row(monkeypatch: pytest.MonkeyPatch, path: Path) -> ParsedSubmission:
    with monkeypatch.context() as patched:
        patched.setattr(xlsx, "_read_clean_rows", lambda *args: False)
        return _read(path)


def test_both_reads_agree_on_every_workbook(
    faulty_month: SimulationResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = Counter[bool]()
    original = xlsx._read_clean_rows

    def counting(*args) -> bool:
        taken[result := original(*args)] += 1
        return result

    monkeypatch.setattr(xlsx, "_read_clean_rows", counting)
    books = sorted(faulty_month.out_dir.rglob("*.xlsx"))
    assert len(books) > 70
    for path in books:
        columns, rows = _read(path), _row_by_row(monkeypatch, path)
        assert sorted(columns.values) == sorted(rows.values), path.name
        assert columns.findings == rows.findings, path.name
        assert columns.accepted == rows.accepted, path.name

    # Both ways were exercised: clean sheets by columns, faulty ones declined.
    assert taken[True] > 100 and taken[False] > 20, taken

