"""What an auditor's query, an exported file and the UI can and cannot do."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.lib.paths import DBT_PROJECT_DIR, ProjectPaths
from orchestration.lib.spreadsheet import FORMULA_PREFIXES, neutralise
from tests.conftest import DUKAN, Scratch, file_digest, make_scratch

INJECTED = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """A small published warehouse holding text a county file could have put there."""
    scratch = make_scratch(tmp_path_factory.mktemp("access"))
    with duckdb.connect(str(scratch.published)) as connection:
        connection.execute("create schema counties")
        connection.execute("create table counties.names (name varchar, persons integer)")
        connection.executemany("insert into counties.names values (?, ?)",
                               [[text, -index] for index, text in enumerate(INJECTED)])
    (scratch.root / "outside.txt").write_text("not for auditors\n")
    return scratch


@pytest.mark.parametrize("sql", [
    "delete from counties.names",
    "create table counties.more (a integer)",
    "attach '{root}/other.duckdb' as other",
    "copy counties.names to '{root}/out.csv'",
    "export database '{root}/export'",
    "install httpfs",
    "load httpfs",
    "select * from read_csv('{root}/outside.txt')",
    "select * from read_text('{root}/outside.txt')",
    "select * from glob('{root}/*')",
    "set enable_external_access = true",
    "set lock_configuration = false",
    "set allowed_directories = ['/']",
    "create secret (type s3, key_id 'a', secret 'b')",
])
def test_audit_refuses_writes_and_file_access(published: Scratch, sql: str) -> None:
    before = file_digest(published.published)
    files_before = sorted(published.root.rglob("*"))

    result = published.dukan("audit", sql.format(root=published.root))

    assert result.returncode == 1, result.stdout
    assert "not for auditors" not in result.stdout
    assert file_digest(published.published) == before
    assert sorted(published.root.rglob("*")) == files_before


def test_audit_csv_keeps_formulas_as_text_and_numbers_as_numbers(published: Scratch) -> None:
    sql = 'select name, persons as "=n" from counties.names order by persons desc'
    # Bytes, not text: universal newlines would turn a quoted carriage return into a newline.
    result = subprocess.run([DUKAN, "audit", "--csv", sql], env=published.env(),
                            capture_output=True, check=True)

    header, *rows = list(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    assert header == ["name", "'=n"]
    assert [name for name, _ in rows] == ["'" + text for text in INJECTED]
    assert [int(persons) for _, persons in rows] == [0, -1, -2, -3, -4, -5]


@pytest.mark.parametrize("text", INJECTED)
def test_every_formula_start_is_neutralised(text: str) -> None:
    assert text.startswith(FORMULA_PREFIXES)
    assert neutralise(text) == "'" + text
    assert neutralise(-5) == -5 and neutralise("宕昌县") == "宕昌县"


@pytest.mark.parametrize("text", INJECTED)
def test_the_dispatch_report_workbook_keeps_formulas_as_text(tmp_path: Path, text: str) -> None:
    from openpyxl import Workbook, load_workbook

    from orchestration.reports.workbook import put

    book = Workbook()
    put(book.active, 1, 1, text)
    book.save(tmp_path / "r.xlsx")

    cell = load_workbook(tmp_path / "r.xlsx").active["A1"]
    # XML reads a bare carriage return as a line feed; the cell stays quoted text either way.
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == text.replace("\r", "\n")


def test_parquet_labels_cannot_start_a_formula() -> None:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    texts = [
        text
        for node in manifest["nodes"].values() if node["resource_type"] == "model"
        for text in [node.get("description") or "",
                     *(c.get("description") or "" for c in node["columns"].values())]
    ]

    assert texts and not [text for text in texts if text.strip().startswith(FORMULA_PREFIXES)]


def test_the_ui_listens_on_loopback_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    calls = []
    # `dukan ui` replaces itself with `dagster dev`; record the command instead.
    monkeypatch.setattr(os, "execv", lambda path, command: calls.append(command))
    monkeypatch.setattr(os, "chdir", lambda path: None)

    cli.main(["ui"])

    command = calls[0]
    assert command[command.index("--host") + 1] == "127.0.0.1"


def test_no_tool_is_asked_to_send_usage_statistics() -> None:
    import os

    import yaml

    from orchestration.lib.paths import EXPECTATIONS_DIR, PROJECT_ROOT

    dagster = yaml.safe_load((PROJECT_ROOT / "warehouse" / "dagster" / "dagster.yaml").read_text())
    dbt = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    gx = yaml.safe_load((EXPECTATIONS_DIR / "gx" / "great_expectations.yml").read_text())

    assert dagster["telemetry"]["enabled"] is False
    assert dbt["flags"]["send_anonymous_usage_stats"] is False
    assert gx["analytics_enabled"] is False
    # The command sets the tools' own opt-outs before any of them is imported.
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"


def test_a_relative_dagster_home_is_made_absolute(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    # `DUKAN_WAREHOUSE_DIR=relw make nightly` passes DAGSTER_HOME=relw/dagster on; Dagster
    # refuses a relative one with a traceback.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "relw/dagster")

    home = cli.dagster_home(ProjectPaths(raw_dir=tmp_path / "raw", warehouse_dir=tmp_path / "w"))

    assert home == tmp_path / "relw" / "dagster" and os.environ["DAGSTER_HOME"] == str(home)
    assert (home / "dagster.yaml").exists()
