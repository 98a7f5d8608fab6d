"""The --messy preset: every injected fault gives the finding (or value) the contract says."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from orchestration.simulation import MessyOptions, SimulationResult
from orchestration.simulation.content import form_values
from orchestration.simulation.faults import (
    CELL_FAULTS, FILE_FORMATS, LAYOUT_FAULTS, UNLOADABLE, InjectedFault,
)
from orchestration.simulation.summary import read_prefecture_summary
from orchestration.simulation.writer import World
from orchestration.submissions import ParsedSubmission, read_submission

from .conftest import MESSY_MONTHS, hash_personal


def _read(result: SimulationResult, relative: str, period: str) -> ParsedSubmission:
    return read_submission(result.out_dir / relative, declared_period=period,
                           hash_personal=hash_personal)


def _by_file(result: SimulationResult) -> dict[str, list[InjectedFault]]:
    grouped: dict[str, list[InjectedFault]] = defaultdict(list)
    for fault in result.faults:
        grouped[fault.relative_path].append(fault)
    return grouped


def test_preset_is_off_by_default_and_on_with_messy() -> None:
    assert not MessyOptions().enabled
    preset = MessyOptions.preset()
    assert preset.enabled and 0 < preset.late_rate < 0.2 and 0 < preset.unloadable_rate < 0.05


def test_every_fault_kind_is_injected(messy_run: SimulationResult) -> None:
    kinds = {f.fault for f in messy_run.faults}
    expected = set(CELL_FAULTS) | set(LAYOUT_FAULTS) | set(FILE_FORMATS) | set(UNLOADABLE)
    assert expected | {"typo", "summary_disagrees"} == kinds


def test_each_county_fault_reads_as_the_contract_says(
    messy_run: SimulationResult, world: World
) -> None:
    files = {row.relative_path: row for row in messy_run.files}
    checked = 0
    for relative, faults in _by_file(messy_run).items():
        row = files[relative]
        if row.kind != "county":
            continue
        parsed = _read(messy_run, relative, row.period)
        values = {(v.table, v.row_key, v.indicator): v for v in parsed.values}
        for fault in faults:
            if fault.expected_code:
                assert any(f.code == fault.expected_code and f.severity == fault.expected_severity
                           and f.cell == fault.cell and f.sheet == fault.sheet
                           for f in parsed.findings), (fault, parsed.findings)
            elif fault.indicator:
                value = values.get((fault.table, fault.row_key, fault.indicator))
                taken = value.value if value is not None else None
                assert taken == fault.expected_value, fault
            checked += 1

        # Nothing but the injected faults is wrong with the file.
        wanted = {f.expected_code for f in faults}
        assert {f.code for f in parsed.findings if f.severity != "info"} <= wanted, relative
        if not parsed.errors and not any(f.fault == "typo" for f in faults):
            _equal_to_state(parsed, faults, world, row.county_code, row.period)
    assert checked > 100


def _equal_to_state(parsed: ParsedSubmission, faults: list[InjectedFault], world: World,
                    county: str, period: str) -> None:
    expected = form_values(world.states[(county, period)], world.baseline.villages_of(county))
    for fault in faults:
        if fault.indicator and fault.has_expected_value:
            expected[(fault.table, fault.row_key, fault.indicator)] = fault.expected_value
    got = {(v.table, v.row_key, v.indicator): v.value for v in parsed.values}
    assert {k: v for k, v in expected.items() if v is not None} == {
        k: v for k, v in got.items() if v is not None}


def test_unloadable_files_are_recorded_and_refused(messy_run: SimulationResult) -> None:
    assert {f.fault for f in messy_run.unloadable} == set(UNLOADABLE)
    for fault in messy_run.unloadable:
        period = fault.relative_path.split("/")[0]
        parsed = _read(messy_run, fault.relative_path, period)
        assert [f.code for f in parsed.findings] == [fault.expected_code]
        assert parsed.values == ()
        assert len(_by_file(messy_run)[fault.relative_path]) == 1  # nothing else to find


def test_csv_exports_read_like_workbooks(messy_run: SimulationResult, world: World) -> None:
    exports = [f for f in messy_run.faults if f.fault in FILE_FORMATS]
    assert {f.written for f in exports} == {"utf-8", "utf-8-sig", "gb18030"}
    for fault in exports:
        row = next(r for r in messy_run.files if r.relative_path == fault.relative_path)
        parsed = _read(messy_run, fault.relative_path, row.period)
        assert parsed.format == "csv" and parsed.errors == ()
        raw = (messy_run.out_dir / fault.relative_path).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (fault.written == "utf-8-sig")


def test_late_files_are_after_the_25th(messy_run: SimulationResult) -> None:
    late = [r for r in messy_run.files if datetime.fromisoformat(r.received_at).day > 25]
    assert late and all(r.kind == "county" for r in late)
    assert sum(c.late for c in messy_run.per_month.values()) == len(late)
    for row in late:
        assert (messy_run.out_dir / row.relative_path).stat().st_mtime == \
            datetime.fromisoformat(row.received_at).timestamp()


def test_resubmissions_follow_and_correct_the_first_file(
    messy_run: SimulationResult, world: World
) -> None:
    seconds = [r for r in messy_run.files if r.version == 2]
    assert seconds and all("_更正" in r.file_name for r in seconds)
    for second in seconds:
        first = next(r for r in messy_run.files if r.version == 1
                     and (r.county_code, r.period) == (second.county_code, second.period))
        assert datetime.fromisoformat(first.received_at) < datetime.fromisoformat(
            second.received_at)
        parsed = _read(messy_run, second.relative_path, second.period)
        assert parsed.findings == ()
        expected = form_values(world.states[(second.county_code, second.period)],
                               world.baseline.villages_of(second.county_code))
        assert {(v.table, v.row_key, v.indicator): v.value for v in parsed.values} == expected
        reasons = {f.fault for f in _by_file(messy_run)[first.relative_path]}
        assert reasons & ({"typo"} | set(UNLOADABLE)), first.relative_path


def test_missing_counties_have_no_file(messy_run: SimulationResult) -> None:
    assert messy_run.missing
    listed = {(r.county_code, r.period) for r in messy_run.files if r.kind == "county"}
    assert not set(messy_run.missing) & listed
    for period in MESSY_MONTHS:
        gone = {c for c, p in messy_run.missing if p == period}
        present = {c for c, p in listed if p == period}
        assert len(gone) + len(present) == 75
        assert messy_run.per_month[period].missing == len(gone)


def test_prefecture_summaries_disagree_only_where_recorded(
    messy_run: SimulationResult, world: World
) -> None:
    disagreements = [f for f in messy_run.faults if f.fault == "summary_disagrees"]
    assert disagreements
    for fault in disagreements:
        period = fault.relative_path.split("/")[0]
        summary = read_prefecture_summary(messy_run.out_dir / fault.relative_path,
                                          hash_personal=hash_personal)
        assert summary.findings == ()
        for row in summary.rows:
            truth = world.states[(row.county_code, period)].t1
            for indicator, value in row.values.items():
                if (row.county_code, indicator) == (fault.row_key, fault.indicator):
                    assert value == fault.expected_value != truth[indicator]
                else:
                    assert value == truth[indicator]
