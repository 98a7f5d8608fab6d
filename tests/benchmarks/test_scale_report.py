"""The scale benchmark's store measurement and report: what it prints must add up, and
measuring must leave the staged values as they were."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa

from orchestration.submissions.arrow import VALUES_SCHEMA

ROOT = Path(__file__).resolve().parents[2]


def _scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale", ROOT / "benchmarks" / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scale", module)
    spec.loader.exec_module(module)
    return module


def _values(files: int, per_file: int) -> pa.Table:
    rows = [
        {"file_sha256": f"{n:064x}", "county_code": "621223", "period": "2020-03",
         "table": "t2", "row_key": f"62122310{i:04d}", "indicator": "registered_poor_total",
         "kind": "count", "value_decimal": Decimal(i), "value_bool": None, "value_text": None,
         "is_reported": True, "sheet": "表2 贫困村", "cell": f"C{i + 5}", "line": None,
         "raw": str(i)}
        for n in range(files) for i in range(per_file)
    ]
    return pa.Table.from_pylist(rows, schema=VALUES_SCHEMA)


def test_the_store_is_measured_on_a_copy_and_the_staged_values_stay(tmp_path: Path) -> None:
    scale = _scale()
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    connection.execute("create schema submissions")
    connection.register("staged", _values(files=7, per_file=300))
    connection.execute("create table submissions.values as select * from staged")
    before = connection.execute(
        "select count(*), sum(hash(file_sha256, cell, raw)) from submissions.values").fetchone()

    figures = scale.store_alone(connection)

    assert set(figures) == {"store_s", "store_value_level_s"}
    assert all(seconds > 0 for seconds in figures.values())
    after = connection.execute(
        "select count(*), sum(hash(file_sha256, cell, raw)) from submissions.values").fetchone()
    assert after == before == (2100, before[1])
    tables = {name for (name,) in connection.execute(
        "select table_name from duckdb_tables() where not temporary").fetchall()}
    assert tables == {"values"}  # the copies are gone, and so is the numbered source


def test_the_bound_is_the_floors_and_the_value_level_store() -> None:
    figures = {"workbooks": 100, "months": 1, "values": 50_000, "floor_s": 2.0,
               "ingest_s": 10.0, "ingest_peak_bytes": 2**30, "archive_s": 0.9, "archive_floor_s": 0.5,
               "parse_s": 8.0, "stage_s": 1.5, "store_s": 1.0, "store_value_level_s": 0.5}

    text = _scale().report("national", figures)

    assert "ingest bound            3.00 s  = 3.00 / 2.00 = 1.50x the calamine floor" in text
    assert "= 5.0x the calamine floor" in text
    assert "full rebuild" not in text  # an ingest-only run has none to print


def test_report_and_plot_with_nothing_stored_say_so(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    scale = _scale()
    monkeypatch.setattr(scale, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(sys, "argv", ["scale.py", "--scale", "province", "--report", "--plot"])

    scale.main()

    printed = capsys.readouterr().out
    assert "no stored results for province" in printed
    assert "plot: nothing drawn" in printed


def test_the_bound_adds_up_as_printed_at_province_scale() -> None:
    figures = {"workbooks": 968, "months": 11, "values": 90_354, "floor_s": 0.264,
               "ingest_s": 3.7, "ingest_peak_bytes": 2**29, "archive_s": 0.2,
               "archive_floor_s": 0.071, "parse_s": 2.9, "stage_s": 0.6, "store_s": 0.093,
               "store_value_level_s": 0.058}

    text = _scale().report("province", figures)

    assert "archive floor           0.07 s" in text and "only 0.06 s" in text
    assert "ingest bound            0.39 s  = 0.39 / 0.26 = 1.50x" in text
