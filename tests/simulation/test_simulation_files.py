"""Clean simulated files: they read back without findings and equal the simulated state."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl

from orchestration.simulation import MANIFEST_COLUMNS, SimulationResult, simulate
from orchestration.simulation.cli import main, parse_months
from orchestration.simulation.content import form_values
from orchestration.simulation.summary import read_prefecture_summary
from orchestration.simulation.writer import World
from orchestration.submissions import read_submission

from .conftest import CLEAN_MONTHS, hash_personal


def _manifest(result: SimulationResult) -> list[dict[str, str]]:
    with result.manifest_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == MANIFEST_COLUMNS
        return list(reader)


def test_every_clean_county_file_reads_back_equal_to_the_state(
    clean_run: SimulationResult, world: World
) -> None:
    rows = [r for r in _manifest(clean_run) if r["kind"] == "county"]
    assert len(rows) == 75 * len(CLEAN_MONTHS)
    for row in rows:
        parsed = read_submission(clean_run.out_dir / row["relative_path"],
                                 declared_period=row["period"], hash_personal=hash_personal)
        assert parsed.findings == (), row["file_name"]
        assert (parsed.county_code, parsed.period) == (row["county_code"], row["period"])
        state = world.states[(row["county_code"], row["period"])]
        expected = form_values(state, world.baseline.villages_of(row["county_code"]))
        assert {(v.table, v.row_key, v.indicator): v.value for v in parsed.values} == expected
        assert parsed.filled_date is not None and parsed.filled_date.day <= 25
        assert parsed.personal.filer and parsed.personal.phone and parsed.personal.reviewer


def test_layout_title_footer_and_note_say_simulated(clean_run: SimulationResult) -> None:
    path = clean_run.out_dir / "2020-07" / "621223_宕昌县_2020-07.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["表1 贫困人口"]

    assert sheet["A1"].value == "宕昌县脱贫攻坚挂牌督战工作进展月报表（模拟数据）"
    assert "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [sheet.cell(2, c).value for c in (1, 5, 9)] == [
        "填报单位：宕昌县", "行政区划代码：621223", "报告期：2020年7月"]
    assert [sheet.cell(7, c).value for c in (1, 3, 5, 7)] == [
        "填报人：", "联系电话：", "审核人：", "填报日期："]
    assert sheet.cell(7, 4).value.startswith("0939-0")  # a local number never starts with 0
    assert "模拟数据" in sheet.cell(8, 1).value
    assert workbook.properties.creator == "模拟数据"

    maqu = openpyxl.load_workbook(clean_run.out_dir / "2020-07" / "623025_玛曲县_2020-07.xlsx")
    assert "归属系模拟" in maqu["表1 贫困人口"]["A1"].value
    assert "第15、16行" in maqu["表1 贫困人口"]["A8"].value


def test_prefecture_summaries_equal_the_counties(
    clean_run: SimulationResult, world: World
) -> None:
    rows = [r for r in _manifest(clean_run) if r["kind"] == "prefecture_summary"]
    assert len(rows) == 13 * len(CLEAN_MONTHS)
    for row in rows:
        summary = read_prefecture_summary(clean_run.out_dir / row["relative_path"],
                                          hash_personal=hash_personal,
                                          declared_period=row["period"])
        assert summary.findings == () and summary.accepted
        assert (summary.prefecture_code, summary.period) == (row["prefecture_code"], row["period"])
        counties = [c.code for c in world.plan.counties
                    if c.prefecture_code == row["prefecture_code"]]
        assert [r.county_code for r in summary.rows] == counties
        for summary_row in summary.rows:
            t1 = world.states[(summary_row.county_code, row["period"])].t1
            assert summary_row.values == {k: v for k, v in t1.items()}


def test_manifest_receipt_times_and_mtimes(clean_run: SimulationResult) -> None:
    rows = _manifest(clean_run)
    assert len(rows) == len(clean_run.files) == 88 * len(CLEAN_MONTHS)
    assert {r["scenario"] for r in rows} == {"clean"} and {r["seed"] for r in rows} == {"2020"}
    for row in rows:
        received = datetime.fromisoformat(row["received_at"])
        assert received.utcoffset().total_seconds() == 8 * 3600
        assert row["period"] == f"{received.year}-{received.month:02d}" and received.day <= 25
        path = clean_run.out_dir / row["relative_path"]
        assert path.stat().st_mtime == received.timestamp()
        assert row["version"] == "1"
    assert clean_run.missing == () and clean_run.faults == ()
    assert {m: (c.county_files, c.summaries) for m, c in clean_run.per_month.items()} == {
        m: (75, 13) for m in CLEAN_MONTHS}


def test_same_seed_gives_byte_identical_files(tmp_path: Path, clean_run: SimulationResult) -> None:
    again = simulate(tmp_path, seed=2020, months=["2020-07"])
    before = {r.relative_path: r.sha256 for r in clean_run.files if r.period == "2020-07"}
    assert {r.relative_path: r.sha256 for r in again.files} == before
    other = simulate(tmp_path / "other", seed=2021, months=["2020-07"])
    changed = [r for r in other.files if before[r.relative_path] != r.sha256]
    assert len(changed) > 70


def test_cli_writes_and_clean_removes_only_simulated_files(
    tmp_path: Path, capsys
) -> None:
    real = tmp_path / "2020-04" / "a_real_submission.xlsx"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"not simulated")

    assert main(["--out", str(tmp_path), "--months", "2020-04", "--seed", "5"]) == 0
    first = capsys.readouterr().out
    assert "2020-04: 75 county files, 13 summaries" in first and "88 files" in first
    assert len(list((tmp_path / "2020-04").glob("*.xlsx"))) == 76

    assert main(["--out", str(tmp_path), "--months", "2020-05", "--clean"]) == 0
    second = capsys.readouterr().out
    assert "removed 88 previously simulated files" in second
    assert real.read_bytes() == b"not simulated"
    assert sorted(p.name for p in (tmp_path / "2020-04").iterdir()) == ["a_real_submission.xlsx"]
    with (tmp_path / "simulation_manifest.csv").open(encoding="utf-8") as handle:
        assert {r["period"] for r in csv.DictReader(handle)} == {"2020-05"}


def test_a_renamed_or_rewritten_simulated_file_keeps_its_mark(tmp_path: Path) -> None:
    first = simulate(tmp_path, seed=5, months=["2020-04"])
    renamed = first.files[0]
    (tmp_path / renamed.relative_path).rename(tmp_path / "2020-04" / "renamed_by_a_clerk.xlsx")

    simulate(tmp_path, seed=5, months=["2020-05"])
    rewritten = simulate(tmp_path, seed=6, months=["2020-04"])

    with (tmp_path / "simulation_manifest.csv").open(encoding="utf-8") as handle:
        digests = {r["sha256"] for r in csv.DictReader(handle)}
    assert renamed.sha256 in digests
    assert {r.sha256 for r in first.files} <= digests
    assert {r.sha256 for r in rewritten.files} <= digests


def test_month_ranges() -> None:
    assert parse_months("2020-02..2020-12")[::5] == ["2020-02", "2020-07", "2020-12"]
    assert parse_months("2020-03,2020-05") == ["2020-03", "2020-05"]
    assert main(["--months", "2019-12..2020-03"]) == 2
